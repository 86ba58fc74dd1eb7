"""The customer's self-service pages, driven through Django's test client against the real database."""

import datetime as dt
import io
import re

import pytest
from django.core.cache import cache
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone
from PIL import Image

from returns_desk.core.clock import frozen_at
from returns_desk.notifications.models import OutboundEmail
from returns_desk.policies.models import ReturnPolicy
from returns_desk.returns.models import ReturnPhoto, ReturnRequest, SurveyResponse
from returns_desk.returns.photos import STAGED_PREFIX
from returns_desk.returns.tasks import purge_staged_photos
from tests.support.storage import files_under

from .shop import EMAIL, build_shop, image_bytes

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fresh_cache():
    cache.clear()  # the lookup limit counts in the cache
    yield
    cache.clear()


@pytest.fixture
def shop(reference_data):
    return build_shop()


def look_up(client, number="100123", email=EMAIL):
    return client.post("/returns/", {"order_number": number, "email": email})


def line_data(line, quantity=1, reason="damaged", description="", **extra):
    prefix = f"line-{line.pk}"
    data = {f"{prefix}-quantity": quantity, f"{prefix}-reason": reason, f"{prefix}-description": description}
    data.update({f"{prefix}-{k}": v for k, v in extra.items()})
    return data


def draft_key(client) -> str:
    return client.session["portal_return_draft"]["key"]


def post_step(client, step, data=None, **kwargs):
    """Post a step's form as the page does: with the draft it was shown for."""
    return client.post(f"/returns/new/{step}/", {"draft": draft_key(client), **(data or {})}, **kwargs)


def outcome_for_all(client, resolution, extra=None):
    """The outcome step's form with `resolution` chosen for every item in the draft."""
    lines = [k for k, v in client.session["portal_return_draft"]["lines"].items() if v["quantity"]]
    return {**{f"outcome_{line_id}": resolution for line_id in lines}, **(extra or {})}


def staged_files() -> list[str]:
    return files_under(STAGED_PREFIX)


def photo(name="crack.jpg", content=None, content_type="image/jpeg"):
    return SimpleUploadedFile(name, content if content is not None else image_bytes(), content_type=content_type)


def submit_return(client, shop, *, resolution="refund", items=None, extra_outcome=None):
    assert look_up(client).status_code == 302
    data = items or {**line_data(shop.shirt, 2, "damaged", "Seam split"), **line_data(shop.jeans, 0, "")}
    assert post_step(client, "items", data).status_code == 302
    response = post_step(client, "outcome", outcome_for_all(client, resolution, extra_outcome))
    assert response.status_code == 302, response.content.decode()
    response = post_step(client, "review")
    assert response.status_code == 302, response.content.decode()
    return ReturnRequest.objects.get(order=shop.order, customer_token=response["Location"].split("/")[-2])


# --- finding the order -------------------------------------------------------------------------------------


def test_start_page_asks_for_order_number_and_email(client, db):
    page = client.get("/returns/").content.decode()
    assert '<label for="id_order_number">Order number</label>' in page
    assert '<label for="id_email">Email</label>' in page
    assert "csrfmiddlewaretoken" in page


def test_unknown_order_and_wrong_email_get_the_same_message_and_keep_what_was_typed(client, shop):
    wrong_email = look_up(client, email="someone@else.example")
    unknown = look_up(client, number="999999")
    assert wrong_email.status_code == unknown.status_code == 400
    message = "We couldn&#x27;t find an order with that number and email address."
    assert message in wrong_email.content.decode() and message in unknown.content.decode()
    assert 'value="999999"' in unknown.content.decode()
    assert "portal_return_draft" not in client.session


def test_order_number_with_hash_and_email_in_capitals_are_accepted(client, shop):
    response = look_up(client, number=" #100123 ", email="CASEY@Example.com")
    assert response.status_code == 302 and response["Location"] == "/returns/new/items/"


def test_a_clients_failed_lookups_slow_that_client(client, shop, settings):
    """(The per-order ceiling, and why a stranger cannot lock an owner out: tests/portal/test_lookup_limits.py.)"""
    settings.PORTAL_LOOKUP_LIMIT = 3
    for n in range(3):
        assert look_up(client, number=f"nope-{n}").status_code == 400  # one client, different orders
    refused = look_up(client)
    assert refused.status_code == 429
    assert "Too many attempts" in refused.content.decode()


