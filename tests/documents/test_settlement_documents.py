"""The document a resolved return gets says how its money went out, dated the day it was resolved.

Refund -> refund receipt (with the card footnote), store credit -> credit note (with the code),
exchange -> exchange confirmation (with the replacements). Each PDF is rendered and read back.
"""

import datetime as dt

import pytest
from django.utils import timezone

from returns_desk.core import clock
from returns_desk.core.actors import Actor
from returns_desk.documents import rendering
from returns_desk.documents.models import Document
from returns_desk.documents.services import available_kinds, document_current
from returns_desk.payments import services as payments
from returns_desk.payments.models import StoreCredit
from returns_desk.returns import services
from returns_desk.returns.models import ReturnRequest
from tests.documents.test_documents import read_pdf, text_of
from tests.factories import ProductFactory, return_in_state, return_row_in_state

CARD_NOTE = "business days"  # "Card refunds usually reach the account within 5–10 business days…"


def stored_text(rr: ReturnRequest, kind: str) -> str:
    doc = document_current(return_id=rr.pk, kind=kind)
    with doc.file.open("rb") as handle:
        return text_of(read_pdf(handle.read()))


def day(moment: dt.datetime | dt.date) -> str:
    if isinstance(moment, dt.datetime):
        moment = timezone.localtime(moment).date()
    return f"{moment.day} {moment:%B %Y}"


@pytest.fixture
def refunded(agent, django_capture_on_commit_callbacks):
    rr = return_in_state("inspected", unit_price=2500, quantity=2)
    with django_capture_on_commit_callbacks(execute=True):
        payments.return_issue_refund(return_request=rr, by=Actor.staff(agent), reference="BANK-4242")
    rr.refresh_from_db()
    assert rr.status == "resolved" and rr.resolved_at is not None
    return rr


@pytest.fixture
def credited(agent, django_capture_on_commit_callbacks):
    rr = return_in_state("inspected", unit_price=2500, quantity=2)
    with django_capture_on_commit_callbacks(execute=True):
        payments.return_issue_store_credit(return_request=rr, by=Actor.staff(agent))
    rr.refresh_from_db()
    assert rr.status == "resolved"
    return rr


@pytest.fixture
def exchanged(agent, django_capture_on_commit_callbacks):
    rr = return_in_state("inspected", unit_price=3000, quantity=2)
    ProductFactory(sku="TEE-L-NAVY", title="Navy tee (L)", stock=4)
    item = rr.items.get()
    with django_capture_on_commit_callbacks(execute=True):
        payments.return_ship_exchange(
            return_request=rr,
            by=Actor.staff(agent),
            carrier="DPD",
            tracking_number="EXTRACK-77",
            replacement_skus={item.pk: "TEE-L-NAVY"},
        )
    rr.refresh_from_db()
    assert rr.status == "resolved"
    return rr


def test_a_refund_gets_the_receipt_with_the_card_footnote(refunded):
    assert available_kinds(refunded) == ["label", "packing_slip", "receipt"]
    text = stored_text(refunded, "receipt")
    assert "Refund receipt" in text and "BANK-4242" in text and "$50.00" in text
    assert CARD_NOTE in text
    assert f"resolved {day(refunded.resolved_at)}" in text
    assert "Credit note" not in text and "Exchange confirmation" not in text


def test_the_receipt_keeps_the_day_it_was_resolved_when_the_return_is_closed_later(refunded):
    before = document_current(return_id=refunded.pk, kind="receipt")
    first_text = stored_text(refunded, "receipt")
    resolved_day = day(refunded.resolved_at)
    assert f"resolved {resolved_day}" in first_text

    with clock.frozen_at(refunded.resolved_at + dt.timedelta(days=9)):
        services.return_close(return_request=refunded, by=Actor.system())
    refunded.refresh_from_db()
    assert refunded.status == "closed"
    assert day(refunded.status_changed_at) != resolved_day  # the last status change is another day

    again = rendering.render(ReturnRequest.objects.get(pk=refunded.pk), "receipt")
    again_text = text_of(read_pdf(again.content))
    assert f"resolved {resolved_day}" in again_text
    assert day(refunded.status_changed_at) not in again_text
    # Nothing printed on it changed, so the stored receipt is the one handed out.
    after = document_current(return_id=refunded.pk, kind="receipt")
    assert (after.pk, after.file.name, after.fingerprint) == (before.pk, before.file.name, before.fingerprint)
    assert again.fingerprint == before.fingerprint


