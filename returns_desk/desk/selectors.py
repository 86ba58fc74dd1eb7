"""Reads for the ticket page beyond the return itself: the policy panel, the customer's history, what is next."""

from dataclasses import dataclass

from django.utils import timezone

from returns_desk.policies import engine
from returns_desk.policies.quoted import QuotedTerms
from returns_desk.policies.selectors import active_policy
from returns_desk.returns.models import ReturnRequest
from returns_desk.returns.pricing import line_facts, line_facts_for_order, order_facts


@dataclass(frozen=True)
class PolicyPanel:
    lines: list[tuple[object, engine.Eligibility]]  # (order line, eligibility today)
    quote: engine.Quote  # this return's items, priced as the customer was quoted
    terms: list[str]  # the quoted terms in words
    policy_name: str
    policy_changed: bool  # the active policy differs now: this return keeps its own terms


def policy_panel(rr: ReturnRequest, position) -> PolicyPanel:
    """Each order line's eligibility with its reasons, and the quote's breakdown — the customer's figures.

    `position` is the money rule's figures for the return; priced as when the customer asked, what this
    return itself gave back is not "already given back" for it.
    """
    quoted = rr.quoted_terms()
    terms = quoted.terms
    ofacts = order_facts(rr.order, given_back=position.order_given + position.withdrawn - position.return_given)
    facts = line_facts_for_order(rr.order, exclude_return_id=rr.pk)  # as it stood for this return
    lines = sorted(rr.order.lines.all(), key=lambda line: line.pk)
    today = timezone.localdate(rr.created_at)  # as of the request: a window closing since is no news
    eligibility = [(line, engine.evaluate_line(facts[line.pk], ofacts, terms, today)) for line in lines]
    items = [
        engine.QuoteItem(line_facts(i.order_line), i.quantity, quoted.customer_pays_for(i.reason), i.reason.label)
        for i in rr.items.all()
    ]
    quote = engine.quote_return(items, ofacts, terms, resolution=rr.resolution, returnless=rr.returnless)
    active = QuotedTerms.from_policy(active_policy())
    return PolicyPanel(eligibility, quote, quoted.described(), quoted.policy_name, not quoted.same_as(active))


def earlier_returns(rr: ReturnRequest, limit: int = 10) -> list[ReturnRequest]:
    """The customer's other returns (by email), newest first."""
    return list(
        ReturnRequest.objects.filter(email=rr.email)  # the order's address, as written: indexed
        .exclude(pk=rr.pk)
        .only("rma_number", "status", "created_at", "quoted_amount", "currency")
        .order_by("-created_at")[:limit]
    )