# --- choosing items -----------------------------------------------------------------------------------------


def test_items_page_explains_each_line_that_cannot_be_returned(client, shop):
    look_up(client)
    page = client.get("/returns/new/items/").content.decode()
    assert "Silk scarf</strong>: Final sale items can&#x27;t be returned." in page
    assert "Gift card</strong>: Items in the category “gift-cards” can&#x27;t be returned." in page
    assert f'name="line-{shop.shirt.pk}-quantity"' in page
    assert f'name="line-{shop.final_sale.pk}-quantity"' not in page  # not offered at all
    assert "Returnable until" in page


def test_return_window_closed_is_said_with_its_date(client, reference_data):
    shop = build_shop(number="100200", delivered_days_ago=45)
    look_up(client, number="100200")
    page = client.get("/returns/new/items/").content.decode()
    assert "The return window closed on" in page
    assert "Nothing on this order can be returned now" in page
    assert shop.order.returns.count() == 0


def test_a_chosen_item_without_reason_is_refused_next_to_the_field_keeping_what_was_typed(client, shop):
    look_up(client)
    response = post_step(client, "items", line_data(shop.shirt, 1, "", "The <b>seam</b> split"))
    page = response.content.decode()
    assert response.status_code == 400
    # The error is named by the field's aria-describedby, so a screen reader reads it with the field.
    error_id = f"id_line-{shop.shirt.pk}-reason_error"
    assert f'<div id="{error_id}"><p class="error">Choose why you are returning this item.' in page
    assert re.search(rf'<select[^>]*aria-describedby="[^"]*{error_id}', page)
    assert "The &lt;b&gt;seam&lt;/b&gt; split</textarea>" in page


def test_choosing_nothing_says_so(client, shop):
    look_up(client)
    response = post_step(client, "items", line_data(shop.shirt, 0, ""))
    assert response.status_code == 400
    assert "Choose at least one item to return" in response.content.decode()


def test_quantity_above_what_is_returnable_is_refused(client, shop):
    look_up(client)
    response = post_step(client, "items", line_data(shop.shirt, 3, "damaged"))
    assert response.status_code == 400
    assert "Select a valid choice. 3 is not one of the available choices." in response.content.decode()


def test_steps_need_a_looked_up_order(client, db):
    for path in ("/returns/new/items/", "/returns/new/outcome/", "/returns/new/review/"):
        response = client.get(path)
        assert response.status_code == 302 and response["Location"] == "/returns/"


# --- photos ------------------------------------------------------------------------------------------------


def test_photos_are_reencoded_without_metadata_and_attached_on_confirm(
    client, shop, django_capture_on_commit_callbacks
):
    look_up(client)
    upload = photo("IMG_0001.PNG", image_bytes("PNG", exif=True), "image/png")
    data = {**line_data(shop.shirt, 1, "damaged"), f"line-{shop.shirt.pk}-photos": [upload]}
    with django_capture_on_commit_callbacks(execute=True):  # the worker's task re-encodes it
        assert post_step(client, "items", data).status_code == 302
    post_step(client, "outcome", outcome_for_all(client, "refund"))
    post_step(client, "review")
    stored = ReturnPhoto.objects.get()
    with default_storage.open(stored.image.name, "rb") as f:
        content = f.read()
    image = Image.open(io.BytesIO(content))
    assert image.format == "JPEG"
    assert b"SpyCam" not in content and not image.getexif()


def test_an_oversized_photo_is_refused_and_nothing_is_saved(client, shop):
    before = staged_files()
    look_up(client)
    big = photo("huge.jpg", image_bytes() + b"\0" * (5 * 1024 * 1024))
    good = photo("fine.jpg")
    data = {**line_data(shop.shirt, 1, "damaged", "Seam split"), f"line-{shop.shirt.pk}-photos": [good, big]}
    response = post_step(client, "items", data)
    assert response.status_code == 400
    assert "“huge.jpg” is larger than 5 MB" in response.content.decode()
    assert staged_files() == before and ReturnPhoto.objects.count() == 0
    assert "Seam split</textarea>" in response.content.decode()


