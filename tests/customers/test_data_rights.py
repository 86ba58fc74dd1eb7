"""A customer's data rights: a manager exports everything held about one email, or erases it; the retention
schedule erases customers with no activity for the set number of months."""

import datetime as dt
import io
import json
import re
import zipfile
from email.message import EmailMessage

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from PIL import Image

from returns_desk.core import clock
from returns_desk.core.actors import Actor
from returns_desk.customers.models import CustomerDataRequest, CustomerFlag
from returns_desk.desk.customer_data.retention import erase_inactive_customers, months_before
from returns_desk.notifications.inbound import inbound_email_receive
from returns_desk.notifications.models import InboundAttachment, InboundEmail, OutboundEmail
from returns_desk.orders.models import Order
from returns_desk.payments.models import Refund, StoreCredit
from returns_desk.returns import services
from returns_desk.returns.models import ReturnPhoto, ReturnRequest, SurveyResponse
from tests.factories import OrderFactory, StoreCreditFactory, return_in_state

JANE = "Jane.Doe@Example.com"  # as the shop sent it: the desk finds her in any case
BOB = "bob.brown@example.com"
PAGE = "/desk/customer-data/"
# What a strict Content-Security-Policy blocks: an inline script, a <style> element, a style="" or on…="" attribute.
INLINE = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>|<style\b|\sstyle\s*=|\son[a-z]+\s*=\s*[\"']", re.IGNORECASE)


def jpeg(colour: str) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), colour).save(out, format="JPEG")
    return out.getvalue()


def add_photo(rr: ReturnRequest, colour: str) -> ReturnPhoto:
    name = default_storage.save(f"return-photos/staged/test/{rr.rma_number}-{colour}.jpg", ContentFile(jpeg(colour)))
    return ReturnPhoto.objects.create(item=rr.items.get(), image=name)


def email_from(sender: str, rr: ReturnRequest, text: str, *, message_id: str) -> InboundEmail:
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = sender, "returns@shop.example", f"About {rr.rma_number}"
    message["Message-ID"] = message_id
    message.set_content(text)
    message.add_attachment(jpeg("green"), maintype="image", subtype="jpeg", filename="receipt scan.jpg")
    return inbound_email_receive(message=message, source="maildir")


def customer_with_history(email: str, name: str, address: str, *, words: str, phone: str, note_by) -> ReturnRequest:
    """A finished return with everything a customer leaves behind: a refund, store credit, a described item and
    its photo, messages both ways, an internal note, a rating, and an email with an attachment."""
    order = OrderFactory(email=email, customer_name=name, shipping_address=address)
    rr = return_in_state("resolved", order=order)
    rr.items.update(condition_description=f"{words}: the seam split")
    add_photo(rr, "red" if "Jane" in name else "blue")
    services.return_add_message(return_request=rr, by=Actor.customer(), body=f"{words}: call me on {phone}")
    services.return_add_note(return_request=rr, by=note_by, body=f"{name} phoned about the refund")
    services.return_record_survey(return_request=rr, score=4, comment=f"{words}: quick and kind")
    StoreCreditFactory(return_request=rr, email=email.lower(), amount=250, code=f"SC-{rr.pk:08d}")
    email_from(email, rr, f"{words}: here is my receipt", message_id=f"<{rr.pk}@mail>")
    return ReturnRequest.objects.get(pk=rr.pk)


@pytest.fixture
def jane(manager):
    address = "1 High Street\nBristol BS1 1AA"
    by = Actor.staff(manager)
    return customer_with_history(JANE, "Jane Doe", address, words="Jane wrote this", phone="07700 900123", note_by=by)


@pytest.fixture
def bob(manager):
    address = "9 Low Road\nLeeds LS1 1AA"
    by = Actor.staff(manager)
    return customer_with_history(BOB, "Bob Brown", address, words="Bob wrote this", phone="07700 900456", note_by=by)


def export(client, email: str, **extra):
    return client.post(f"{PAGE}export/", {"email": email, **extra})


