"""The customer hears of every change they did not make themselves: every transition of a return is either
emailed or listed as deliberately silent, with why (`notifications.transition_emails`); cancellation and expiry
are emailed; a silent change sends nothing."""

import datetime as dt
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.core import mail

from returns_desk.core import clock
from returns_desk.core.actors import Actor
from returns_desk.notifications import tasks as mail_tasks
from returns_desk.notifications import transition_emails
from returns_desk.notifications.models import OutboundEmail
from returns_desk.notifications.transition_emails import TRANSITION_EMAILS, Decided, Emailed, Silent, emailed_kinds
from returns_desk.payments import services as payments
from returns_desk.policies.models import ReturnPolicy
from returns_desk.returns import services, tasks
from returns_desk.returns.models import ReturnRequest
from tests.factories import OrderFactory, OrderLineFactory, return_in_state
from tests.notifications.test_schedules import days_later

EMAIL_TEMPLATES = Path(settings.BASE_DIR) / "templates" / "email"


def model_transitions() -> set[str]:
    """Every transition method of `ReturnRequest`, as django-fsm knows them."""
    status = ReturnRequest._meta.get_field("status")
    return {t.name for t in status.get_all_transitions(ReturnRequest)}


def test_every_transition_is_emailed_or_listed_as_deliberately_silent():
    unlisted = model_transitions() - TRANSITION_EMAILS.keys()
    assert not unlisted, (
        f"No customer email decided for {sorted(unlisted)}: add each to TRANSITION_EMAILS in "
        "returns_desk/notifications/transition_emails.py (and its table) as Emailed(kind), Decided(...) or "
        "Silent(why the customer misses nothing)."
    )
    assert TRANSITION_EMAILS.keys() - model_transitions() == {""}, "listed, but no such transition (any more)"
    for name, entry in TRANSITION_EMAILS.items():
        assert isinstance(entry, Emailed | Decided | Silent), name
        if isinstance(entry, Silent | Decided):
            assert len(entry.why) > 20, f"{name}: say why"


def test_the_modules_table_lists_every_transition_once():
    rows = re.findall(r"^\| (\(opened\)|[a-z_]+) \|", transition_emails.__doc__ or "", flags=re.MULTILINE)
    rows = [row for row in rows if row != "transition"]  # the table's header
    assert len(rows) == len(set(rows)), "a transition has two rows"
    missing = {"(opened)", *model_transitions()} - set(rows)
    assert not missing, f"the table in transition_emails.py has no row for {sorted(missing)}"
    assert set(rows) - {"(opened)", *model_transitions()} == set(), "a row for no (longer any) transition"


@pytest.mark.parametrize("kind", sorted(emailed_kinds()))
def test_every_email_a_transition_sends_has_its_subject_and_both_parts(kind):
    for part in ("subject.txt", "body.txt", "body.html"):
        assert (EMAIL_TEMPLATES / kind / part).is_file(), f"templates/email/{kind}/{part}"


def test_cancellation_and_expiry_are_emailed_never_silent():
    assert TRANSITION_EMAILS["cancel"] == Emailed("cancelled")
    assert TRANSITION_EMAILS["expire"] == Emailed("expired")


def sent(rr: ReturnRequest, kind: str):
    email = OutboundEmail.objects.get(return_request=rr, kind=kind)
    [message] = [m for m in mail.outbox if m.extra_headers["Message-ID"] == email.message_id]
    return message, message.alternatives[0][0]


def test_a_cancellation_by_the_desk_tells_the_customer_why_and_not_to_send_the_parcel(
    agent, django_capture_on_commit_callbacks
):
    rr = return_in_state("approved", unit_price=2000)
    with django_capture_on_commit_callbacks(execute=True):
        services.return_cancel(return_request=rr, by=Actor.staff(agent), reason="You asked us by phone to cancel it.")
    message, html = sent(rr, "cancelled")
    assert message.subject == f"We have cancelled your return [{rr.rma_number}]"
    assert "Why: You asked us by phone to cancel it." in message.body
    assert "Please do not send the parcel." in message.body and "Please do not send the parcel." in html
    assert f"{settings.SITE_URL}/returns/" in message.body  # where to start again


def test_a_cancellation_by_the_desk_without_a_reason_offers_to_explain(agent, django_capture_on_commit_callbacks):
    rr = return_in_state("requested")
    with django_capture_on_commit_callbacks(execute=True):
        services.return_cancel(return_request=rr, by=Actor.staff(agent))
    message, _ = sent(rr, "cancelled")
    assert "If you did not expect this, reply to this email and we will explain." in message.body
    assert "Why:" not in message.body and "do not send the parcel" not in message.body  # nothing was approved