def test_a_file_disguised_as_a_photo_is_refused_and_nothing_is_saved(client, shop):
    before = staged_files()
    look_up(client)
    disguised = photo("holiday.jpg", b"<html><script>alert(1)</script></html>", "image/jpeg")
    gif = photo("anim.jpg", image_bytes("GIF"), "image/jpeg")
    for bad in (disguised, gif):
        data = {**line_data(shop.shirt, 1, "damaged"), f"line-{shop.shirt.pk}-photos": [photo("ok.jpg"), bad]}
        response = post_step(client, "items", data)
        assert response.status_code == 400
        assert "is not a JPEG, PNG or WebP photo" in response.content.decode()
    assert staged_files() == before and ReturnPhoto.objects.count() == 0


def test_more_than_five_photos_are_refused(client, shop):
    before = staged_files()
    look_up(client)
    data = {
        **line_data(shop.shirt, 1, "damaged"),
        f"line-{shop.shirt.pk}-photos": [photo(f"{n}.jpg") for n in range(6)],
    }
    response = post_step(client, "items", data)
    assert "at most 5 photos" in response.content.decode()
    assert staged_files() == before


def test_abandoned_staged_photos_are_purged_but_attached_ones_kept(
    client, shop, settings, django_capture_on_commit_callbacks
):
    for name in staged_files():  # the in-memory storage outlives a test
        default_storage.delete(name)
    with django_capture_on_commit_callbacks(execute=True):  # the worker's task re-encodes the photos
        rr = submit_return(
            client,
            shop,
            items={**line_data(shop.shirt, 1, "damaged"), f"line-{shop.shirt.pk}-photos": [photo()]},
        )
        look_up(client)
        post_step(client, "items", {**line_data(shop.jeans, 1, "damaged"), f"line-{shop.jeans.pk}-photos": [photo()]})
    assert len(staged_files()) == 2
    with frozen_at(timezone.now() + dt.timedelta(hours=settings.STAGED_PHOTO_MAX_AGE_HOURS + 1)):
        purge_staged_photos()
    kept = rr.items.get().photos.get().image.name
    assert staged_files() == [kept]


# --- outcome, review and confirmation ----------------------------------------------------------------------


def test_outcome_page_offers_each_item_its_own_choice_and_names_the_fees(client, shop):
    look_up(client)
    post_step(client, "items", line_data(shop.shirt, 2, "doesnt-fit"))
    page = client.get("/returns/new/outcome/").content.decode()
    assert "2 × Linen shirt (M) ($98.00)" in page
    assert "Store credit with a 10% bonus" in page
    assert "Restocking fee (10%): −$9.80" in page and "−$5.95" in page
    assert f'<option value="{shop.shirt_l.pk}">Size L</option>' in page
    assert "Size XL" not in page  # out of stock


def test_review_shows_the_breakdown_of_what_was_chosen(client, shop):
    look_up(client)
    post_step(client, "items", line_data(shop.shirt, 2, "doesnt-fit"))
    post_step(client, "outcome", outcome_for_all(client, "refund"))
    page = client.get("/returns/new/review/").content.decode()
    # 2 × 49.00 = 98.00; restocking 10% = 9.80; return shipping 5.95 -> refund 82.25
    assert "2 × Linen shirt (M) at $49.00 — Doesn" in page
    assert "Restocking fee (10%)" in page and "−$9.80" in page
    assert "−$5.95" in page and "$82.25" in page


def test_whole_return_by_refund_creates_the_rma_queues_the_email_and_shows_the_status_link(client, shop):
    rr = submit_return(client, shop)
    assert rr.rma_number.startswith("RMA-") and rr.status == "requested" and rr.resolution == "refund"
    assert rr.quoted_amount == 2 * 4900  # damaged: the shop pays, no fees
    item = rr.items.get()
    assert (item.quantity, item.reason.code, item.condition_description) == (2, "damaged", "Seam split")
    assert OutboundEmail.objects.filter(return_request=rr, kind="acknowledgement").count() == 1
    page = client.get(f"/returns/status/{rr.customer_token}/").content.decode()
    assert f"Thank you. Your return number is {rr.rma_number}." in page
    assert f"/returns/status/{rr.customer_token}/" in page
    assert "We have your return request" in page and "We aim to do this by" in page
    assert "portal_return_draft" not in client.session  # a second confirm cannot create a second return
    assert client.post("/returns/new/review/", {"draft": "the-old-key"}).status_code == 302
    assert ReturnRequest.objects.count() == 1


