"""Service-level targets: by when the desk owes the next step of a return.

Each stage that waits on the desk has a target from the policy: the first response after a request,
the inspection after the parcel arrives, the refund after inspection. While the desk waits on the
customer (`needs_info`) the clock is paused: the time left is kept and given back when they answer.
The due moment is stored on the return (`sla_due_at`, indexed), so queues filter and sort by it.
"""

import datetime as dt
from dataclasses import dataclass

from django.utils import timezone

from .models import ReturnStatus as S

# Minutes before the due moment from which a return counts as "at risk" in the queues.
AT_RISK_WINDOW = dt.timedelta(hours=4)


@dataclass(frozen=True)
class Targets:
    first_response_hours: int
    inspection_hours: int
    refund_hours: int

    @classmethod
    def from_policy(cls, policy) -> "Targets":
        return cls(policy.sla_first_response_hours, policy.sla_inspection_hours, policy.sla_refund_hours)


@dataclass(frozen=True)
class Clock:
    due_at: dt.datetime | None
    paused_seconds: int | None  # time left when paused in needs_info


def clock_after(*, to_state: str, from_state: str, now: dt.datetime, current: Clock, targets: Targets) -> Clock:
    """The SLA clock after a return enters `to_state` at `now`."""
    hours = dt.timedelta(hours=1)
    if to_state == S.NEEDS_INFO:
        left = max(int((current.due_at - now).total_seconds()), 0) if current.due_at else None
        return Clock(None, left)
    if to_state == S.REQUESTED:
        if from_state == S.NEEDS_INFO and current.paused_seconds is not None:
            return Clock(now + dt.timedelta(seconds=current.paused_seconds), None)
        return Clock(now + targets.first_response_hours * hours, None)
    if to_state == S.RECEIVED:
        return Clock(now + targets.inspection_hours * hours, None)
    if to_state == S.INSPECTED and from_state == S.AWAITING_APPROVAL:
        return Clock(current.due_at, None)  # a denied approval does not buy the desk more time
    if to_state in (S.INSPECTED, S.REFUND_FAILED):
        return Clock(now + targets.refund_hours * hours, None)
    if to_state == S.AWAITING_APPROVAL:
        return Clock(current.due_at, None)  # the refund target still runs while a manager decides
    return Clock(None, None)  # waiting on the carrier, the provider, or finished


# A refund sent to the customer's card arrives within this many calendar days (banks take 5–10 business days):
# what the customer is told, on their status page and in the refund's own words (`Refund.expected_by`).
REFUND_ARRIVES_WITHIN_DAYS = 14


def customer_deadline(
    *, status: str, since: dt.datetime, returnless: bool, targets: Targets, expire_after_days: int
) -> dt.datetime | None:
    """By when the customer can expect the next step (their status page); None when it is up to them."""
    hours = {
        S.REQUESTED: targets.first_response_hours,
        S.RECEIVED: targets.inspection_hours,
        S.INSPECTED: targets.refund_hours,
        S.AWAITING_APPROVAL: targets.refund_hours,
    }.get(S(status))
    if hours is not None:
        return since + dt.timedelta(hours=hours)
    if status == S.APPROVED and not returnless:
        return since + dt.timedelta(days=expire_after_days)
    if status == S.REFUND_PENDING:
        return since + dt.timedelta(days=REFUND_ARRIVES_WITHIN_DAYS)
    return None


def state_of(due_at: dt.datetime | None, now: dt.datetime) -> str:
    """'overdue', 'at_risk', 'on_track', or '' when no clock runs."""
    if due_at is None:
        return ""
    if due_at < now:
        return "overdue"
    if due_at - now <= AT_RISK_WINDOW:
        return "at_risk"
    return "on_track"


@dataclass(frozen=True)
class ReplyTarget:
    """How long the desk has to answer a customer's message, and whether only business hours count."""

    hours: int
    business_hours_only: bool = False
    day_starts_hour: int = 9
    day_ends_hour: int = 17

    @classmethod
    def from_policy(cls, policy) -> "ReplyTarget":
        return cls(
            policy.sla_reply_hours,
            policy.reply_sla_business_hours_only,
            policy.business_day_starts_hour,
            policy.business_day_ends_hour,
        )


def reply_due(at: dt.datetime, target: ReplyTarget) -> dt.datetime:
    """By when a message that came `at` must be answered: `target.hours` later, counting only business hours
    (Monday to Friday, local time) when the policy says so: the clock pauses overnight and over the weekend."""
    if not target.business_hours_only:
        return at + dt.timedelta(hours=target.hours)
    moment = timezone.localtime(at)
    left = dt.timedelta(hours=target.hours)
    while True:
        midnight = moment.replace(hour=0, minute=0, second=0, microsecond=0)
        opens = midnight + dt.timedelta(hours=target.day_starts_hour)
        closes = midnight + dt.timedelta(hours=target.day_ends_hour)
        if moment.weekday() >= 5 or moment >= closes:  # a weekend day, or after hours: the next day's opening
            moment = midnight + dt.timedelta(days=1)
            continue
        moment = max(moment, opens)
        if moment + left <= closes:
            return moment + left
        left -= closes - moment
        moment = midnight + dt.timedelta(days=1)