def erase(client, email: str, confirm: str | None = None, **extra):
    return client.post(f"{PAGE}erase/", {"email": email, "confirm": email if confirm is None else confirm, **extra})


def unzip(response) -> tuple[dict, dict[str, bytes]]:
    bundle = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    files = {name: bundle.read(name) for name in bundle.namelist()}
    return json.loads(files.pop("customer-data.json")), files


# --- export ----------------------------------------------------------------------------------------


def test_a_manager_downloads_everything_held_about_a_customer_and_nothing_of_another(client, manager, jane, bob):
    client.force_login(manager)
    response = export(client, "jane.doe@example.com", reason="their email of 3 May")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert "attachment" in response["Content-Disposition"] and ".zip" in response["Content-Disposition"]
    assert "no-store" in response["Cache-Control"]
    document, files = unzip(response)

    [order] = document["orders"]
    assert (order["number"], order["name"], order["shipping_address"]) == (
        jane.order.number,
        "Jane Doe",
        "1 High Street\nBristol BS1 1AA",
    )
    [rr] = document["returns"]
    assert rr["rma_number"] == jane.rma_number
    assert rr["items"][0]["your_description"] == "Jane wrote this: the seam split"
    assert rr["survey"]["comment"] == "Jane wrote this: quick and kind"
    assert [r["amount"] for r in rr["refunds"]] == [r.amount for r in jane.refunds.all()] and rr["refunds"]
    timeline = {entry["text"]: entry for entry in rr["timeline"]}
    assert timeline["Jane wrote this: call me on 07700 900123"]["visible_to_customer"] is True
    assert timeline["Jane Doe phoned about the refund"]["visible_to_customer"] is False  # an internal note
    assert [c["amount"] for c in document["store_credit"]] == [250]
    assert document["emails_sent"] and {e["to"] for e in document["emails_sent"]} == {JANE}
    [received] = document["emails_received"]
    assert received["text"].startswith("Jane wrote this: here is my receipt")

    # Files: her photo and her attachment, byte for byte; nothing missing.
    photo = jane.items.get().photos.get()
    assert files[rr["items"][0]["photos"][0]] == default_storage.open(photo.image.name).read()
    inbound = InboundEmail.objects.get(return_request=jane)
    assert received["attachments"] == [f"emails/{inbound.pk}/receipt_scan.jpg"]
    assert files[received["attachments"][0]] == jpeg("green")
    assert sorted(files) == sorted([rr["items"][0]["photos"][0], received["attachments"][0]])
    assert document["files_not_found"] == []

    # Nothing of Bob's, anywhere in the zip.
    everything = json.dumps(document).lower() + " ".join(files).lower()
    for his in ("bob", bob.rma_number.lower(), bob.order.number.lower(), "leeds"):
        assert his not in everything

    # On her return's timeline, and in the audit log.
    note = jane.events.get(data__customer_data="export")
    assert (note.kind, note.actor_user, note.visible_to_customer) == ("note", manager, False)
    assert "their email of 3 May" in note.body
    audit = CustomerDataRequest.objects.get()
    assert (audit.action, audit.email, audit.performed_by) == ("export", JANE.lower(), manager)
    assert audit.summary["photos"] == 1
    assert not bob.events.filter(data__customer_data="export").exists()


def test_export_queries_do_not_grow_with_the_customers_rows(client, manager, jane):
    client.force_login(manager)
    with CaptureQueriesContext(connection) as one:
        assert export(client, JANE).status_code == 200
    for n in range(3):  # two more returns, each with a photo, messages and emails
        rr = return_in_state("rejected", order=OrderFactory(email=JANE))
        add_photo(rr, "yellow")
        services.return_add_message(return_request=rr, by=Actor.customer(), body=f"message {n}")
    with CaptureQueriesContext(connection) as four:
        response = export(client, JANE)
    assert len(unzip(response)[0]["returns"]) == 4
    # The same reads; only one more timeline note per return is written.
    assert len(four) <= len(one) + 3, [q["sql"] for q in four.captured_queries]
    assert len(four) <= 45
    with CaptureQueriesContext(connection) as erasing:
        assert erase(client, JANE).status_code == 302
    # Reads and rewrites by id, whatever the rows; per return only its closing and its note.
    assert len(erasing) <= 50 + 8 * 4, [q["sql"] for q in erasing.captured_queries]