def test_review_shows_the_same_figure_the_return_records(client, shop):
    look_up(client)
    post_step(client, "items", line_data(shop.shirt, 1, "changed-mind"))
    post_step(client, "outcome", outcome_for_all(client, "store_credit"))
    page = client.get("/returns/new/review/").content.decode()
    # 49.00 - 4.90 - 5.95 = 38.15; + 10% bonus = 3.82 (rounded half up) -> 41.97
    assert "$41.97" in page
    post_step(client, "review")
    assert ReturnRequest.objects.get().quoted_amount == 4197


def test_exchange_records_the_chosen_size_and_needs_one(client, shop):
    look_up(client)
    post_step(client, "items", line_data(shop.shirt, 1, "doesnt-fit"))
    missing = post_step(client, "outcome", outcome_for_all(client, "exchange"))
    assert missing.status_code == 400
    assert "Choose what you would like instead of Linen shirt (M)." in missing.content.decode()
    post_step(client, "outcome", outcome_for_all(client, "exchange", {f"exchange_{shop.shirt.pk}": shop.shirt_l.pk}))
    assert "Linen shirt (L)" in client.get("/returns/new/review/").content.decode()
    post_step(client, "review")
    item = ReturnRequest.objects.get().items.get()
    assert item.exchange_product == shop.shirt_l


def test_an_item_with_no_size_in_stock_says_why_and_its_exchange_is_refused(client, shop):
    look_up(client)
    post_step(client, "items", {**line_data(shop.shirt, 1, "doesnt-fit"), **line_data(shop.jeans, 1, "doesnt-fit")})
    page = client.get("/returns/new/outcome/").content.decode()
    assert "No size or colour of Selvedge jeans (32) is in stock at its price or lower just now" in page
    forged = post_step(
        client,
        "outcome",
        outcome_for_all(client, "exchange", {f"exchange_{shop.shirt.pk}": shop.shirt_l.pk}),
    )
    assert forged.status_code == 400
    assert "No size or colour of Selvedge jeans (32) is in stock at its price or lower" in forged.content.decode()
    assert all(not line["resolution"] for line in client.session["portal_return_draft"]["lines"].values())


def test_one_item_exchanged_and_another_refunded_make_one_return_settled_item_by_item(client, shop):
    look_up(client)
    post_step(client, "items", {**line_data(shop.shirt, 1, "doesnt-fit"), **line_data(shop.jeans, 1, "damaged")})
    choice = {
        f"outcome_{shop.shirt.pk}": "exchange",
        f"exchange_{shop.shirt.pk}": shop.shirt_l.pk,
        f"outcome_{shop.jeans.pk}": "refund",
    }
    assert post_step(client, "outcome", choice).status_code == 302
    page = client.get("/returns/new/review/").content.decode()
    assert "Exchange: Linen shirt (L)" in page and "Refund to original payment" in page
    assert post_step(client, "review").status_code == 302
    rr = ReturnRequest.objects.get()
    assert rr.resolution == "mixed"
    by_line = {item.order_line_id: item for item in rr.items.all()}
    assert (by_line[shop.shirt.pk].resolution, by_line[shop.shirt.pk].exchange_product) == ("exchange", shop.shirt_l)
    assert (by_line[shop.jeans.pk].resolution, by_line[shop.jeans.pk].exchange_product) == ("refund", None)
    # The shirt does not fit (the customer pays the return shipping, once), but an exchange pays no restocking fee.
    assert rr.quoted_amount == 11900 + 4900 - 595
    assert rr.items.count() == 2


def test_a_form_from_an_older_draft_is_not_confirmed_against_the_current_one(client, shop):
    look_up(client)
    post_step(client, "items", line_data(shop.shirt, 1, "damaged"))
    post_step(client, "outcome", outcome_for_all(client, "refund"))
    older = draft_key(client)  # tab A is on review for this draft
    look_up(client)  # tab B starts again: a new draft in the same session
    post_step(client, "items", line_data(shop.jeans, 1, "damaged"))
    post_step(client, "outcome", outcome_for_all(client, "store_credit"))
    stale = client.post("/returns/new/review/", {"draft": older}, follow=True)
    assert ReturnRequest.objects.count() == 0
    assert "That page was for a return you started earlier. Nothing was changed" in stale.content.decode()
    assert "Selvedge jeans (32)" in stale.content.decode()  # shown the current draft, to confirm if meant
    for step in ("items", "outcome"):
        assert client.post(f"/returns/new/{step}/", {"draft": older}).status_code == 302
    assert post_step(client, "review").status_code == 302
    assert ReturnRequest.objects.get().resolution == "store_credit"


