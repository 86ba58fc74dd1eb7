"""Which email each change of a return sends its customer, or why it deliberately sends none.

The rule: the customer hears of every change they did not make themselves. Every transition of
`ReturnRequest` is listed below (tests/notifications/test_transition_emails.py fails on one that is not), as

- `Emailed(kind)`: always this email (`templates/email/<kind>/`);
- `Decided(...)`: an email that depends on what the change did, read from its event (the kinds it may send,
  and when it sends none, are in its `why`);
- `Silent(why)`: none, and why a customer misses nothing.

| transition | email | why |
|---|---|---|
| (opened) | acknowledgement | what happens next, and the status link |
| request_info | info_requested | the desk's question |
| info_received | — | the customer answered (or the desk records an answer they gave by phone) |
| approve | approved (+ label, slip) | how to send it back, or that they keep the items |
| reject | rejected | why, and what they can do |
| cancel | cancelled | by the desk or the system: that and why; by the customer: a confirmation (below) |
| expire | expired | not shipped in time: the return is closed; what to do if it was sent |
| mark_in_transit | — | the customer sent the parcel; a tracking number only confirms it |
| receive | parcel_received | it arrived; inspection next |
| inspect | inspection_result | each item: accepted or not, why, what happens to it, its amount |
| request_refund_approval | — | internal: a VA asks a manager; nothing changes for the customer |
| approve_refund | store_credit_issued, exchange_shipped, or — | credit or exchange settle at once (below) |
| deny_refund | — | internal: back to the desk as it was; the desk's next step emails |
| issue_refund | — | refund_issued goes when the provider confirms it (below) |
| refund_succeeded | refund_issued | the money and by when it shows |
| refund_failed | refund_problem | in plain words, never the provider's error |
| retry_refund | — | the result is emailed: refund_issued, or refund_problem again |
| issue_store_credit | store_credit_issued | the code and balance |
| ship_exchange | exchange_shipped | the replacement's tracking |
| settle | settled, or — | each item's outcome at once: the credit's code, the replacement's tracking (below) |
| refund_without_return | keep_item, or — | keep_item when a label was sent (below) |
| close | — | bookkeeping after an end that was emailed; follow-up and survey follow |

A customer's own cancellation is confirmed by email: the status link is a bearer link (whoever holds it can
cancel), so the address's owner should hear of it; and it tells them not to send a parcel they may have labelled.
A manager's approval of store credit or an exchange settles the return at once and sends its email; an approved
refund, like any refund issued, is emailed as refund_issued when the provider confirms it (seconds later for a
card, at once for a recorded bank transfer), and refund_problem if it fails. A refund without return tells the
customer to keep the items only when the approval email sent them a label; otherwise it already said so.
A return settled item by item sends `settled` when any item became credit or an exchange (with the code and the
tracking, and the refund part's date); when the accepted items were all refunded, refund_issued says it all.
"""

from collections.abc import Callable
from dataclasses import dataclass

from returns_desk.returns.models import ReturnEvent, ReturnRequest


@dataclass(frozen=True)
class Emailed:
    kind: str
    attach: tuple[str, ...] = ()


@dataclass(frozen=True)
class Decided:
    """An email chosen from what the change did: `choose` gives its kind, or "" for none (as `why` says)."""

    kinds: tuple[str, ...]
    choose: Callable[[ReturnRequest, ReturnEvent], str]
    why: str


@dataclass(frozen=True)
class Silent:
    why: str


def _money_outcome(event: ReturnEvent) -> str:
    return ((event.data or {}).get("result") or {}).get("money", {}).get("outcome", "")


def _approved_outcome(rr: ReturnRequest, event: ReturnEvent) -> str:
    return {"store_credit": "store_credit_issued", "exchange": "exchange_shipped"}.get(_money_outcome(event), "")


def _settled_beyond_a_refund(rr: ReturnRequest, event: ReturnEvent) -> str:
    result = (event.data or {}).get("result") or {}
    return "settled" if result.get("store_credit") or result.get("exchange") else ""


def _told_to_send_it(rr: ReturnRequest, event: ReturnEvent) -> str:
    """keep_item when the approval email carried a label (they may be about to send the parcel)."""
    approvals = rr.emails.filter(kind="approved").values_list("attach_documents", flat=True)
    return "keep_item" if any("label" in (attached or []) for attached in approvals) else ""


TRANSITION_EMAILS: dict[str, Emailed | Decided | Silent] = {
    "": Emailed("acknowledgement"),
    "request_info": Emailed("info_requested"),
    "info_received": Silent("The customer answered; the desk moves next."),
    "approve": Emailed("approved", ("label", "packing_slip")),
    "reject": Emailed("rejected"),
    "cancel": Emailed("cancelled"),
    "expire": Emailed("expired"),
    "mark_in_transit": Silent("The customer sent the parcel themselves; the next email is parcel_received."),
    "receive": Emailed("parcel_received"),
    "inspect": Emailed("inspection_result"),
    "request_refund_approval": Silent("Internal: a VA asks a manager; nothing changes for the customer."),
    "approve_refund": Decided(
        ("store_credit_issued", "exchange_shipped"),
        _approved_outcome,
        "Credit or an exchange is settled at once; an approved refund is emailed when the provider confirms it.",
    ),
    "deny_refund": Silent("Internal: the return goes back to the desk as it was for the customer."),
    "issue_refund": Silent("refund_issued goes when the provider confirms the refund; refund_problem if it fails."),
    "refund_succeeded": Emailed("refund_issued"),
    "refund_failed": Emailed("refund_problem"),
    "retry_refund": Silent("The customer hears the result: refund_issued, or refund_problem again."),
    "issue_store_credit": Emailed("store_credit_issued"),
    "ship_exchange": Emailed("exchange_shipped"),
    "settle": Decided(
        ("settled",),
        _settled_beyond_a_refund,
        "settled when an item became credit or an exchange; a refund alone is told by refund_issued once it is sent.",
    ),
    "refund_without_return": Decided(
        ("keep_item",),
        _told_to_send_it,
        "keep_item when a label was sent; otherwise the approval already said they keep it, and refund_issued follows.",
    ),
    "close": Silent("Bookkeeping after an emailed end (resolved, rejected, cancelled); follow-up and survey follow."),
}


def transition_email(transition: str, rr: ReturnRequest, event: ReturnEvent) -> tuple[str, tuple[str, ...]]:
    """The email kind a transition sends (or "" for none) and the documents attached to it."""
    entry = TRANSITION_EMAILS.get(transition)
    if isinstance(entry, Emailed):
        return entry.kind, entry.attach
    if isinstance(entry, Decided):
        return entry.choose(rr, event), ()
    return "", ()


def emailed_kinds() -> set[str]:
    """Every email kind a transition can send."""
    kinds: set[str] = set()
    for entry in TRANSITION_EMAILS.values():
        if isinstance(entry, Emailed):
            kinds.add(entry.kind)
        elif isinstance(entry, Decided):
            kinds.update(entry.kinds)
    return kinds
