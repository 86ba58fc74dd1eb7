"""The portal on a phone (390 px) and a laptop (1280 px): errors are summarised at the top of the form, focused,
with links that move focus to the field; and long words or pasted URLs, from the customer or the desk, wrap
instead of making the page wider than the screen."""

import pytest
from playwright.sync_api import expect

from returns_desk.core.actors import Actor
from returns_desk.orders.models import OrderLine
from returns_desk.returns import services
from tests.portal.shop import EMAIL, build_shop

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
URL = "https://example.com/returns/" + "photos-of-the-damage-" * 8 + "?ref=" + "x" * 60
WORD = "Unbelievably" + "o" * 188  # 200 characters, no break opportunity


@pytest.fixture
def shop(reference_data):
    made = build_shop()
    # A title is at most 200 characters (PostgreSQL holds it to that): 180 of them without a break.
    OrderLine.objects.filter(pk=made.shirt.pk).update(title=f"Linen shirt (M) {WORD[:180]}")
    return made


def find_order(page, live_server):
    page.goto(f"{live_server.url}/returns/")
    lookup = page.locator("form").filter(has=page.get_by_role("button", name="Find my order"))
    lookup.get_by_label("Order number").fill("100123")
    lookup.get_by_label("Email").fill(EMAIL)
    lookup.get_by_role("button", name="Find my order").click()
    expect(page.get_by_role("heading", name="Which items are you returning?")).to_be_visible()


def overflow(page) -> str:
    """'' when the page fits its viewport; else how wide it is and the elements that stick out."""
    return page.evaluate(
        """() => {
      const root = document.documentElement, width = root.clientWidth;
      if (root.scrollWidth <= width) return "";
      const out = [...document.querySelectorAll("body *")]
        .filter((el) => el.getBoundingClientRect().right > width + 1)
        .slice(-4).map((el) => `<${el.tagName.toLowerCase()} class="${el.className}">`);
      return `${root.scrollWidth}px wide in a ${width}px viewport; sticking out: ${out.join(", ")}`;
    }"""
    )


def assert_fits(page, what: str) -> None:
    for width in (390, 1280):
        page.set_viewport_size({"width": width, "height": 900})
        assert overflow(page) == "", f"{what} at {width}px: {overflow(page)}"
    page.set_viewport_size({"width": 1280, "height": 900})


def test_a_missing_reason_on_the_last_item_is_summarised_at_the_top_and_focused(page, live_server, shop, screenshot):
    page.set_viewport_size(PHONE)
    find_order(page, live_server)
    jeans = page.locator("fieldset.line-choice", has_text="Selvedge jeans")
    jeans.get_by_label("How many to return").select_option("1")
    jeans.get_by_label("What is wrong, in your words").fill(f"See {URL} and {WORD}")
    page.get_by_role("button", name="Continue").click()

    summary = page.locator("[data-error-summary]")
    expect(summary).to_be_focused()
    expect(summary.get_by_role("heading", name="There is a problem")).to_be_visible()
    box = summary.bounding_box()
    assert box is not None and box["y"] + box["height"] <= PHONE["height"], "the summary is not on the first screen"
    assert page.evaluate("window.scrollY") < PHONE["height"] / 2
    reason = page.locator("fieldset.line-choice", has_text="Selvedge jeans").get_by_label("Reason")
    expect(reason).not_to_be_in_viewport()  # the field itself is further down: the summary is what shows
    screenshot("phone-items-error-summary", widths=(390,))

    link = summary.get_by_role("link", name="Choose why you are returning this item.")
    expect(link).to_have_attribute("href", f"#{reason.get_attribute('id')}")
    link.click()
    expect(reason).to_be_focused()
    expect(reason).to_be_in_viewport()
    typed = page.locator("fieldset.line-choice", has_text="Selvedge jeans").get_by_label("What is wrong, in your words")
    expect(typed).to_have_value(f"See {URL} and {WORD}")
    assert_fits(page, "the items step with errors")
    screenshot("phone-items-error-field", widths=(390,))


def test_the_items_step_fits_the_screen_with_a_long_title(page, live_server, shop, screenshot):
    find_order(page, live_server)
    expect(page.get_by_text(WORD[:180]).first).to_be_visible()
    assert_fits(page, "the items step")
    screenshot("phone-items")


@pytest.fixture
def wordy_return(shop, agent):
    """A return whose item, messages and notes carry a pasted URL and a 200-character word."""
    rr = services.return_create(
        order=shop.order,
        items=[services.RequestedItem(shop.shirt.pk, 1, "damaged", description=f"Torn, see {URL} {WORD}")],
        by=Actor.customer(),
    )
    services.return_add_message(return_request=rr, by=Actor.customer(), body=f"Photos here: {URL}\n{WORD}")
    services.return_add_message(return_request=rr, by=Actor.staff(agent), body=f"Thanks! We read {URL} — {WORD}")
    services.return_add_note(return_request=rr, by=Actor.staff(agent), body=f"Checked {URL} {WORD}")
    return rr


def test_the_status_page_fits_the_screen_with_long_messages(page, live_server, wordy_return, screenshot):
    page.goto(f"{live_server.url}/returns/status/{wordy_return.customer_token}/")
    expect(page.locator("#messages").get_by_text(URL).first).to_be_visible()
    assert_fits(page, "the status page")
    screenshot("phone-status-long-text")


def test_the_desk_ticket_fits_the_screen_with_long_messages(page, live_server, wordy_return, screenshot):
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill("ana")
    page.get_by_label("Password").fill("pw")
    page.get_by_role("button", name="Log in").click()
    page.goto(f"{live_server.url}/desk/returns/{wordy_return.pk}/")
    expect(page.get_by_text(f"Checked {URL}").first).to_be_visible()
    assert_fits(page, "the desk ticket")
    screenshot("phone-ticket-long-text")


def test_a_refused_message_on_the_status_page_is_summarised_at_the_top(page, live_server, wordy_return, screenshot):
    """The message box is far down a phone's status page: a refused message is summarised on the first screen."""
    page.set_viewport_size(PHONE)
    page.goto(f"{live_server.url}/returns/status/{wordy_return.customer_token}/")
    page.locator("#messages").get_by_label("Your message").fill("   ")
    page.locator("#messages").get_by_role("button", name="Send message").click()
    summary = page.locator("[data-error-summary]")
    expect(summary).to_be_focused()
    box = summary.bounding_box()
    assert box is not None and box["y"] + box["height"] <= PHONE["height"], "the summary is not on the first screen"
    screenshot("phone-status-message-refused", widths=(390,))
    summary.get_by_role("link", name="Write your message before sending it.").click()
    expect(page.locator("#messages").get_by_label("Your message")).to_be_focused()