def test_a_customers_own_cancellation_is_confirmed_so_a_stranger_with_the_link_cannot_do_it_unnoticed(
    reference_data, django_capture_on_commit_callbacks
):
    rr = return_in_state("requested")
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.return_cancel(return_request=rr, by=Actor.customer(), reason="Changed my mind.")
    message, _ = sent(rr, "cancelled")
    assert message.subject == f"Your return is cancelled, as you asked [{rr.rma_number}]"
    assert "If you did not cancel it yourself, reply to this email straight away" in message.body


def test_an_expired_return_is_emailed_with_what_to_do_if_the_parcel_was_sent(
    reference_data, django_capture_on_commit_callbacks
):
    rr = return_in_state("approved", unit_price=2000)  # a parcel is expected
    approved_on = clock.today()
    with days_later(settings.EXPIRE_APPROVED_AFTER_DAYS + 1), django_capture_on_commit_callbacks(execute=True):
        assert tasks.expire_unshipped() == "expired 1"
    message, html = sent(rr, "expired")
    assert message.subject == f"We have closed your return: the parcel was not sent in time [{rr.rma_number}]"
    assert f"on {approved_on.day} {approved_on:%B %Y}, but we have not seen the parcel" in message.body
    assert "Already sent it? Reply to this email with its tracking number" in message.body
    assert "Start a new return" in html


def test_the_ship_reminder_names_the_day_the_return_closes(reference_data, django_capture_on_commit_callbacks):
    rr = return_in_state("approved", unit_price=2000)
    closes = clock.today() + dt.timedelta(days=settings.EXPIRE_APPROVED_AFTER_DAYS)
    with days_later(settings.SHIP_REMINDER_AFTER_DAYS + 1), django_capture_on_commit_callbacks(execute=True):
        mail_tasks.send_ship_reminders()
    message, _ = sent(rr, "ship_reminder")
    assert f"Please send it by {closes.day} {closes:%B %Y}" in message.body


@pytest.mark.parametrize(
    ("state", "run"),
    [
        ("needs_info", lambda rr, by: services.return_info_received(return_request=rr, by=Actor.customer())),
        (
            "approved",
            lambda rr, by: services.return_mark_in_transit(
                return_request=rr, by=Actor.customer(), carrier="DPD", tracking_number="T1"
            ),
        ),
        ("inspected", lambda rr, by: payments.return_request_refund_approval(return_request=rr, by=by, note="Check")),
        ("resolved", lambda rr, by: services.return_close(return_request=rr, by=by)),
    ],
)
def test_a_silent_change_sends_no_email(state, run, agent, django_capture_on_commit_callbacks):
    rr = return_in_state(state, unit_price=2000)
    before = OutboundEmail.objects.filter(return_request=rr).count()
    with django_capture_on_commit_callbacks(execute=True):
        moved = run(rr, Actor.staff(agent))
    transition = moved.events.filter(kind="transition").order_by("-id").first().transition
    assert isinstance(TRANSITION_EMAILS[transition], Silent)
    assert OutboundEmail.objects.filter(return_request=rr).count() == before


def test_a_refund_without_return_after_a_label_was_sent_tells_the_customer_to_keep_the_items(
    agent, django_capture_on_commit_callbacks
):
    ReturnPolicy.objects.filter(is_active=True).update(returnless_refund_threshold=5000)
    order = OrderFactory(amount_paid=2000)
    line = OrderLineFactory(order=order, unit_price=2000)
    rr = services.return_create(  # asking for credit, it is not made returnless when opened: a label goes out
        order=order,
        by=Actor.customer(),
        resolution="store_credit",
        items=[services.RequestedItem(line.pk, 1, "damaged")],
    )
    with django_capture_on_commit_callbacks(execute=True):
        services.return_approve(return_request=rr, by=Actor.staff(agent))
    assert "label" in OutboundEmail.objects.get(return_request=rr, kind="approved").attach_documents
    with django_capture_on_commit_callbacks(execute=True):
        payments.return_refund_without_return(return_request=rr, by=Actor.staff(agent), reference="BANK-9")
    message, _ = sent(rr, "keep_item")
    assert "you can keep the items, so please do not send the parcel" in message.body


def test_a_refund_without_return_already_promised_at_approval_sends_no_second_email(
    agent, django_capture_on_commit_callbacks
):
    rr = return_in_state("approved")  # $10.00, under the threshold: returnless from the start
    assert rr.returnless
    with django_capture_on_commit_callbacks(execute=True):
        payments.return_refund_without_return(return_request=rr, by=Actor.staff(agent), reference="BANK-9")
    assert not OutboundEmail.objects.filter(return_request=rr, kind="keep_item").exists()