def test_an_exchange_size_out_of_stock_at_confirm_is_refused_with_nothing_written(client, shop):
    look_up(client)
    post_step(client, "items", line_data(shop.shirt, 1, "doesnt-fit"))
    post_step(client, "outcome", outcome_for_all(client, "exchange", {f"exchange_{shop.shirt.pk}": shop.shirt_l.pk}))
    shop.shirt_l.stock = 0
    shop.shirt_l.save()
    response = post_step(client, "review", follow=True)
    assert "not available any more" in response.content.decode()
    assert ReturnRequest.objects.count() == 0


def test_returnless_refund_is_offered_when_the_policy_allows(client, shop):
    ReturnPolicy.objects.filter(is_active=True).update(returnless_refund_threshold=5000)
    look_up(client)
    post_step(client, "items", line_data(shop.shirt, 1, "changed-mind"))
    page = client.get("/returns/new/outcome/").content.decode()
    assert "If you choose a refund for everything, <strong>you can keep the items</strong>" in page
    post_step(client, "outcome", outcome_for_all(client, "refund"))
    post_step(client, "review")
    rr = ReturnRequest.objects.get()
    assert rr.returnless and rr.quoted_amount == 4900  # no fees when the item stays
    status = client.get(f"/returns/status/{rr.customer_token}/").content.decode()
    assert "No need to send anything back" in status and "I&#x27;ve shipped it" not in status


def test_auto_approval_gives_the_label_straight_away(client, shop):
    ReturnPolicy.objects.filter(is_active=True).update(auto_approve=True)
    rr = submit_return(client, shop)
    assert rr.status == "approved"
    page = client.get(f"/returns/status/{rr.customer_token}/").content.decode()
    assert "Return label (PDF)" in page and "Please send the parcel by" in page
    label = client.get(f"/returns/status/{rr.customer_token}/documents/label.pdf")
    assert label.status_code == 200 and label["Content-Type"] == "application/pdf"


# --- the status page ---------------------------------------------------------------------------------------


def approve(rr):
    from returns_desk.core.actors import Actor
    from returns_desk.returns.services import return_approve

    return return_approve(return_request=rr, by=Actor.system())


def test_ive_shipped_it_records_carrier_and_tracking(client, shop):
    rr = approve(submit_return(client, shop))
    url = f"/returns/status/{rr.customer_token}/"
    short = client.post(url + "shipped/", {"carrier": "DPD", "tracking_number": "12"})
    assert short.status_code == 400 and "too short" in short.content.decode()
    assert 'value="12"' in short.content.decode()
    client.post(url + "shipped/", {"carrier": "DPD", "tracking_number": "15501234 5678"})
    rr.refresh_from_db()
    assert (rr.status, rr.tracking_carrier, rr.tracking_number) == ("in_transit", "DPD", "15501234 5678")
    page = client.get(url).content.decode()
    assert "Your parcel is on its way to us" in page and "Cancel this return" not in page


def test_answering_the_desks_question_moves_the_return_on(client, shop, agent):
    from returns_desk.core.actors import Actor
    from returns_desk.returns.services import return_request_info

    rr = submit_return(client, shop)
    return_request_info(return_request=rr, by=Actor.staff(agent), question="Can you send a photo of the label?")
    url = f"/returns/status/{rr.customer_token}/"
    page = client.get(url).content.decode()
    assert "Can you send a photo of the label?" in page and "Send my answer" in page
    client.post(url + "message/", {"body": "Here it is <b>now</b>."})
    rr.refresh_from_db()
    assert rr.status == "requested"
    assert "Here it is &lt;b&gt;now&lt;/b&gt;." in client.get(url).content.decode()
    client.post(url + "message/", {"body": "And one more thing."})
    assert rr.events.filter(kind="message", actor_kind="customer", body="And one more thing.").exists()
    empty = client.post(url + "message/", {"body": "   "})
    assert empty.status_code == 400 and "Write your message before sending it." in empty.content.decode()


def test_adding_photos_later_attaches_them_to_the_item(client, shop):
    rr = submit_return(client, shop)
    item = rr.items.get()
    url = f"/returns/status/{rr.customer_token}/"
    client.post(url + "photos/", {"item": item.pk, "photos": [photo("a.jpg"), photo("b.webp", image_bytes("WEBP"))]})
    assert item.photos.count() == 2
    bad = client.post(url + "photos/", {"item": item.pk, "photos": [photo("c.jpg", b"%PDF-1.7 not an image")]})
    assert bad.status_code == 400 and "is not a JPEG, PNG or WebP photo" in bad.content.decode()
    assert item.photos.count() == 2
    served = client.get(f"{url}photos/{item.photos.first().pk}.jpg")
    assert served["Content-Type"] == "image/jpeg" and served["X-Content-Type-Options"] == "nosniff"


