"""The registry of the ticket's actions: the form each transition shows, the handler that runs it, and the
order a VA meets them in.

A view asks `actions_for(rr, user)` for the actions this user may run now (FSM source, permission),
`build_form` for an action's form, and runs `action.handler(rr, by, form)` once the form is valid.
Conditions are checked by the service when the form is sent, and a refusal comes back in words.
Handlers register themselves with `@ticket_action(...)` in `handlers`, which this package's `__init__`
imports: the registry is complete whichever of its modules is imported first.
"""

from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import wraps

from django import forms
from django.core.exceptions import ImproperlyConfigured

from returns_desk.core.actors import Actor
from returns_desk.desk.actions.forms import MoneyForm
from returns_desk.payments.models import Refund
from returns_desk.returns.models import MoneyOutcome, ReturnRequest, ReturnStatus
from returns_desk.returns.selectors import available_actions
from returns_desk.returns.transition_words import TRANSITION_WORDS
from returns_desk.staff import two_factor

# The order a VA meets them on a ticket: the usual next step first.
DISPLAY_ORDER = [
    "approve",
    "request_info",
    "info_received",
    "mark_in_transit",
    "receive",
    "inspect",
    "settle",
    "issue_refund",
    "issue_store_credit",
    "ship_exchange",
    "refund_without_return",
    "request_refund_approval",
    "approve_refund",
    "refund_succeeded",
    "retry_refund",
    "close",
    "deny_refund",
    "refund_failed",
    "reject",
    "cancel",
]

# Runs the action's service with the form's cleaned data; returns the notice the VA reads afterwards.
Handler = Callable[[ReturnRequest, Actor, forms.Form], str]


@dataclass(frozen=True)
class TicketAction:
    name: str
    form_class: type[forms.Form]
    handler: Handler
    needs_return: bool = False  # the form is built for this return (items, amounts)
    danger: bool = False
    decision_verb: str = ""  # "Approve" or "Deny": a manager's decision on the outcome the return asks for
    title: str = ""  # the button's words for this return, when they depend on it (see `for_return`)
    money: bool = False  # moves or decides money: asks for the second factor first (`staff.two_factor`)

    @property
    def label(self) -> str:
        return self.title or TRANSITION_WORDS[self.name].label

    @property
    def template_name(self) -> str:
        """Each action's form has its own template, all built on `desk/actions/base.html`."""
        return f"desk/actions/{self.name}.html"

    def for_return(self, rr: ReturnRequest) -> "TicketAction":
        """A manager approves or denies the outcome asked for: "Approve store credit", not "Approve refund"."""
        if self.decision_verb and rr.requested_outcome:
            outcome = MoneyOutcome(rr.requested_outcome).label.lower()
            return replace(self, title=f"{self.decision_verb} {outcome}")
        return self


TICKET_ACTIONS: dict[str, TicketAction] = {}


def ticket_action(
    name: str,
    *,
    form: type[forms.Form],
    needs_return: bool = False,
    danger: bool = False,
    decision_verb: str = "",
    money: bool = False,
) -> Callable[[Handler], Handler]:
    """Register the decorated function as the handler of the transition `name`, shown with `form`. A `money`
    action refuses a session that owes its second factor before anything is written."""

    def register(handler: Handler) -> Handler:
        # Refused at import rather than found missing on a ticket: an action outside DISPLAY_ORDER is never offered.
        if name not in DISPLAY_ORDER or name in TICKET_ACTIONS:
            raise ImproperlyConfigured(f"Ticket action {name!r} is registered twice or missing from DISPLAY_ORDER.")
        run = _second_factor_first(handler) if money else handler
        TICKET_ACTIONS[name] = TicketAction(
            name, form, run, needs_return=needs_return, danger=danger, decision_verb=decision_verb, money=money
        )
        return handler

    return register


def _second_factor_first(handler: Handler) -> Handler:
    @wraps(handler)
    def gated(rr: ReturnRequest, by: Actor, form: forms.Form) -> str:
        two_factor.check_for_money(by.user, back=rr.get_absolute_url())  # a ServiceError: shown, nothing written
        return handler(rr, by, form)

    return gated


def build_form(action: TicketAction, rr: ReturnRequest, data=None, *, user=None) -> forms.Form:
    kwargs = {"rr": rr} if action.needs_return else {}
    form = action.form_class(data, prefix=action.name, **kwargs)
    if user is not None and isinstance(form, MoneyForm):
        form.show_limit(user)
    return form


def actions_for(rr: ReturnRequest, user) -> list[TicketAction]:
    """The transitions this user may run on this return now, in the order a VA meets them."""
    names = available_actions(rr, Actor.staff(user))
    pending_manual = any(
        r.provider == Refund.Provider.MANUAL and r.status == Refund.Status.PENDING for r in rr.refunds.all()
    )
    if not pending_manual:  # Stripe reports those outcomes itself
        names = [n for n in names if n not in ("refund_succeeded", "refund_failed")]
    if rr.status != ReturnStatus.REFUND_FAILED:
        # The refund, credit, exchange and keep-the-item forms themselves turn into a request above the VA's
        # limit; only after a failure is asking a manager a choice of its own (beside retry and credit).
        names = [n for n in names if n != "request_refund_approval"]
    offered = [TICKET_ACTIONS[n].for_return(rr) for n in DISPLAY_ORDER if n in names]
    return sorted(offered, key=lambda a: a.danger)  # the way forward first; reject, cancel, deny last