def test_export_of_an_address_nothing_is_held_about_says_so(client, manager, jane):
    client.force_login(manager)
    response = export(client, "nobody@example.com")
    assert response.status_code == 400
    assert "Nothing is held about nobody@example.com" in response.content.decode()
    assert not CustomerDataRequest.objects.exists()


# --- who may ---------------------------------------------------------------------------------------


def test_agents_are_refused_the_page_the_export_and_the_erasure(client, agent, jane):
    client.force_login(agent)
    assert client.get(PAGE, {"email": JANE}).status_code == 403
    assert export(client, JANE).status_code == 403
    assert erase(client, JANE).status_code == 403
    assert not CustomerDataRequest.objects.exists()
    assert Order.objects.get(pk=jane.order_id).email == JANE


def test_the_page_shows_what_is_held_and_what_erasing_keeps(client, manager, jane):
    client.force_login(manager)
    page = client.get(PAGE, {"email": "JANE.DOE@example.com"}).content.decode()
    assert "Held about jane.doe@example.com" in page
    assert "Download the customer's data (.zip)" in page
    assert "Erase this customer's personal data" in page
    assert "Kept, as the accounts require" in page
    response = client.get(PAGE, {"email": JANE})
    assert "no-store" in response["Cache-Control"] and "script-src 'self'" in response["Content-Security-Policy"]
    assert not INLINE.findall(response.content.decode())  # nothing the strict policy would block
    bad = client.get(PAGE, {"email": "not an address"})
    assert bad.status_code == 400 and "Enter a valid email address." in bad.content.decode()


# --- erasure ---------------------------------------------------------------------------------------