def test_cancel_before_shipping_and_not_after(client, shop):
    rr = submit_return(client, shop)
    url = f"/returns/status/{rr.customer_token}/"
    client.post(url + "cancel/", {"reason": "Changed my mind"})
    rr.refresh_from_db()
    assert rr.status == "cancelled"
    again = client.post(url + "cancel/", {})
    assert again.status_code == 400 and "Nothing was changed" in again.content.decode()


def test_survey_once_the_return_is_resolved_and_only_once(client, shop, agent):
    from tests.factories import return_in_state

    rr = submit_return(client, shop)
    url = f"/returns/status/{rr.customer_token}/"
    early = client.post(url + "survey/", {"score": 5})
    assert early.status_code == 400 and "once your return is complete" in early.content.decode()
    done = return_in_state("resolved")
    url = f"/returns/status/{done.customer_token}/"
    assert "How did we handle your return?" in client.get(url).content.decode()
    assert client.post(url + "survey/", {"score": 9}).status_code == 400
    client.post(url + "survey/", {"score": 4, "comment": "Quick, thanks"})
    second = client.post(url + "survey/", {"score": 1})
    assert second.status_code == 400 and "already rated" in second.content.decode()
    assert SurveyResponse.objects.get(return_request=done).score == 4
    assert "You rated us 4 out of 5." in client.get(url).content.decode()


# --- security -----------------------------------------------------------------------------------------------


def test_a_link_opens_its_own_return_only(client, shop):
    mine = submit_return(client, shop)
    other_shop = build_shop(number="100999")
    theirs_items = {**line_data(other_shop.shirt, 1, "damaged"), f"line-{other_shop.shirt.pk}-photos": [photo()]}
    client.post("/returns/", {"order_number": "100999", "email": EMAIL})
    post_step(client, "items", theirs_items)
    post_step(client, "outcome", outcome_for_all(client, "refund"))
    post_step(client, "review")
    their_photo = ReturnPhoto.objects.get()
    assert client.get(f"/returns/status/{mine.customer_token}/photos/{their_photo.pk}.jpg").status_code == 404
    missing = client.get("/returns/status/not-a-real-token/")
    assert missing.status_code == 404
    assert "We couldn't find that page" in missing.content.decode() and "Start a return" in missing.content.decode()


def test_the_portal_cannot_reach_staff_pages(client, shop):
    rr = submit_return(client, shop)
    for path in ("/desk/", rr.get_absolute_url(), "/admin/"):
        response = client.get(path)
        assert response.status_code == 302 and "login" in response["Location"]


def test_forms_without_csrf_token_are_refused_in_the_shops_style(shop):
    strict = Client(enforce_csrf_checks=True)
    response = strict.post("/returns/", {"order_number": "100123", "email": EMAIL})
    assert response.status_code == 403
    assert "That form had expired" in response.content.decode()


def test_customer_text_is_escaped_on_the_status_page_and_the_ticket(client, shop, agent):
    items = line_data(shop.shirt, 1, "damaged", "<script>alert('x')</script>")
    rr = submit_return(client, shop, items=items)
    status = client.get(f"/returns/status/{rr.customer_token}/").content.decode()
    assert "<script>alert" not in status and "&lt;script&gt;alert" in status
    client.force_login(agent)
    ticket = client.get(rr.get_absolute_url()).content.decode()
    assert "<script>alert" not in ticket and "&lt;script&gt;alert" in ticket


def test_confirming_the_same_draft_again_opens_no_second_return(client, shop):
    look_up(client)
    post_step(client, "items", line_data(shop.shirt, 1, "damaged"))
    post_step(client, "outcome", outcome_for_all(client, "refund"))
    draft = client.session["portal_return_draft"]
    first = post_step(client, "review")
    session = client.session
    session["portal_return_draft"] = draft  # a second tab, or a resent form, still holding the draft
    session.save()
    second = post_step(client, "review")
    assert first["Location"] == second["Location"]
    assert ReturnRequest.objects.count() == 1
