"""When each step of a demo return happened.

Finished returns are spread over the past months (insights need history). Open ones were opened in the last
few days, as on an ordinary Tuesday: their SLA clocks mostly on track, a few at risk, a few breached. The due
moment is worked out with the services' own rule (`sla.clock_after` at each step), so the return's steps are
placed where its clock lands in the standing chosen for it.
"""

import datetime as dt
import functools
import random
from collections.abc import Iterator

from returns_desk.orders.models import Order
from returns_desk.returns import sla
from returns_desk.returns.models import ReturnRequest, ReturnStatus

S = ReturnStatus

FINISHED_STATES = frozenset({S.RESOLVED, S.REJECTED, S.CANCELLED, S.CLOSED})

# How long after the step before it each step of an open return came, in hours (shortest, longest).
STEP_HOURS = {
    "request_info": (1, 8),
    "info_received": (3, 30),
    "approve": (1, 12),
    "mark_in_transit": (3, 36),
    "receive": (20, 60),
    "inspect": (1, 10),
    "request_refund_approval": (0.5, 4),
    "issue_refund": (0.5, 6),
    "refund_failed": (2, 30),
}
# The SLA standing of open returns whose clock runs, dealt from shuffled decks of this make-up so that even a
# small demo has a few of each.
SLA_DECK = {"on_track": 19, "at_risk": 3, "overdue": 3}
_SETTLED = dt.timedelta(minutes=10)  # the latest step of an open return is at least this old


@functools.cache
def transition_table() -> dict[tuple[str, str], str]:
    """(source state, transition name) -> target state, read from the model itself; with the one transition
    whose target depends on the row: the demo's managers approve refunds (the outcome its VAs ask for), which
    are then sent."""
    status = ReturnRequest._meta.get_field("status")
    table = {(t.source, t.name): t.target for t in status.get_all_transitions(ReturnRequest)}
    table[(S.AWAITING_APPROVAL, "approve_refund")] = S.REFUND_PENDING
    return table


def due_at_end(path: list[str], times: list[dt.datetime], targets: sla.Targets) -> dt.datetime | None:
    """The SLA due moment the services leave on a return that took `path` at `times` (creation first)."""
    table = transition_table()
    state = S.REQUESTED
    clock = sla.clock_after(to_state=state, from_state="", now=times[0], current=sla.Clock(None, None), targets=targets)
    for action, moment in zip(path, times[1:], strict=True):
        reached = table[(state, action)]
        clock = sla.clock_after(to_state=reached, from_state=state, now=moment, current=clock, targets=targets)
        state = reached
    return clock.due_at


def sla_standings(rng: random.Random) -> Iterator[str]:
    """The standings open returns' clocks are given, one by one: `SLA_DECK` after `SLA_DECK`, each shuffled."""
    deck = [standing for standing, count in SLA_DECK.items() for _ in range(count)]
    while True:
        rng.shuffle(deck)
        yield from deck


def open_moments(
    rng: random.Random,
    order: Order,
    *,
    path: list[str],
    now: dt.datetime,
    targets: sla.Targets,
    standings: Iterator[str],
) -> list[dt.datetime]:
    """An open return's moments: steps hours apart, the latest placed so that its SLA clock, when one runs, stands
    as the next of `standings`; never before the order was delivered, never in the future."""
    standing = ""  # dealt when the path leaves a clock running
    where = rng.random()  # where in its standing's span the due moment lands
    idle = dt.timedelta(hours=rng.uniform(0.2, 30))  # how long ago the latest step was, when no clock runs
    gaps = [dt.timedelta(hours=rng.uniform(*STEP_HOURS[action])) for action in path]
    earliest = order.delivered_at + dt.timedelta(hours=1)
    latest = now - _SETTLED
    for _ in range(3):  # squeezing the steps (an order delivered lately) can move the clock: place again
        offsets = [sum(gaps[:n], dt.timedelta()) for n in range(len(gaps) + 1)]
        anchor = now - offsets[-1]
        due = due_at_end(path, [anchor + offset for offset in offsets], targets)
        left = None if due is None else due - now  # how long the clock runs after the latest step
        if left is not None and not standing:
            standing = next(standings)
        last = now - idle if left is None else min(latest, now + _due_in(standing, where, left=left) - left)
        start = last - offsets[-1]
        if start >= earliest or not gaps:
            break
        room = max(last - earliest, dt.timedelta(minutes=len(gaps)))
        gaps = [max(gap * (room / offsets[-1]), dt.timedelta(minutes=1)) for gap in gaps]
    start = min(max(last - offsets[-1], earliest), latest)
    return [min(start + offset, latest) for offset in offsets]


def _due_in(standing: str, where: float, *, left: dt.timedelta) -> dt.timedelta:
    """How far ahead of now the due moment lands (negative: breached), for a clock that runs `left` after the
    return's latest step."""
    hour = dt.timedelta(hours=1)
    low, high = {
        "on_track": (sla.AT_RISK_WINDOW + hour / 2, max(sla.AT_RISK_WINDOW + hour / 2, left - _SETTLED)),
        "at_risk": (hour / 4, sla.AT_RISK_WINDOW - hour / 4),
        "overdue": (-30 * hour, -hour / 2),
    }[standing]
    return low + (high - low) * where


def finished_moments(
    rng: random.Random, order: Order, *, path: list[str], now: dt.datetime, window_days: int
) -> list[dt.datetime]:
    """A finished return's moments: requested within the window after delivery, early in it; each step a few
    hours to days later."""
    latest_start = min(order.delivered_at + dt.timedelta(days=window_days - 1), now - dt.timedelta(hours=1))
    earliest = min(order.delivered_at + dt.timedelta(hours=6), latest_start)
    start = earliest + (latest_start - earliest) * rng.random() * 0.3
    span = max(now - start, dt.timedelta(minutes=len(path) + 1))
    gaps = sorted(rng.random() for _ in path)
    step_limit = dt.timedelta(days=3)
    times = [start]
    for gap in gaps:
        times.append(max(times[-1] + dt.timedelta(minutes=1), min(start + span * gap, times[-1] + step_limit)))
    return times
