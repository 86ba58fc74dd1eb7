"""The admin is the managers' tool: agents get a 403 on every admin page; a manager who owes a second factor
gives it (or sets up an app) before the admin opens."""

import pytest

from returns_desk.returns.models import ReturnRequest
from tests.factories import return_in_state
from tests.staff.helpers import give_app, phone_code

pytestmark = pytest.mark.django_db

PAGES = ["/admin/", "/admin/payments/stripeevent/", "/admin/policies/returnpolicy/", "/admin/auth/user/"]


@pytest.mark.parametrize("path", PAGES)
def test_agents_get_403_on_the_admin(client, agent, path):
    agent.is_staff = True
    agent.save()
    client.force_login(agent)
    response = client.get(path)
    assert response.status_code == 403
    assert "The admin is for managers" in response.content.decode()


def test_an_agent_sent_to_the_admin_login_is_refused_too(client, agent):
    client.force_login(agent)
    assert client.get("/admin/login/?next=/admin/").status_code == 403


def test_agents_cannot_run_admin_actions(client, agent):
    rr = return_in_state("requested")
    client.force_login(agent)
    response = client.post("/admin/returns/returnrequest/", {"action": "action_approve", "_selected_action": [rr.pk]})
    assert response.status_code == 403
    assert ReturnRequest.objects.get(pk=rr.pk).status == "requested"


def test_anonymous_visitors_are_sent_to_the_desk_login(client):
    response = client.get("/admin/payments/refund/", follow=True)
    assert response.redirect_chain[-1][0] == "/accounts/login/?next=/admin/payments/refund/"


def test_a_manager_without_a_second_factor_cannot_reach_the_admin(client, manager, settings):
    settings.STAFF_2FA_REQUIRED = True
    client.force_login(manager)
    for path in PAGES:
        response = client.get(path)
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/two-factor/set-up/?next=")
    assert client.get("/admin/login/")["Location"].startswith("/accounts/two-factor/set-up/")


def test_a_manager_with_an_app_gives_its_code_then_the_admin_opens(client, manager, settings):
    settings.STAFF_2FA_REQUIRED = True
    device = give_app(manager)
    client.post("/accounts/login/", {"username": "morgan", "password": "pw", "next": "/admin/payments/refund/"})
    assert (
        client.get("/admin/payments/refund/")["Location"]
        == "/accounts/two-factor/?next=%2Fadmin%2Fpayments%2Frefund%2F"
    )
    done = client.post("/accounts/two-factor/", {"code": phone_code(device), "next": "/admin/payments/refund/"})
    assert done["Location"] == "/admin/payments/refund/"
    assert client.get("/admin/payments/refund/").status_code == 200
    assert client.get("/admin/axes/accessattempt/").status_code == 200
    assert client.get("/admin/otp_totp/totpdevice/").status_code == 200