def test_store_credit_gets_a_credit_note_with_code_amount_bonus_and_expiry(credited):
    credit = StoreCredit.objects.get(return_request=credited, kind="issue")
    assert credit.bonus > 0  # the default policy gives a 10% bonus
    assert available_kinds(credited) == ["label", "packing_slip", "credit_note"]
    assert Document.objects.filter(return_request=credited, kind="credit_note").exists()  # rendered on resolution
    text = stored_text(credited, "credit_note")
    assert "Credit note" in text and credited.rma_number in text
    assert credit.code in text
    assert credit.amount_display in text  # $55.00: the settlement plus the bonus
    assert "$5.00" in text and "Of which bonus" in text
    assert day(credit.expires_on) in text
    assert f"resolved {day(credited.resolved_at)}" in text
    assert CARD_NOTE not in text and "Refund receipt" not in text


def test_a_refund_turned_into_store_credit_gets_a_credit_note_not_a_card_footnote(agent):
    rr = return_in_state("refund_failed", unit_price=2000)
    payments.return_issue_store_credit(return_request=rr, by=Actor.staff(agent))
    rr.refresh_from_db()
    assert (rr.status, rr.resolution) == ("resolved", "refund")
    assert "receipt" not in available_kinds(rr) and "credit_note" in available_kinds(rr)
    code = StoreCredit.objects.get(return_request=rr, kind="issue").code
    text = stored_text(rr, "credit_note")
    assert code in text and CARD_NOTE not in text


def test_an_exchange_gets_a_confirmation_listing_the_replacements(exchanged):
    assert available_kinds(exchanged) == ["label", "packing_slip", "exchange_confirmation"]
    text = stored_text(exchanged, "exchange_confirmation")
    assert "Exchange confirmation" in text
    assert "TEE-L-NAVY" in text and "Navy tee (L)" in text
    replacement = exchanged.exchange_order.lines.get()
    assert replacement.quantity == 2
    assert exchanged.exchange_order.number in text and "DPD" in text and "EXTRACK-77" in text
    assert f"resolved {day(exchanged.resolved_at)}" in text
    assert CARD_NOTE not in text and "Refund receipt" not in text


def test_a_resolved_return_without_a_refund_has_no_card_footnote(reference_data):
    rr = return_row_in_state("resolved")  # built directly: no refund row, no milestone stamped
    assert rr.resolved_at is None
    text = text_of(read_pdf(rendering.render(rr, "receipt").content))
    assert "Refund receipt" in text and CARD_NOTE not in text
    # Unstamped, the timeline's first move to "resolved" dates it.
    moved = rr.events.get(to_state="resolved").created_at
    assert f"resolved {day(moved)}" in text


def test_only_the_matching_settlement_document_is_served(credited, exchanged, client):
    cases = [(credited, "credit_note", "credit-note"), (exchanged, "exchange_confirmation", "exchange-confirmation")]
    for rr, kind, file_part in cases:
        base = f"/returns/status/{rr.customer_token}/documents/"
        response = client.get(f"{base}{kind}.pdf")
        assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
        assert f'filename="{rr.rma_number}-{file_part}.pdf"' in response["Content-Disposition"]
        assert rr.rma_number in text_of(read_pdf(b"".join(response.streaming_content)))
        assert client.get(f"{base}receipt.pdf").status_code == 404
    wrong = f"/returns/status/{credited.customer_token}/documents/exchange_confirmation.pdf"
    assert client.get(wrong).status_code == 404


def test_portal_and_desk_link_the_settlement_document(credited, exchanged, refunded, agent, client):
    expected = {credited: "Credit note", exchanged: "Exchange confirmation", refunded: "Refund receipt"}
    for rr, label in expected.items():
        kind = rendering.settlement_kind(rr)
        page = client.get(f"/returns/status/{rr.customer_token}/").content.decode()
        assert f"/returns/status/{rr.customer_token}/documents/{kind}.pdf" in page and f"{label} (PDF)" in page
        others = {"Credit note", "Exchange confirmation", "Refund receipt"} - {label}
        assert not any(f"{other} (PDF)" in page for other in others)
    client.force_login(agent)
    for rr in expected:
        kind = rendering.settlement_kind(rr)
        url = f"/desk/returns/{rr.pk}/documents/{kind}.pdf"
        assert url in client.get(rr.get_absolute_url()).content.decode()
        assert client.get(url).status_code == 200


def test_the_date_printed_is_the_shops_day_format():
    assert rendering._day(dt.date(2026, 3, 4)) == "4 March 2026"
    assert rendering._day(None) == ""