def test_erasing_replaces_personal_data_deletes_files_and_keeps_the_money(
    client, manager, jane, bob, django_capture_on_commit_callbacks
):
    client.force_login(manager)
    CustomerFlag.objects.create(email=JANE, kind="watch", note="Jane Doe returns a lot")
    export(client, JANE, reason="Jane Doe's letter")
    photo_name = jane.items.get().photos.get().image.name
    attachment_name = InboundAttachment.objects.get(inbound__return_request=jane).file.name
    refunds_before = list(Refund.objects.filter(return_request=jane).values_list("amount", "status", "created_at"))
    old_token = jane.customer_token

    with django_capture_on_commit_callbacks(execute=True):
        response = erase(client, JANE, confirm=" jane.doe@EXAMPLE.com ", reason="Jane Doe asked by email")
    assert response.status_code == 302 and response["Location"] == PAGE
    audit = CustomerDataRequest.objects.get(action="erase")
    placeholder = audit.email
    assert placeholder.startswith("erased-") and placeholder.endswith("@erased.invalid")
    assert placeholder in client.get(PAGE).content.decode()  # told on the page it leads back to

    order, rr = Order.objects.get(pk=jane.order_id), ReturnRequest.objects.get(pk=jane.pk)
    assert (order.email, order.customer_name, order.shipping_address) == (placeholder, "", "")
    assert (rr.email, rr.customer_name) == (placeholder, "")
    assert rr.customer_token != old_token  # the emailed status link is dead
    assert rr.status == "closed"  # finished: no follow-up or survey email can go to the placeholder
    assert rr.items.get().condition_description == ""
    assert SurveyResponse.objects.get(return_request=rr).comment == "" and rr.survey.score == 4
    # Files: gone from storage, with their rows.
    assert not ReturnPhoto.objects.filter(item__return_request=rr).exists()
    assert not default_storage.exists(photo_name)
    assert not default_storage.exists(attachment_name)
    assert not InboundAttachment.objects.filter(inbound__return_request=rr).exists()
    # Emails: the address and bodies gone; none left to send.
    assert set(OutboundEmail.objects.filter(return_request=rr).values_list("to_email", "text_body")) == {
        (placeholder, "(erased)")
    }
    assert not OutboundEmail.objects.filter(return_request=rr, status__in=["queued", "sending"]).exists()
    inbound = InboundEmail.objects.get(return_request=rr)
    assert (inbound.from_email, inbound.text, inbound.subject) == (placeholder, "(erased)", "")
    # Money kept: refunds as they were, store credit under the placeholder.
    refunds = Refund.objects.filter(return_request=rr)
    assert list(refunds.values_list("amount", "status", "created_at")) == refunds_before
    assert list(StoreCredit.objects.filter(return_request=rr).values_list("email", "amount")) == [(placeholder, 250)]
    assert not CustomerFlag.objects.filter(email=JANE.lower()).exists()
    # The timeline: her words out, the note of the erasure in, by the manager.
    bodies = list(rr.events.values_list("actor_kind", "body"))
    assert ("customer", "(erased)") in bodies
    assert ("staff", "(erased) phoned about the refund") in bodies
    note = rr.events.get(data__customer_data="erase")
    assert note.actor_user == manager and note.kind == "note"
    assert "(erased) asked by email" in note.body and audit.reason == "(erased) asked by email"
    # The audit log keeps no trace of her address, the earlier export's entry included.
    assert set(CustomerDataRequest.objects.values_list("action", "email", "reason")) == {
        ("export", placeholder, "(erased)'s letter"),
        ("erase", placeholder, "(erased) asked by email"),
    }

    # Nothing anywhere in the database still names her; Bob is untouched.
    dump = io.StringIO()
    call_command("dumpdata", "orders", "returns", "notifications", "payments", "customers", "desk", stdout=dump)
    everything = dump.getvalue().lower()
    for hers in ("jane", "doe@", "high street", "bs1 1aa", "900123"):  # her words all begin "Jane wrote this"
        assert hers not in everything, hers
    assert Order.objects.get(pk=bob.order_id).customer_name == "Bob Brown"
    assert bob.items.get().photos.count() == 1 and "bob wrote this" in everything


def test_erasure_needs_the_address_typed_again_and_changes_nothing_otherwise(client, manager, jane):
    client.force_login(manager)
    response = erase(client, JANE, confirm="jane@example.com")
    assert response.status_code == 400
    assert f"Type {JANE.lower()} exactly as shown to confirm the erasure." in response.content.decode()
    for garbage in ({}, {"email": "not an address", "confirm": "not an address"}, {"email": JANE}):
        assert client.post(f"{PAGE}erase/", garbage).status_code == 400
    assert Order.objects.get(pk=jane.order_id).email == JANE
    assert jane.items.get().photos.count() == 1
    assert not CustomerDataRequest.objects.exists()


def test_erasure_waits_for_an_open_return_and_says_which(client, manager, jane):
    open_return = return_in_state("approved", order=OrderFactory(email=JANE.lower()))
    client.force_login(manager)
    page = client.get(PAGE, {"email": JANE}).content.decode()
    assert f"{open_return.rma_number} is still open" in page
    response = erase(client, JANE)
    assert response.status_code == 400
    assert f"{open_return.rma_number} is still open" in response.content.decode()
    assert Order.objects.get(pk=jane.order_id).customer_name == "Jane Doe"
    assert ReturnRequest.objects.get(pk=jane.pk).status == "resolved"  # not even closed
    assert not CustomerDataRequest.objects.exists()


def test_an_erased_placeholder_cannot_be_erased_again(client, manager, jane):
    client.force_login(manager)
    erase(client, JANE)
    placeholder = CustomerDataRequest.objects.get().email
    assert "nothing personal is left to erase" in client.get(PAGE, {"email": placeholder}).content.decode()
    response = erase(client, placeholder)
    assert response.status_code == 400
    assert "already an erased customer" in response.content.decode()


