"""A customer's return in Chromium: from the order lookup to the RMA, and what they do afterwards."""

import pytest
from playwright.sync_api import expect

from returns_desk.core.actors import Actor
from returns_desk.returns import services
from returns_desk.returns.models import ReturnPhoto, ReturnRequest, SurveyResponse
from tests.factories import return_in_state
from tests.portal.shop import EMAIL, build_shop, image_bytes

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def shop(reference_data):
    return build_shop()


def find_order(page, live_server, *, number="100123", email=EMAIL):
    page.goto(f"{live_server.url}/returns/")
    page.get_by_label("Order number").fill(number)
    page.get_by_label("Email").fill(email)
    page.get_by_role("button", name="Find my order").click()


def line(page, title: str):
    return page.locator("fieldset.line-choice", has_text=title)


def test_a_whole_return_from_lookup_to_rma(page, live_server, shop, screenshot, tmp_path):
    page.goto(f"{live_server.url}/returns/")
    screenshot("1-start")
    find_order(page, live_server)
    expect(page.get_by_role("heading", name="Which items are you returning?")).to_be_visible()
    shirt = line(page, "Linen shirt (M)")
    shirt.get_by_label("How many to return").select_option("2")
    shirt.get_by_label("Reason").select_option(label="Doesn't fit")
    shirt.get_by_label("What is wrong, in your words").fill("Too tight across the shoulders.")
    picture = tmp_path / "shoulders.png"
    picture.write_bytes(image_bytes("PNG"))
    shirt.get_by_label("Photos (optional)").set_input_files(str(picture))
    screenshot("2-items")
    page.get_by_role("button", name="Continue").click()

    expect(page.get_by_role("heading", name="What would you like for each item?")).to_be_visible()
    choice = page.locator("fieldset.outcome-line", has_text="Linen shirt (M)")
    expect(page.locator(".fees")).to_contain_text("Restocking fee (10%): −$9.80")
    choice.get_by_label("Store credit with a 10% bonus").check()
    screenshot("3-outcome")
    page.get_by_role("button", name="Review my return").click()

    expect(page.get_by_role("heading", name="Check and confirm")).to_be_visible()
    expect(page.get_by_text("2 × Linen shirt (M)", exact=True)).to_be_visible()
    expect(page.locator("tfoot")).to_contain_text("$90.48")  # 98.00 − 9.80 − 5.95 = 82.25, + 8.23 bonus
    screenshot("4-review")
    page.get_by_role("button", name="Confirm return").click()

    rr = ReturnRequest.objects.get()
    expect(page.get_by_text(f"Thank you. Your return number is {rr.rma_number}.")).to_be_visible()
    status_url = f"{live_server.url}/returns/status/{rr.customer_token}/"
    expect(page.locator(".status-link a")).to_have_attribute("href", status_url)
    expect(page).to_have_url(status_url)
    expect(page.get_by_role("heading", name="We have your return request")).to_be_visible()
    screenshot("5-status")
    assert (rr.resolution, rr.quoted_amount) == ("store_credit", 9048)
    assert ReturnPhoto.objects.filter(item__return_request=rr).count() == 1
    expect(page.get_by_role("img", name="Photo 1 of Linen shirt (M)")).to_be_visible()


def test_an_ineligible_line_is_explained(page, live_server, shop):
    find_order(page, live_server)
    cannot = page.locator("section", has_text="Items that can't be returned")
    expect(cannot).to_contain_text("Silk scarf: Final sale items can't be returned.")
    expect(cannot).to_contain_text("Gift card: Items in the category “gift-cards” can't be returned.")
    expect(line(page, "Silk scarf")).to_have_count(0)


def test_a_wrong_email_is_refused_and_what_was_typed_kept(page, live_server, shop, screenshot):
    page.goto(f"{live_server.url}/returns/")
    # By keyboard only: the order number field has focus, Tab moves on, Enter submits.
    expect(page.get_by_label("Order number")).to_be_focused()
    page.keyboard.type("100123")
    page.keyboard.press("Tab")
    page.keyboard.type("not-casey@example.com")
    page.keyboard.press("Enter")
    expect(page.get_by_role("alert")).to_contain_text("We couldn't find an order with that number and email address.")
    expect(page.get_by_label("Order number")).to_have_value("100123")
    expect(page.get_by_label("Email")).to_have_value("not-casey@example.com")
    screenshot("lookup-refused")


