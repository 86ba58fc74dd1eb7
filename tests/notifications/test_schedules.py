"""Periodic work, run at a moment days later: each does its job once and is harmless when repeated."""

import datetime as dt

from django.core import mail
from django.core.management import call_command
from django_q.models import Schedule

from returns_desk.core import clock
from returns_desk.notifications import tasks as mail_tasks
from returns_desk.notifications.models import OutboundEmail
from returns_desk.returns import tasks
from returns_desk.returns.models import Priority, ReturnRequest
from tests.factories import return_in_state


def days_later(days: float):
    return clock.frozen_at(clock.now() + dt.timedelta(days=days))


def test_every_schedule_exists_after_migrate_with_its_period_from_settings(db, settings):
    Schedule.objects.all().delete()
    settings.PERIODIC_TASKS = {
        **settings.PERIODIC_TASKS,
        "reconcile-refunds": {**settings.PERIODIC_TASKS["reconcile-refunds"], "minutes": 7},
    }
    call_command("migrate", verbosity=0)
    names = set(Schedule.objects.values_list("name", flat=True))
    assert {
        "ship-reminders",
        "expire-unshipped",
        "sla-escalation",
        "resolved-followups",
        "survey-invitations",
        "close-finished",
        "reconcile-refunds",
        "expire-store-credit",
        "send-due-emails",
    } <= names
    assert Schedule.objects.get(name="reconcile-refunds").minutes == 7
    call_command("migrate", verbosity=0)  # again: updated, never duplicated
    assert Schedule.objects.filter(name="reconcile-refunds").count() == 1


def test_unshipped_approval_gets_a_reminder_then_expires(reference_data, django_capture_on_commit_callbacks):
    rr = return_in_state("approved", unit_price=2000)  # above the returnless threshold: a parcel is expected
    assert not rr.returnless
    with days_later(4):
        assert mail_tasks.send_ship_reminders() == "queued 0 ship_reminder"
    with days_later(6), django_capture_on_commit_callbacks(execute=True):
        assert mail_tasks.send_ship_reminders() == "queued 1 ship_reminder"
        assert mail_tasks.send_ship_reminders() == "queued 0 ship_reminder"
    assert [m.subject for m in mail.outbox] == [f"A reminder to send your return [{rr.rma_number}]"]
    with days_later(15):
        assert tasks.expire_unshipped() == "expired 1"
        assert tasks.expire_unshipped() == "expired 0"
    rr.refresh_from_db()
    assert rr.status == "cancelled"
    assert rr.events.filter(transition="expire", actor_kind="system").exists()


def test_a_customer_keeping_the_item_is_never_asked_to_ship_it_nor_expired(
    reference_data, django_capture_on_commit_callbacks
):
    rr = return_in_state("approved")  # $10.00, under the $15.00 threshold: a returnless refund
    assert rr.returnless
    with days_later(20), django_capture_on_commit_callbacks(execute=True):
        assert mail_tasks.send_ship_reminders() == "queued 0 ship_reminder"
        assert tasks.expire_unshipped() == "expired 0"
    rr.refresh_from_db()
    assert rr.status == "approved" and mail.outbox == []


def test_resolved_return_gets_follow_up_survey_then_closes(reference_data, django_capture_on_commit_callbacks):
    rr = return_in_state("resolved")
    later = OutboundEmail.objects.filter(return_request=rr, kind__in=["resolved_followup", "survey_invitation"])
    with days_later(3.5), django_capture_on_commit_callbacks(execute=True):
        mail_tasks.send_followups()
        mail_tasks.send_survey_invitations()
    assert list(later.values_list("kind", flat=True)) == ["resolved_followup"]
    with days_later(6), django_capture_on_commit_callbacks(execute=True):
        mail_tasks.send_followups()
        mail_tasks.send_survey_invitations()
    assert sorted(later.values_list("kind", flat=True)) == [
        "resolved_followup",
        "survey_invitation",
    ]
    with days_later(15):
        assert tasks.close_finished() == "closed 1"
    assert ReturnRequest.objects.get(pk=rr.pk).status == "closed"


def test_sla_breach_raises_priority_notes_it_and_tells_managers_once(manager, django_capture_on_commit_callbacks):
    rr = return_in_state("requested")  # first response due within 24 h by the default policy
    with days_later(0.5):
        assert tasks.escalate_sla_breaches() == "escalated 0"
    with days_later(1.1), django_capture_on_commit_callbacks(execute=True):
        assert tasks.escalate_sla_breaches() == "escalated 1"
        assert tasks.escalate_sla_breaches() == "escalated 0"
    rr.refresh_from_db()
    assert rr.priority == Priority.HIGH
    note = rr.events.get(kind="note")
    assert note.body.startswith("SLA breached: requested past its due time")
    [message] = [m for m in mail.outbox if m.to == [manager.email]]
    assert rr.rma_number in message.body and rr.get_absolute_url() in message.body


def test_waiting_on_the_customer_pauses_the_sla(reference_data):
    return_in_state("needs_info")
    with days_later(10):
        assert tasks.escalate_sla_breaches() == "escalated 0"
