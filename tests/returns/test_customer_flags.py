"""A customer's flag changes through one service, in admin too, and each change is on their open returns."""

import pytest

from returns_desk.core.actors import Actor, display_name
from returns_desk.core.errors import ActionForbidden, ServiceError
from returns_desk.customers.models import CustomerFlag
from returns_desk.returns import services
from tests.factories import return_in_state


def flag_notes(rr) -> list[str]:
    return list(rr.events.filter(kind="note", data__has_key="customer_flag").values_list("body", flat=True))


def test_a_flag_is_noted_on_the_customers_open_returns_only(agent):
    open_one = return_in_state("requested")
    finished = return_in_state("closed", order=open_one.order)
    services.customer_flag_set(
        email=open_one.email.upper(), kind="block", note="Wears and returns.", by=Actor.staff(agent)
    )
    flag = CustomerFlag.objects.get()
    assert (flag.email, flag.kind, flag.created_by) == (open_one.email.lower(), "block", agent)
    assert flag_notes(open_one) == [
        f"Customer flagged: Block auto-approval by {display_name(agent)}. Note: Wears and returns."
    ]
    assert flag_notes(finished) == []


def test_a_change_says_from_what_to_what_and_a_repeat_says_nothing(agent):
    rr = return_in_state("requested")
    by = Actor.staff(agent)
    services.customer_flag_set(email=rr.email, kind="watch", by=by)
    services.customer_flag_set(email=rr.email, kind="watch", by=by)
    services.customer_flag_set(email=rr.email, kind="allow", by=by)
    assert flag_notes(rr) == [
        f"Customer flagged: Watch: many returns or suspected abuse by {display_name(agent)}.",
        f"Customer flag Watch: many returns or suspected abuse → Trusted: auto-approve by {display_name(agent)}.",
    ]
    assert services.customer_flag_clear(email=rr.email, by=by) is True
    assert services.customer_flag_clear(email=rr.email, by=by) is False
    assert flag_notes(rr)[-1] == f"Customer flag removed (Trusted: auto-approve) by {display_name(agent)}."
    assert not CustomerFlag.objects.exists()


@pytest.mark.parametrize(
    ("email", "kind", "by", "error"),
    [
        ("not an email", "watch", "agent", ServiceError),
        ("kim@example.com", "banish", "agent", ServiceError),
        ("kim@example.com", "watch", "customer", ActionForbidden),
        ("kim@example.com", "watch", "system", ActionForbidden),
    ],
)
def test_bad_input_or_a_non_staff_actor_is_refused_and_writes_nothing(agent, email, kind, by, error):
    rr = return_in_state("requested")
    actor = {"agent": Actor.staff(agent), "customer": Actor.customer(), "system": Actor.system()}[by]
    with pytest.raises(error):
        services.customer_flag_set(email=email, kind=kind, by=actor)
    assert not CustomerFlag.objects.exists() and flag_notes(rr) == []


def test_admin_adds_changes_and_removes_flags_through_the_service(client, manager):
    rr = return_in_state("requested")
    client.force_login(manager)
    response = client.post(
        "/admin/customers/customerflag/add/", {"email": rr.email, "kind": "watch", "note": "Third this month."}
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    flag = CustomerFlag.objects.get()
    assert flag.created_by == manager
    client.post(f"/admin/customers/customerflag/{flag.pk}/change/", {"kind": "block", "note": "Third this month."})
    assert CustomerFlag.objects.get().kind == "block"
    actions = client.get("/admin/customers/customerflag/").content.decode()
    assert "delete_selected" not in actions and "remove_flags" in actions
    client.post("/admin/customers/customerflag/", {"action": "remove_flags", "_selected_action": [flag.pk]})
    assert not CustomerFlag.objects.exists()
    assert len(flag_notes(rr)) == 3
