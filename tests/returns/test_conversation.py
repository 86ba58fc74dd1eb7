"""The conversation beside the return's state: a customer's message, in any state, waits for an answer from
whoever answers the ticket; a reply to the customer answers it, an internal note does not."""

import datetime as dt

import pytest
from django.contrib.auth.models import User
from django.core import mail

from returns_desk.core import clock
from returns_desk.core.actors import Actor
from returns_desk.desk.models import DeskNotification
from returns_desk.notifications.models import OutboundEmail
from returns_desk.policies.selectors import active_policy
from returns_desk.returns import services, sla
from returns_desk.returns.models import ReturnRequest, ReturnStatus
from returns_desk.staff.models import StaffProfile
from tests.factories import return_in_state

ALL_STATES = list(ReturnStatus.values)


def notified(rr) -> set[str]:
    return set(DeskNotification.objects.filter(return_request=rr).values_list("user__username", flat=True))


@pytest.mark.parametrize("state", ALL_STATES)
def test_a_customer_message_in_any_state_waits_for_the_assignee(state, agent):
    rr = return_in_state(state)
    services.return_assign(return_request=rr, assignee=agent, by=Actor.staff(agent))
    services.return_customer_reply(return_request=rr, body="Any news? I have not heard back.")
    after = ReturnRequest.objects.get(pk=rr.pk)
    assert after.awaiting_reply_since is not None and after.reply_due_at > after.awaiting_reply_since
    # The return's own state is untouched (an answer to the desk's question moves it back to the desk).
    assert after.status == (ReturnStatus.REQUESTED if state == ReturnStatus.NEEDS_INFO else state)
    assert notified(rr) == {agent.username}
    assert "Any news?" in DeskNotification.objects.get(return_request=rr).text


@pytest.mark.parametrize("state", ALL_STATES)
def test_with_nobody_assigned_every_manager_hears(state, manager, agent):
    rr = return_in_state(state)
    ReturnRequest.objects.filter(pk=rr.pk).update(assignee=None)
    services.return_customer_reply(return_request=rr, body="Hello?")
    managers = set(User.objects.filter(groups__name="Managers").values_list("username", flat=True))
    assert "morgan" in managers and notified(rr) == managers  # never a VA who is not answering it


def test_a_reply_answers_it_and_a_note_does_not(agent):
    rr = return_in_state("resolved")
    by = Actor.staff(agent)
    services.return_customer_reply(return_request=rr, body="The refund is not on my card.")
    waiting_since = ReturnRequest.objects.get(pk=rr.pk).awaiting_reply_since
    services.return_customer_reply(return_request=rr, body="Hello again?")  # still since the first message
    assert ReturnRequest.objects.get(pk=rr.pk).awaiting_reply_since == waiting_since
    services.return_add_note(return_request=rr, by=by, body="Checked with the bank.")
    assert ReturnRequest.objects.get(pk=rr.pk).awaiting_reply_since == waiting_since
    services.return_add_message(return_request=rr, by=by, body="It left us on Monday; banks take 5–10 days.")
    answered = ReturnRequest.objects.get(pk=rr.pk)
    assert (answered.awaiting_reply_since, answered.reply_due_at, answered.status) == (None, None, "resolved")


def test_the_desks_question_and_a_rejection_answer_it_too(agent):
    asked = return_in_state("requested")
    services.return_customer_reply(return_request=asked, body="Is a photo enough?")
    services.return_request_info(return_request=asked, by=Actor.staff(agent), question="Yes: of the label, please.")
    assert ReturnRequest.objects.get(pk=asked.pk).awaiting_reply_since is None
    rejected = return_in_state("requested")
    services.return_customer_reply(return_request=rejected, body="Why so slow?")
    services.return_reject(return_request=rejected, by=Actor.staff(agent), reason="Worn beyond trying on.")
    assert ReturnRequest.objects.get(pk=rejected.pk).awaiting_reply_since is None


def test_a_survey_comment_with_words_is_a_message_a_bare_score_is_not(reference_data):
    rated = return_in_state("resolved")
    services.return_record_survey(return_request=rated, score=5)
    assert ReturnRequest.objects.get(pk=rated.pk).awaiting_reply_since is None
    commented = return_in_state("closed")
    services.return_record_survey(return_request=commented, score=2, comment="The label would not print.")
    assert ReturnRequest.objects.get(pk=commented.pk).awaiting_reply_since is not None
    assert "The label would not print." in commented.events.filter(kind="message").last().body


def test_whoever_asked_for_it_also_gets_an_email(agent, django_capture_on_commit_callbacks):
    StaffProfile.objects.create(user=agent, email_on_customer_reply=True)
    rr = return_in_state("approved")
    services.return_assign(return_request=rr, assignee=agent, by=Actor.staff(agent))
    with django_capture_on_commit_callbacks(execute=True):
        services.return_customer_reply(return_request=rr, body="Where do I drop the parcel?")
    email = OutboundEmail.objects.get(kind="customer_wrote")
    assert email.to_email == agent.email and email.status == "sent"
    [sent] = [m for m in mail.outbox if m.to == [agent.email]]
    assert "Where do I drop the parcel?" in sent.body and rr.get_absolute_url() in sent.body


LOCAL = dt.UTC  # settings.TIME_ZONE in tests


@pytest.mark.parametrize(
    ("written", "business_only", "due"),
    [
        ("2026-11-27 16:00", True, "2026-11-30 16:00"),  # Friday 16:00: 1 h on Friday, 7 h on Monday
        ("2026-11-28 11:00", True, "2026-11-30 17:00"),  # Saturday: the clock starts on Monday at 9:00
        ("2026-11-30 20:00", True, "2026-12-01 17:00"),  # Monday after hours: Tuesday 9:00 + 8 h
        ("2026-11-30 10:00", True, "2026-12-01 10:00"),  # Monday 10:00: 7 h on Monday, 1 h on Tuesday
        ("2026-11-27 16:00", False, "2026-11-28 00:00"),  # round the clock: 8 h later
    ],
)
def test_the_reply_target_pauses_outside_business_hours_when_the_policy_says_so(written, business_only, due):
    at = dt.datetime.strptime(written, "%Y-%m-%d %H:%M").replace(tzinfo=LOCAL)
    expected = dt.datetime.strptime(due, "%Y-%m-%d %H:%M").replace(tzinfo=LOCAL)
    target = sla.ReplyTarget(hours=8, business_hours_only=business_only, day_starts_hour=9, day_ends_hour=17)
    assert sla.reply_due(at, target) == expected


def test_the_policy_sets_the_reply_target(reference_data):
    policy = active_policy()
    policy.sla_reply_hours, policy.reply_sla_business_hours_only = 2, False
    policy.save()
    rr = return_in_state("requested")
    friday_night = dt.datetime(2026, 11, 27, 22, 0, tzinfo=LOCAL)
    with clock.frozen_at(friday_night):
        services.return_customer_reply(return_request=rr, body="Late question.")
    assert ReturnRequest.objects.get(pk=rr.pk).reply_due_at == friday_night + dt.timedelta(hours=2)