# --- retention -------------------------------------------------------------------------------------


def long_ago_customer(email: str, when: dt.datetime, manager) -> ReturnRequest:
    with clock.frozen_at(when):
        order = OrderFactory(email=email, placed_at=when - dt.timedelta(days=10), delivered_at=when)
        rr = return_in_state("resolved", order=order)
        add_photo(rr, "white")
        services.return_add_message(return_request=rr, by=Actor.customer(), body="old words")
    ReturnRequest.objects.filter(pk=rr.pk).update(created_at=when, updated_at=when)
    return rr


def test_retention_is_off_by_default(reference_data, manager):
    rr = long_ago_customer("old@example.com", clock.now() - dt.timedelta(days=3 * 365), manager)
    assert erase_inactive_customers() == "retention off (CUSTOMER_RETENTION_MONTHS is 0)"
    assert ReturnRequest.objects.get(pk=rr.pk).email == "old@example.com"


def test_retention_erases_only_customers_inactive_for_the_period(
    settings, reference_data, manager, django_capture_on_commit_callbacks
):
    settings.CUSTOMER_RETENTION_MONTHS = 12
    long_ago = clock.now() - dt.timedelta(days=400)
    gone = long_ago_customer("gone@example.com", long_ago, manager)
    wrote_lately = long_ago_customer("wrote@example.com", long_ago, manager)
    with clock.frozen_at(clock.now() - dt.timedelta(days=30)):  # an email a month ago keeps its sender
        email_from("wrote@example.com", wrote_lately, "still here", message_id="<lately@mail>")
    still_open = long_ago_customer("open@example.com", long_ago, manager)
    ReturnRequest.objects.filter(pk=still_open.pk).update(status="refund_failed")  # stuck, but not finished
    recent = return_in_state("resolved", order=OrderFactory(email="recent@example.com"))
    with clock.frozen_at(long_ago):  # someone who only ever wrote (naming another's return: left for triage)
        stranger = email_from("stranger@example.com", gone, "who am I", message_id="<stranger@mail>")
    assert stranger.status == "triage"
    photo = gone.items.get().photos.get().image.name

    with django_capture_on_commit_callbacks(execute=True):
        result = erase_inactive_customers()
    assert result == "erased 2 customer(s) with no activity for 12 months; 0 kept"
    stranger.refresh_from_db()
    assert stranger.from_email.endswith("@erased.invalid") and stranger.text == "(erased)"
    erased = ReturnRequest.objects.get(pk=gone.pk)
    assert erased.email.endswith("@erased.invalid") and not default_storage.exists(photo)
    note = erased.events.get(data__customer_data="erase")
    assert (note.actor_kind, note.actor_user) == ("system", None)
    assert "no activity for 12 months" in note.body
    audits = CustomerDataRequest.objects.all()
    assert {(a.action, a.performed_by, a.performed_by_label) for a in audits} == {("erase", None, "Retention schedule")}
    assert len(audits) == 2
    for kept in (wrote_lately, still_open, recent):
        assert not ReturnRequest.objects.get(pk=kept.pk).email.endswith("@erased.invalid")
    assert erase_inactive_customers().startswith("erased 0 customer(s)")  # a second run finds nobody new


def test_retention_periods_count_calendar_months():
    moment = dt.datetime(2025, 3, 31, 12, 0, tzinfo=dt.UTC)
    assert months_before(moment, 1) == dt.datetime(2025, 2, 28, 12, 0, tzinfo=dt.UTC)
    assert months_before(moment, 15) == dt.datetime(2023, 12, 31, 12, 0, tzinfo=dt.UTC)


def test_the_retention_task_is_scheduled_daily(settings):
    task = settings.PERIODIC_TASKS["erase-inactive-customers"]
    assert task == {"func": "returns_desk.desk.customer_data.retention.erase_inactive_customers", "minutes": 1440}
