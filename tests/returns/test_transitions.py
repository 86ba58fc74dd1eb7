"""Every transition of SPEC.md: allowed from its sources only, refused elsewhere with a clear error,
permission enforced, one ReturnEvent written, side effects after commit and never after a rollback."""

import pytest
from django.db import transaction

from returns_desk.core.actors import Actor
from returns_desk.core.errors import ActionForbidden, ActionNotAllowed
from returns_desk.payments import services as payments
from returns_desk.payments.models import Refund
from returns_desk.returns import events, services
from returns_desk.returns.models import ReturnEvent, ReturnRequest, ReturnStatus
from tests.factories import return_in_state

ALL_STATES = list(ReturnStatus.values)

# The contract, written out by hand so that a change to the model has to change this too.
EXPECTED = {
    "request_info": ({"requested"}, "needs_info"),
    "info_received": ({"needs_info"}, "requested"),
    "approve": ({"requested"}, "approved"),
    "reject": ({"requested", "needs_info", "inspected"}, "rejected"),
    "cancel": ({"requested", "needs_info", "approved"}, "cancelled"),
    "expire": ({"approved"}, "cancelled"),
    "mark_in_transit": ({"approved"}, "in_transit"),
    "receive": ({"approved", "in_transit"}, "received"),
    "inspect": ({"received"}, "inspected"),
    "request_refund_approval": ({"inspected", "refund_failed", "approved"}, "awaiting_approval"),
    # A manager decides the outcome asked for: a refund is sent, credit or an exchange resolves.
    "approve_refund": ({"awaiting_approval"}, {"refund_pending", "resolved"}),
    # A denial goes back where the request came from.
    "deny_refund": ({"awaiting_approval"}, {"inspected", "refund_failed", "approved"}),
    "issue_refund": ({"inspected"}, "refund_pending"),
    "refund_succeeded": ({"refund_pending"}, "resolved"),
    # Stripe can fail a refund after reporting success: that reopens the money step.
    "refund_failed": ({"refund_pending", "resolved", "closed"}, "refund_failed"),
    "retry_refund": ({"refund_failed"}, "refund_pending"),
    "issue_store_credit": ({"inspected", "refund_failed"}, "resolved"),
    "ship_exchange": ({"inspected"}, "resolved"),
    # Items that asked for outcomes of their own, settled at once: pending while a refund part is on its way.
    "settle": ({"inspected"}, {"refund_pending", "resolved"}),
    "refund_without_return": ({"approved"}, "refund_pending"),
    "close": ({"resolved", "rejected", "cancelled"}, "closed"),
}

# Who runs each transition in real life, and someone who must be refused.
ALLOWED = {
    "expire": "system",
    "refund_succeeded": "system",
    "refund_failed": "system",
    "close": "system",
    "info_received": "customer",
    "mark_in_transit": "customer",
    "cancel": "customer",
    "approve_refund": "manager",
    "deny_refund": "manager",
}
REFUSED = {
    "info_received": "outsider",
    "mark_in_transit": "outsider",
    "cancel": "system",
    "expire": "agent",
    "approve_refund": "agent",
    "deny_refund": "agent",
    "close": "customer",
}


@pytest.fixture
def actors(agent, manager, outsider):
    return {
        "agent": Actor.staff(agent),
        "manager": Actor.staff(manager),
        "outsider": Actor.staff(outsider),
        "customer": Actor.customer(),
        "system": Actor.system(),
    }


def run(action: str, rr: ReturnRequest, by: Actor) -> ReturnRequest:
    """Call the real service for `action` with sensible input."""
    s = services
    calls = {
        "request_info": lambda: s.return_request_info(return_request=rr, by=by, question="Can you send a photo?"),
        "info_received": lambda: s.return_info_received(return_request=rr, by=by, message="Photo attached."),
        "approve": lambda: s.return_approve(return_request=rr, by=by),
        "reject": lambda: s.return_reject(return_request=rr, by=by, reason="Worn beyond trying on."),
        "cancel": lambda: s.return_cancel(return_request=rr, by=by),
        "expire": lambda: s.run_transition(return_request=rr, action="expire", by=by),
        "mark_in_transit": lambda: s.return_mark_in_transit(
            return_request=rr, by=by, carrier="DPD", tracking_number="TRK123"
        ),
        "receive": lambda: s.return_receive(return_request=rr, by=by),
        "inspect": lambda: s.return_inspect(
            return_request=rr,
            by=by,
            results=[s.ItemInspection(item.pk, "accepted", "like_new", "restock") for item in rr.items.all()],
        ),
        "request_refund_approval": lambda: payments.return_request_refund_approval(
            return_request=rr,
            by=by,
            outcome="returnless" if rr.status == "approved" else "refund",
            note="Above my limit.",
        ),
        "approve_refund": lambda: payments.return_approve_refund(return_request=rr, by=by, reference="BANK-1"),
        "deny_refund": lambda: payments.return_deny_refund(
            return_request=rr, by=by, reason="Offer store credit instead."
        ),
        "issue_refund": lambda: payments.return_issue_refund(return_request=rr, by=by, reference="BANK-2"),
        "refund_succeeded": lambda: s.run_transition(return_request=rr, action="refund_succeeded", by=by),
        "refund_failed": lambda: s.run_transition(return_request=rr, action="refund_failed", by=by),
        "retry_refund": lambda: payments.return_retry_refund(return_request=rr, by=by, reference="BANK-3"),
        "issue_store_credit": lambda: payments.return_issue_store_credit(return_request=rr, by=by),
        "ship_exchange": lambda: payments.return_ship_exchange(
            return_request=rr, by=by, carrier="DPD", tracking_number="EXC1"
        ),
        "refund_without_return": lambda: payments.return_refund_without_return(
            return_request=rr, by=by, reference="BANK-4"
        ),
        "close": lambda: s.return_close(return_request=rr, by=by),
        "settle": lambda: payments.return_settle(return_request=_item_by_item(rr), by=by, reference="BANK-5"),
    }
    return calls[action]()


