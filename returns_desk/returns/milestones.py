"""When a return reached each stage, kept on the return itself so reports read columns, not the timeline.

`stamp` is called by `run_transition` (and by the bulk demo seeder) with the transition that just ran.
The first time counts: a return approved, then later re-approved after a denial, keeps its first moment.
"""

from .models import ReturnRequest
from .models import ReturnStatus as S

FIRST_RESPONSES = frozenset({"approve", "reject", "request_info"})
MILESTONE_FIELDS = ("first_response_at", "approved_at", "received_at", "inspected_at", "resolved_at", "rejected_at")


def stamp(rr: ReturnRequest, *, action: str, to_state: str, moment) -> None:
    if action in FIRST_RESPONSES and rr.first_response_at is None:
        rr.first_response_at = moment
    if to_state == S.APPROVED and rr.approved_at is None:
        rr.approved_at = moment
    if to_state == S.RECEIVED and rr.received_at is None:
        rr.received_at = moment
    if to_state == S.INSPECTED and rr.inspected_at is None:
        rr.inspected_at = moment
    if to_state == S.RESOLVED and rr.resolved_at is None:
        rr.resolved_at = moment
    if to_state == S.REJECTED and rr.rejected_at is None:
        rr.rejected_at = moment
