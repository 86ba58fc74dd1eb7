"""What a customer meets choosing outcomes in Chromium, at a phone's width and a desktop's: an outcome per
item, a clear word when an exchange is not possible, and an older tab that is told so instead of confirming
whatever return the session holds now (issue 14, items 2 and 7)."""

import pytest
from playwright.sync_api import expect

from returns_desk.returns.models import ReturnRequest
from tests.browser.test_portal_browser import find_order, line
from tests.portal.shop import build_shop

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def shop(reference_data):
    return build_shop()


def choose(page, title: str, quantity: str, reason: str) -> None:
    item = line(page, title)
    item.get_by_label("How many to return").select_option(quantity)
    item.get_by_label("Reason").select_option(label=reason)


@pytest.mark.parametrize("width", [390, 1280])
def test_one_item_exchanged_and_one_refunded_with_the_unavailable_exchange_explained(
    page, live_server, shop, screenshot, width
):
    page.set_viewport_size({"width": width, "height": 844})
    find_order(page, live_server)
    choose(page, "Linen shirt (M)", "1", "Doesn't fit")
    choose(page, "Selvedge jeans (32)", "1", "Arrived damaged")
    page.get_by_role("button", name="Continue").click()

    jeans = page.locator("fieldset.outcome-line", has_text="Selvedge jeans (32)")
    expect(jeans).to_contain_text("No size or colour of Selvedge jeans (32) is in stock at its price or lower")
    expect(jeans.get_by_label("Exchange for another size or colour")).to_have_count(0)
    shirt = page.locator("fieldset.outcome-line", has_text="Linen shirt (M)")
    shirt.get_by_label("Exchange for another size or colour").check()
    page.get_by_role("button", name="Review my return").click()  # no size chosen yet
    expect(page.locator(".error-summary")).to_contain_text("Choose what you would like instead of Linen shirt (M).")
    screenshot(f"outcome-missing-size-{width}", widths=(width,))
    shirt = page.locator("fieldset.outcome-line", has_text="Linen shirt (M)")
    expect(shirt.get_by_label("Exchange for another size or colour")).to_be_checked()  # the choice is kept
    shirt.get_by_label("Instead of Linen shirt (M)").select_option(label="Size L")
    page.locator("fieldset.outcome-line", has_text="Selvedge jeans (32)").get_by_label(
        "Refund to my original payment"
    ).check()
    screenshot(f"outcome-per-item-{width}", widths=(width,))
    page.get_by_role("button", name="Review my return").click()

    expect(page.get_by_text("You chose: Exchange: Linen shirt (L)")).to_be_visible()
    expect(page.get_by_text("You chose: Refund to original payment")).to_be_visible()
    screenshot(f"review-per-item-{width}", widths=(width,))
    page.get_by_role("button", name="Confirm return").click()
    rr = ReturnRequest.objects.get()
    expect(page.get_by_text(f"Thank you. Your return number is {rr.rma_number}.")).to_be_visible()
    expect(page.locator(".status-head")).to_contain_text("an outcome for each item")
    assert rr.resolution == "mixed"
    assert sorted(rr.items.values_list("resolution", flat=True)) == ["exchange", "refund"]
    page.set_viewport_size({"width": width, "height": 844})  # the screenshots leave it at 1280
    assert page.evaluate("document.documentElement.scrollWidth") <= width


def test_an_older_tab_is_told_and_never_confirms_the_newer_draft(browser, live_server, shop, screenshot):
    context = browser.new_context(viewport={"width": 390, "height": 844})
    tab_a, tab_b = context.new_page(), context.new_page()
    find_order(tab_a, live_server)
    choose(tab_a, "Linen shirt (M)", "1", "Arrived damaged")
    tab_a.get_by_role("button", name="Continue").click()
    tab_a.get_by_role("button", name="Review my return").click()  # refund, the default, for the shirt
    expect(tab_a.get_by_role("heading", name="Check and confirm")).to_be_visible()

    find_order(tab_b, live_server)  # the same session starts again, for other items
    choose(tab_b, "Selvedge jeans (32)", "1", "Arrived damaged")
    tab_b.get_by_role("button", name="Continue").click()
    tab_b.locator("fieldset.outcome-line").get_by_label("Store credit with a 10% bonus").check()
    tab_b.get_by_role("button", name="Review my return").click()
    expect(tab_b.get_by_role("heading", name="Check and confirm")).to_be_visible()

    tab_a.get_by_role("button", name="Confirm return").click()  # tab A still shows the shirt
    expect(tab_a.get_by_text("That page was for a return you started earlier. Nothing was changed")).to_be_visible()
    expect(tab_a.get_by_text("1 × Selvedge jeans (32)", exact=True)).to_be_visible()  # shown the current draft instead
    screenshot("older-tab-told", on=tab_a)  # at 390 and 1280 px
    assert ReturnRequest.objects.count() == 0
    tab_b.get_by_role("button", name="Confirm return").click()
    expect(tab_b.get_by_role("heading", name="We have your return request")).to_be_visible()
    assert ReturnRequest.objects.get().resolution == "store_credit"
    context.close()
