"""The outbox: emails are written with the change that causes them, sent by a task, never lost or doubled."""

import datetime as dt
import io

import pytest
from django.core import mail
from django.db import transaction
from django_q.models import Schedule
from pypdf import PdfReader

from returns_desk.core import clock
from returns_desk.core.actors import Actor
from returns_desk.notifications import services as outbox
from returns_desk.notifications import tasks
from returns_desk.notifications.models import OutboundEmail
from returns_desk.payments import services as payments
from returns_desk.returns import services
from tests.factories import OrderFactory, OrderLineFactory, return_in_state


class Boom(Exception):
    pass


def test_opening_a_return_sends_the_acknowledgement_with_the_status_link(
    reference_data, django_capture_on_commit_callbacks
):
    order = OrderFactory(amount_paid=2000, customer_name="Casey")
    line = OrderLineFactory(order=order, unit_price=2000)
    with django_capture_on_commit_callbacks(execute=True):
        rr = services.return_create(
            order=order, by=Actor.customer(), items=[services.RequestedItem(line.pk, 1, "damaged")]
        )
    [message] = mail.outbox
    assert message.subject == f"We received your return request [{rr.rma_number}]"
    assert message.to == [order.email]
    assert f"/returns/status/{rr.customer_token}/" in message.body
    assert "What happens next" in message.body
    html, mime = message.alternatives[0]
    assert mime == "text/html" and "Follow your return" in html
    assert message.extra_headers["Message-ID"] == OutboundEmail.objects.get(return_request=rr).message_id
    assert rr.events.filter(kind="email", body__startswith="Email sent to").exists()


@pytest.mark.parametrize(
    ("state", "run", "kind", "words"),
    [
        (
            "requested",
            lambda rr, by: services.return_request_info(return_request=rr, by=by, question="Size label?"),
            "info_requested",
            "Size label?",
        ),
        (
            "requested",
            lambda rr, by: services.return_reject(return_request=rr, by=by, reason="Worn and washed."),
            "rejected",
            "Worn and washed.",
        ),
        ("approved", lambda rr, by: services.return_receive(return_request=rr, by=by), "parcel_received", "arrived"),
        (
            "received",
            lambda rr, by: services.return_inspect(
                return_request=rr,
                by=by,
                results=[services.ItemInspection(i.pk, "accepted", "new", "restock") for i in rr.items.all()],
            ),
            "inspection_result",
            "We accepted every item: the full $10.00 quoted.",
        ),
        (
            "inspected",
            lambda rr, by: payments.return_issue_refund(return_request=rr, by=by, reference="BANK-1"),
            "refund_issued",
            "you should see it by",
        ),
        (
            "inspected",
            lambda rr, by: payments.return_issue_store_credit(return_request=rr, by=by),
            "store_credit_issued",
            "Your code: SC-",
        ),
        (
            "inspected",
            lambda rr, by: payments.return_ship_exchange(
                return_request=rr, by=by, carrier="DPD", tracking_number="EX77"
            ),
            "exchange_shipped",
            "Tracking number: EX77",
        ),
    ],
)
def test_each_event_sends_its_email(state, run, kind, words, agent, django_capture_on_commit_callbacks):
    rr = return_in_state(state)
    with django_capture_on_commit_callbacks(execute=True):
        run(rr, Actor.staff(agent))
    email = OutboundEmail.objects.get(return_request=rr, kind=kind)
    assert email.status == "sent"
    [message] = [m for m in mail.outbox if m.extra_headers["Message-ID"] == email.message_id]
    assert words in message.body
    assert rr.rma_number in message.subject


def test_approval_email_carries_the_label_and_packing_slip(agent, django_capture_on_commit_callbacks):
    rr = return_in_state("requested", unit_price=2000)  # above the returnless threshold: it is sent back
    with django_capture_on_commit_callbacks(execute=True):
        services.return_approve(return_request=rr, by=Actor.staff(agent))
    [message] = mail.outbox
    names = [name for name, _, _ in message.attachments]
    assert names == [f"{rr.rma_number}-return-label.pdf", f"{rr.rma_number}-packing-slip.pdf"]
    label = PdfReader(io.BytesIO(message.attachments[0][1]))
    assert rr.rma_number in label.pages[0].extract_text()
    assert "How to send it back" in message.body


def test_no_email_is_queued_when_the_change_rolls_back(agent, django_capture_on_commit_callbacks):
    rr = return_in_state("requested")
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(Boom), transaction.atomic():
        services.return_approve(return_request=rr, by=Actor.staff(agent))
        assert OutboundEmail.objects.filter(return_request=rr, kind="approved").count() == 1  # same transaction
        raise Boom
    assert not OutboundEmail.objects.filter(return_request=rr, kind="approved").exists()
    assert mail.outbox == []