def _item_by_item(rr: ReturnRequest) -> ReturnRequest:
    """The same return as if its (one) item had asked for a refund of its own on a return settled item by item:
    `settle` is the only way such a return is settled, and it needs one."""
    if rr.status == "inspected":
        ReturnRequest.objects.filter(pk=rr.pk).update(resolution="mixed", settlement_parts={"refund": rr.refund_amount})
        rr.items.update(resolution="refund")
        rr.refresh_from_db()
    return rr


def test_expected_table_covers_every_transition_of_the_model():
    status = ReturnRequest._meta.get_field("status")
    model = {}
    for t in status.get_all_transitions(ReturnRequest):
        target = set(t.target.allowed_states) if hasattr(t.target, "allowed_states") else t.target
        sources, _ = model.setdefault(t.name, (set(), target))
        sources.add(t.source)
    assert {name: (sources, target) for name, (sources, target) in model.items()} == EXPECTED


@pytest.mark.parametrize("action", list(EXPECTED))
@pytest.mark.parametrize("state", ALL_STATES)
def test_transition_runs_from_its_sources_only(action, state, actors, django_capture_on_commit_callbacks):
    sources, target = EXPECTED[action]
    rr = return_in_state(state)
    events_before, refunds_before = rr.events.count(), rr.refunds.count()
    by = actors[ALLOWED.get(action, "agent")]
    if state in sources:
        with django_capture_on_commit_callbacks(execute=True):
            result = run(action, rr, by)
        expected = {"approve_refund": "refund_pending", "deny_refund": "inspected", "settle": "refund_pending"}.get(
            action, target
        )
        assert result.status == expected
        # A manual refund is recorded with its reference: the task confirms it on commit.
        recorded = expected == "refund_pending"
        assert ReturnRequest.objects.get(pk=rr.pk).status == ("resolved" if recorded else expected)
        new_events = list(rr.events.all()[events_before:])
        # The transition writes exactly one event; emails it caused are recorded after they are sent.
        transitions = [e for e in new_events if e.kind == "transition"]
        assert [e.transition for e in transitions] == [action, "refund_succeeded"] if recorded else [action]
        assert {e.kind for e in new_events} <= {"transition", "email"}
        event = transitions[0]
        assert (event.transition, event.from_state, event.to_state) == (action, state, expected)
        assert event.actor_kind == by.kind
    else:
        with pytest.raises(ActionNotAllowed) as refused:
            run(action, rr, by)
        assert "possible" in str(refused.value) or "Already" in str(refused.value)
        assert "Nothing was changed" in str(refused.value) or "not possible" in str(refused.value)
        assert ReturnRequest.objects.get(pk=rr.pk).status == state
        assert rr.events.count() == events_before
        assert rr.refunds.count() == refunds_before


@pytest.mark.parametrize("action", list(EXPECTED))
def test_transition_refuses_someone_without_permission(action, actors):
    state = sorted(EXPECTED[action][0])[0]
    rr = return_in_state(state)
    events_before = rr.events.count()
    with pytest.raises(ActionForbidden):
        run(action, rr, actors[REFUSED.get(action, "customer")])
    assert ReturnRequest.objects.get(pk=rr.pk).status == state
    assert rr.events.count() == events_before


@pytest.mark.parametrize("action", list(EXPECTED))
def test_side_effects_are_sent_after_commit_only(action, actors, django_capture_on_commit_callbacks):
    state = sorted(EXPECTED[action][0])[0]
    rr = return_in_state(state)
    received = []

    def receiver(transitioned: events.ReturnTransitioned):
        received.append(vars(transitioned))

    events.subscribe(events.ReturnTransitioned, receiver)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            run(action, rr, actors[ALLOWED.get(action, "agent")])
            assert received == [], "a side effect ran before the transaction committed"
        # A recorded manual refund is confirmed on commit, by the task: a side effect of its own.
        assert [p["transition"] for p in received] in ([action], [action, "refund_succeeded"])
        assert received[0]["return_id"] == rr.pk
    finally:
        events.unsubscribe(events.ReturnTransitioned, receiver)


