"""Every write to a return goes through here (money outcomes through `payments.services`, which builds on this).

- `engine`: `run_transition`, the one way a return changes state, read top to bottom.
- `opening`: a new return, checked and priced.
- `stages`: one service per transition that moves no money.
- `conversation`: messages, notes, photos, the survey.
- `people`: assignment, claims, taking over, bulk actions, priority; `customers`: a customer's flag.
- `timeline`: the only writer of timeline events; `locks`: the one lock order.

Callers import the services from here: `from returns_desk.returns import services`.
"""

from returns_desk.returns.pricing import RequestedItem  # the input of `return_create`

from .conversation import (
    SURVEY_OPEN_STATUSES,
    return_add_message,
    return_add_note,
    return_add_photos,
    return_customer_reply,
    return_record_survey,
)
from .customers import customer_flag_clear, customer_flag_set
from .engine import CONDITION_REFUSALS, required, run_transition, short_moment
from .locks import lock_order_then_return, lock_return
from .opening import return_create, rma_for
from .people import (
    BulkResult,
    return_assign,
    return_claim,
    return_raise_priority,
    return_set_priority,
    return_take_over,
    returns_bulk_assign,
    returns_bulk_close,
)
from .stages import (
    EXPLAINED_OUTCOMES,
    ItemInspection,
    return_approve,
    return_cancel,
    return_close,
    return_expire,
    return_info_received,
    return_inspect,
    return_mark_in_transit,
    return_receive,
    return_reject,
    return_request_info,
)
from .timeline import record_event, record_events, timeline_erase_words
from .unanswered import conversation_answered, conversation_customer_wrote

__all__ = [
    "CONDITION_REFUSALS",
    "SURVEY_OPEN_STATUSES",
    "BulkResult",
    "conversation_answered",
    "conversation_customer_wrote",
    "customer_flag_clear",
    "customer_flag_set",
    "EXPLAINED_OUTCOMES",
    "ItemInspection",
    "RequestedItem",
    "lock_order_then_return",
    "lock_return",
    "record_event",
    "record_events",
    "timeline_erase_words",
    "required",
    "return_add_message",
    "return_add_note",
    "return_add_photos",
    "return_approve",
    "return_assign",
    "return_cancel",
    "return_claim",
    "return_close",
    "return_create",
    "return_customer_reply",
    "return_expire",
    "return_info_received",
    "return_inspect",
    "return_mark_in_transit",
    "return_raise_priority",
    "return_receive",
    "return_record_survey",
    "return_reject",
    "return_request_info",
    "return_set_priority",
    "return_take_over",
    "returns_bulk_assign",
    "returns_bulk_close",
    "rma_for",
    "run_transition",
    "short_moment",
]
