"""Every money action on the desk waits for the second factor of a session that owes one: refused with a link to
give it, nothing written; given, the money moves as before."""

import pytest

from returns_desk.desk.actions.registry import TICKET_ACTIONS
from returns_desk.payments.models import Refund, StoreCredit
from returns_desk.returns.models import ReturnRequest
from returns_desk.staff import two_factor
from tests.desk.test_ticket import act
from tests.factories import return_in_state
from tests.staff.helpers import give_app, phone_code

pytestmark = pytest.mark.django_db

MONEY_FORMS = {
    "issue_refund": ("inspected", {"amount": "40.00", "reference": "BANK-1"}),
    "issue_store_credit": ("inspected", {"amount": "40.00"}),
    "refund_without_return": ("approved", {"reference": "BANK-2"}),
}


@pytest.fixture
def required(settings):
    settings.STAFF_2FA_REQUIRED = True


def awaiting_a_manager(agent, client) -> ReturnRequest:
    rr = return_in_state("inspected", unit_price=26315)
    client.force_login(agent)
    act(client, rr, "issue_refund", {"amount": "263.15", "reference": "B-1"})
    rr.refresh_from_db()
    assert rr.status == "awaiting_approval"
    client.logout()
    return rr


def test_a_manager_without_a_second_factor_cannot_approve_a_refund(client, agent, manager, required):
    rr = awaiting_a_manager(agent, client)
    client.force_login(manager)
    response = act(client, rr, "approve_refund", {"reference": "BANK-7"})
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/two-factor/set-up/?next=")
    rr.refresh_from_db()
    assert rr.status == "awaiting_approval" and not rr.refunds.exists()
    denied = act(client, rr, "deny_refund", {"reason": "No."}, HTTP_HX_REQUEST="true")
    assert denied.status_code == 204 and denied["HX-Redirect"].startswith("/accounts/two-factor/set-up/")
    assert ReturnRequest.objects.get(pk=rr.pk).status == "awaiting_approval"


def test_an_app_set_up_since_sign_in_is_asked_for_before_money_moves(client, agent, manager):
    """The session remembered no app (so desk pages open), but the money action asks the database again."""
    rr = awaiting_a_manager(agent, client)
    client.force_login(manager)
    give_app(manager)
    response = act(client, rr, "approve_refund", {"reference": "BANK-7"})
    assert response.status_code == 400
    text = response.content.decode()
    assert "Money moves only after your second factor" in text and "Nothing was changed." in text
    assert f'href="/accounts/two-factor/?next=%2Fdesk%2Freturns%2F{rr.pk}%2F"' in text  # a link, not escaped
    rr.refresh_from_db()
    assert rr.status == "awaiting_approval" and not rr.refunds.exists()


@pytest.mark.parametrize("action", sorted(MONEY_FORMS))
def test_an_agent_who_chose_an_app_gives_its_code_before_money_moves(client, agent, action):
    state, data = MONEY_FORMS[action]
    rr = return_in_state(state, unit_price=4000)
    client.force_login(agent)
    give_app(agent)  # after signing in: only the money action notices
    refused = act(client, rr, action, data)
    assert refused.status_code == 400 and "Money moves only after your second factor" in refused.content.decode()
    assert not Refund.objects.exists() and not StoreCredit.objects.exists()
    assert ReturnRequest.objects.get(pk=rr.pk).status == state


def test_every_money_action_is_gated():
    money = {name for name, action in TICKET_ACTIONS.items() if action.money}
    assert money == {
        "issue_refund",
        "retry_refund",
        "issue_store_credit",
        "settle",
        "ship_exchange",
        "refund_without_return",
        "approve_refund",
        "deny_refund",
        "refund_succeeded",
        "refund_failed",
    }


def test_with_the_code_given_the_manager_approves(client, agent, manager, required):
    rr = awaiting_a_manager(agent, client)
    device = give_app(manager)
    client.post("/accounts/login/", {"username": "morgan", "password": "pw"})
    client.post("/accounts/two-factor/", {"code": phone_code(device), "next": "/desk/"})
    response = act(client, rr, "approve_refund", {"reference": "BANK-7"})
    assert response.status_code == 302
    rr.refresh_from_db()
    assert rr.status == "refund_pending" and rr.refunds.get().amount == 26315
    assert client.session[two_factor.HAS_DEVICE_SESSION_KEY] is True


def test_an_agent_without_an_app_moves_money_as_before(client, agent, required):
    rr = return_in_state("inspected", unit_price=4000)
    client.force_login(agent)
    assert act(client, rr, "issue_refund", {"amount": "40.00", "reference": "BANK-1"}).status_code == 302
    assert Refund.objects.get().amount == 4000


def test_redeeming_store_credit_waits_for_the_code_too(client, agent):
    """Spending a customer's credit at the desk is money too: an agent who chose an app gives its code first."""
    rr = return_in_state("resolved", unit_price=4000)
    credit = StoreCredit.objects.create(
        email=rr.email, kind="issue", amount=4000, bonus=0, currency="USD", code="SC-REDEEM2FA", return_request=rr
    )
    client.force_login(agent)
    give_app(agent)
    refused = client.post("/desk/store-credit/", {"code": credit.code, "amount": "10.00", "note": "Phone order"})
    assert refused.status_code == 200 and "Money moves only after your second factor" in refused.content.decode()
    assert StoreCredit.objects.filter(code=credit.code).count() == 1  # nothing redeemed
