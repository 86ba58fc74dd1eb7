"""Serial returners flagged on their tickets; auto-approval respects the allow and block list."""

import pytest

from returns_desk.core.actors import Actor
from returns_desk.customers.models import CustomerFlag
from returns_desk.policies.models import ReturnPolicy
from returns_desk.returns import services
from tests.factories import OrderFactory, OrderLineFactory, return_in_state

pytestmark = pytest.mark.django_db


def new_return(email="kim@example.com"):
    order = OrderFactory(email=email, amount_paid=1000)
    line = OrderLineFactory(order=order)
    return services.return_create(
        order=order, items=[services.RequestedItem(line.pk, 1, "damaged")], by=Actor.customer()
    )


@pytest.fixture
def auto_approve(reference_data):
    ReturnPolicy.objects.filter(is_active=True).update(auto_approve=True)


def test_auto_approval_as_the_policy_says(auto_approve):
    assert new_return().status == "approved"


def test_a_blocked_customer_is_never_approved_automatically_and_the_desk_sees_why(auto_approve):
    CustomerFlag.objects.create(email="Kim@Example.com", kind=CustomerFlag.Kind.BLOCK)
    rr = new_return()
    assert rr.status == "requested"
    assert rr.events.get(kind="note").body == "Not approved automatically: the customer is on the block list."


def test_a_serial_returner_waits_for_a_va_unless_trusted(auto_approve, settings):
    settings.SERIAL_RETURNER_RETURNS = 3
    for _ in range(2):
        new_return()
    held = new_return()  # the third in 90 days
    assert held.status == "requested"
    assert "3 returns in 90 days (serial returner)" in held.events.get(kind="note").body
    CustomerFlag.objects.create(email="kim@example.com", kind=CustomerFlag.Kind.ALLOW)
    assert new_return().status == "approved"


def test_trusted_customers_are_approved_even_when_the_policy_does_not(reference_data):
    CustomerFlag.objects.create(email="kim@example.com", kind=CustomerFlag.Kind.ALLOW)
    assert new_return().status == "approved"
    assert new_return(email="someone@example.com").status == "requested"


def test_the_ticket_names_a_serial_returner(client, agent, settings):
    settings.SERIAL_RETURNER_RETURNS = 2
    first = new_return()
    new_return()
    client.force_login(agent)
    page = client.get(first.get_absolute_url()).content.decode()
    assert "Serial returner:</strong> 2 returns in the last 90 days." in page
    other = return_in_state("requested")
    assert "Serial returner" not in client.get(other.get_absolute_url()).content.decode()