def test_an_oversized_and_a_disguised_upload_are_refused_with_nothing_saved(page, live_server, shop, tmp_path):
    before = ReturnPhoto.objects.count()
    find_order(page, live_server)
    shirt = line(page, "Linen shirt (M)")
    shirt.get_by_label("How many to return").select_option("1")
    shirt.get_by_label("Reason").select_option(label="Arrived damaged")
    shirt.get_by_label("What is wrong, in your words").fill("Seam split.")
    big = tmp_path / "big.jpg"
    big.write_bytes(image_bytes() + b"\0" * (5 * 1024 * 1024 + 1))
    shirt.get_by_label("Photos (optional)").set_input_files(str(big))
    page.get_by_role("button", name="Continue").click()
    shirt = line(page, "Linen shirt (M)")
    expect(shirt).to_contain_text("“big.jpg” is larger than 5 MB")
    expect(shirt.get_by_label("What is wrong, in your words")).to_have_value("Seam split.")

    disguised = tmp_path / "photo.jpg"
    disguised.write_bytes(b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>")
    shirt.get_by_label("Photos (optional)").set_input_files(str(disguised))
    page.get_by_role("button", name="Continue").click()
    expect(line(page, "Linen shirt (M)")).to_contain_text("“photo.jpg” is not a JPEG, PNG or WebP photo.")
    expect(page.get_by_text("photo added")).to_have_count(0)
    assert ReturnPhoto.objects.count() == before
    assert ReturnRequest.objects.count() == 0


def test_the_customer_cancels_before_shipping(page, live_server, shop):
    rr = services.return_create(
        order=shop.order, items=[services.RequestedItem(shop.shirt.pk, 1, "changed-mind")], by=Actor.customer()
    )
    page.goto(f"{live_server.url}/returns/status/{rr.customer_token}/")
    page.get_by_text("Cancel this return").click()
    page.get_by_label("Why are you cancelling? (optional)").fill("Found a better fit elsewhere.")
    page.get_by_role("button", name="Cancel my return").click()
    expect(page.get_by_role("heading", name="This return was cancelled")).to_be_visible()
    expect(page.get_by_role("status")).to_contain_text("Your return is cancelled.")
    expect(page.get_by_role("button", name="Cancel my return")).to_have_count(0)
    rr.refresh_from_db()
    assert rr.status == "cancelled"


def test_ive_shipped_it(page, live_server, shop, screenshot):
    rr = services.return_create(
        order=shop.order, items=[services.RequestedItem(shop.shirt.pk, 1, "damaged")], by=Actor.customer()
    )
    services.return_approve(return_request=rr, by=Actor.system())
    page.goto(f"{live_server.url}/returns/status/{rr.customer_token}/")
    expect(page.get_by_role("link", name="Return label (PDF)")).to_be_visible()
    screenshot("status-approved")
    page.get_by_label("Carrier").select_option("DPD")
    page.get_by_label("Tracking number").fill("1550 1234 5678")
    page.get_by_role("button", name="I've shipped it").click()
    expect(page.get_by_role("heading", name="Your parcel is on its way to us")).to_be_visible()
    expect(page.get_by_text("Your parcel: DPD 1550 1234 5678")).to_be_visible()
    rr.refresh_from_db()
    assert (rr.status, rr.tracking_number) == ("in_transit", "1550 1234 5678")


def test_the_survey_once_resolved(page, live_server, reference_data, screenshot):
    rr = return_in_state("resolved")
    page.goto(f"{live_server.url}/returns/status/{rr.customer_token}/")
    page.get_by_role("button", name="Send rating").click()
    expect(page.locator("#survey")).to_contain_text("Choose a rating from 1 to 5.")
    page.get_by_label("4 — Good").check()
    page.get_by_label("Anything you'd like to tell us? (optional)").fill("Quick and friendly.")
    page.get_by_role("button", name="Send rating").click()
    expect(page.get_by_role("heading", name="Thank you for your rating")).to_be_visible()
    expect(page.get_by_text("You rated us 4 out of 5.")).to_be_visible()
    expect(page.get_by_role("button", name="Send rating")).to_have_count(0)
    screenshot("status-rated")
    assert SurveyResponse.objects.get(return_request=rr).score == 4