class Boom(Exception):
    pass


@pytest.mark.parametrize("action", list(EXPECTED))
def test_rollback_leaves_no_trace_and_sends_nothing(action, actors, django_capture_on_commit_callbacks):
    state = sorted(EXPECTED[action][0])[0]
    rr = return_in_state(state)
    events_before = rr.events.count()
    refunds_before, credits_before = list(rr.refunds.values_list("pk", "status")), rr.store_credits.count()
    received = []

    def receiver(transitioned: events.ReturnTransitioned):
        received.append(vars(transitioned))

    events.subscribe(events.ReturnTransitioned, receiver)
    try:
        with (
            django_capture_on_commit_callbacks(execute=True) as callbacks,
            pytest.raises(Boom),
            transaction.atomic(),
        ):
            run(action, rr, actors[ALLOWED.get(action, "agent")])
            raise Boom
        assert callbacks == []
        assert received == []
    finally:
        events.unsubscribe(events.ReturnTransitioned, receiver)
    assert ReturnRequest.objects.get(pk=rr.pk).status == state
    assert rr.events.count() == events_before
    assert list(rr.refunds.values_list("pk", "status")) == refunds_before
    assert rr.store_credits.count() == credits_before


def test_second_approval_names_who_acted_first(agent, second_agent):
    rr = return_in_state("requested")
    services.return_approve(return_request=rr, by=Actor.staff(agent))
    with pytest.raises(ActionNotAllowed, match=r"Already approved by Ana at \d\d:\d\d\. Nothing was changed\."):
        services.return_approve(return_request=rr, by=Actor.staff(second_agent))


def test_stale_action_explains_the_newer_state(agent, second_agent):
    rr = return_in_state("requested")
    services.return_reject(return_request=rr, by=Actor.staff(agent), reason="Outside the window.")
    with pytest.raises(
        ActionNotAllowed,
        match=r"Approve is no longer possible: the return is now Rejected \(rejected by Ana at \d\d:\d\d\)",
    ):
        services.return_approve(return_request=rr, by=Actor.staff(second_agent))


def test_refund_above_the_agents_limit_is_refused_with_the_limit(agent):
    rr = return_in_state("inspected", unit_price=25000)  # policy limit for VAs is $200.00
    with pytest.raises(ActionForbidden, match=r"\$250\.00 is above your limit of \$200\.00; ask a manager"):
        payments.return_issue_refund(return_request=rr, by=Actor.staff(agent))
    assert not Refund.objects.exists()


def test_refund_above_the_limit_goes_through_a_manager(agent, manager, django_capture_on_commit_callbacks):
    rr = return_in_state("inspected", unit_price=25000)
    payments.return_request_refund_approval(
        return_request=rr, by=Actor.staff(agent), outcome="refund", note="Above my limit."
    )
    with django_capture_on_commit_callbacks(execute=True):
        rr = payments.return_approve_refund(return_request=rr, by=Actor.staff(manager), reference="BANK-77")
    rr.refresh_from_db()
    assert rr.status == "resolved"  # the manual refund with a reference is confirmed by the task on commit
    refund = Refund.objects.get(return_request=rr)
    assert (refund.amount, refund.status, refund.provider_refund_id) == (25000, "succeeded", "BANK-77")
    assert [e.transition for e in rr.events.filter(kind="transition").order_by("id")][-3:] == [
        "request_refund_approval",
        "approve_refund",
        "refund_succeeded",
    ]


def test_agent_may_lower_a_refund_into_their_limit_with_a_reason(agent):
    rr = return_in_state("inspected", unit_price=25000)
    with pytest.raises(Exception, match="Say why"):
        payments.return_issue_refund(return_request=rr, by=Actor.staff(agent), amount=15000)
    rr = payments.return_issue_refund(
        return_request=rr,
        by=Actor.staff(agent),
        amount=15000,
        override_reason="Partial: one boot scuffed.",
        reference="BANK-9",
    )
    assert Refund.objects.get(return_request=rr).amount == 15000
    rr.refresh_from_db()
    assert rr.refund_amount == 25000  # the settlement is kept apart from the figure paid


def test_status_cannot_be_set_directly():
    rr = ReturnRequest(status="approved")
    with pytest.raises(AttributeError):
        rr.status = "resolved"


def test_event_kinds_are_transition_for_every_status_change(agent):
    rr = return_in_state("requested")
    services.return_approve(return_request=rr, by=Actor.staff(agent))
    assert set(ReturnEvent.objects.filter(return_request=rr).values_list("kind", flat=True)) == {"transition"}