def queued_email(agent, django_capture_on_commit_callbacks) -> OutboundEmail:
    rr = return_in_state("approved")
    outbox.emails_record_delivered(return_request=rr)  # the request's and approval's emails went out then
    with django_capture_on_commit_callbacks(execute=False):  # queued, not yet sent
        services.return_receive(return_request=rr, by=Actor.staff(agent))
    return OutboundEmail.objects.get(return_request=rr, kind="parcel_received")


def test_running_the_send_task_twice_sends_once(agent, django_capture_on_commit_callbacks):
    email = queued_email(agent, django_capture_on_commit_callbacks)
    tasks.send_email(email.pk)
    tasks.send_email(email.pk)
    assert len(mail.outbox) == 1
    email.refresh_from_db()
    assert (email.status, email.attempts) == ("sent", 1)


def test_a_worker_killed_mid_send_loses_no_email(agent, django_capture_on_commit_callbacks):
    email = queued_email(agent, django_capture_on_commit_callbacks)
    assert outbox.email_claim(email_id=email.pk) is not None  # the worker took it ... and died
    assert tasks.send_due_emails() == "0 email(s) attempted"  # its lease still holds
    later = clock.now() + dt.timedelta(minutes=11)
    with clock.frozen_at(later):
        assert tasks.send_due_emails() == "1 email(s) attempted"
    assert len(mail.outbox) == 1
    assert OutboundEmail.objects.get(pk=email.pk).status == "sent"


def test_a_crash_after_the_mail_server_accepted_resends_with_the_same_message_id(
    agent, monkeypatch, django_capture_on_commit_callbacks
):
    email = queued_email(agent, django_capture_on_commit_callbacks)

    def crash(**kwargs):
        raise Boom("worker killed after the SMTP server said 250 OK")

    monkeypatch.setattr(tasks, "email_mark_sent", crash)
    with pytest.raises(Boom):
        tasks.send_email(email.pk)
    monkeypatch.undo()
    with clock.frozen_at(clock.now() + dt.timedelta(minutes=11)):
        tasks.send_due_emails()
    assert len(mail.outbox) == 2
    assert mail.outbox[0].extra_headers["Message-ID"] == mail.outbox[1].extra_headers["Message-ID"]
    assert OutboundEmail.objects.get(pk=email.pk).status == "sent"


def test_mail_server_failure_retries_with_back_off_then_gives_up(agent, settings, django_capture_on_commit_callbacks):
    email = queued_email(agent, django_capture_on_commit_callbacks)
    settings.EMAIL_BACKEND = "tests.notifications.test_outbox.RefusingBackend"
    with django_capture_on_commit_callbacks(execute=True):  # the retry is scheduled on commit
        tasks.send_email(email.pk)
    email.refresh_from_db()
    assert (email.status, email.attempts) == ("queued", 1)
    assert "SMTPServerDisconnected" in email.last_error
    assert Schedule.objects.filter(func="returns_desk.notifications.tasks.send_email", args=repr((email.pk,))).exists()
    for _ in range(len(outbox.RETRY_DELAYS_SECONDS)):
        tasks.send_email(email.pk)
    email.refresh_from_db()
    assert (email.status, email.attempts) == ("failed", 5)
    assert mail.outbox == []


class RefusingBackend:
    def __init__(self, *args, **kwargs):
        pass

    def send_messages(self, messages):
        import smtplib

        raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")


def test_emails_of_a_return_form_one_thread(agent, django_capture_on_commit_callbacks):
    rr = return_in_state("requested")
    with django_capture_on_commit_callbacks(execute=True):
        services.return_request_info(return_request=rr, by=Actor.staff(agent), question="Photo?")
    with django_capture_on_commit_callbacks(execute=True):
        services.return_reject(return_request=rr, by=Actor.staff(agent), reason="No photo.")
    first, second = mail.outbox
    assert second.extra_headers["In-Reply-To"] == first.extra_headers["Message-ID"]
    assert first.extra_headers["Message-ID"] in second.extra_headers["References"]


def test_an_event_key_queues_one_email(agent):
    rr = return_in_state("requested")
    one = outbox.email_queue(return_request=rr, kind="ship_reminder", event_key=f"{rr.rma_number}:reminder:1")
    two = outbox.email_queue(return_request=rr, kind="ship_reminder", event_key=f"{rr.rma_number}:reminder:1")
    assert one.pk == two.pk
    assert OutboundEmail.objects.filter(return_request=rr, kind="ship_reminder").count() == 1


def test_plain_text_emails_are_never_html_escaped(agent, django_capture_on_commit_callbacks):
    rr = return_in_state("requested")
    with django_capture_on_commit_callbacks(execute=True):
        services.return_reject(return_request=rr, by=Actor.staff(agent), reason="We can't accept worn shoes <sorry>.")
    [message] = [m for m in mail.outbox if rr.rma_number in m.subject]
    assert "We can't accept worn shoes <sorry>." in message.body
    assert "&#x27;" not in message.body and "&lt;" not in message.body
    html = message.alternatives[0][0]
    assert "We can&#x27;t accept worn shoes &lt;sorry&gt;." in html  # the HTML part stays escaped
