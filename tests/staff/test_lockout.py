"""Staff sign-in under attack: a run of wrong passwords pauses signing in for that account and that address
(django-axes), the page says so, and a manager lifts the pause in the admin."""

import pytest
from axes.models import AccessAttempt

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

ATTACKER = "10.0.0.66"


def log_in(client, username, password, address=ATTACKER, path="/accounts/login/"):
    return client.post(path, {"username": username, "password": password}, REMOTE_ADDR=address)


def signed_in(client) -> bool:
    return "_auth_user_id" in client.session


def test_the_sixth_wrong_password_is_locked_out_and_the_right_one_then_does_not_log_in(client, agent):
    for _ in range(5):
        log_in(client, "ana", "wrong")
    sixth = log_in(client, "ana", "wrong")
    assert sixth.status_code == 429
    text = sixth.content.decode()
    assert "Too many wrong passwords for this account, or from this address" in text
    assert "paused for 15 minutes" in text
    assert 'name="password"' in text  # the login page itself, not a bare refusal

    right = log_in(client, "ana", "pw")
    assert right.status_code == 429 and not signed_in(client)
    assert client.get("/desk/").status_code == 302  # still to the login page


def test_the_lockout_holds_for_the_account_from_another_address(client, agent):
    for _ in range(5):
        log_in(client, "ana", "wrong")
    assert log_in(client, "ana", "pw", address="10.0.0.7").status_code == 429
    assert not signed_in(client)


def test_another_person_from_another_address_is_not_locked(client, agent, second_agent):
    for _ in range(6):
        log_in(client, "ana", "wrong")
    response = log_in(client, "ben", "pw", address="10.0.0.8")
    assert response.status_code == 302 and response["Location"] == "/desk/"
    assert signed_in(client)


def test_guessing_many_usernames_from_one_address_is_locked_too(client, agent):
    for n in range(5):
        log_in(client, f"someone{n}", "wrong")
    assert log_in(client, "ana", "pw").status_code == 429
    assert not signed_in(client)


def test_fewer_wrong_passwords_than_the_limit_still_let_the_right_one_in(client, agent):
    for _ in range(4):
        assert log_in(client, "ana", "wrong").status_code == 200
    assert log_in(client, "ana", "pw").status_code == 302
    assert not AccessAttempt.objects.filter(username="ana").exists()  # a success clears the count


def test_the_admin_login_page_checks_no_password_and_sends_people_to_the_desk_login(client, agent, manager):
    for _ in range(8):
        response = log_in(client, "morgan", "wrong", path="/admin/login/?next=/admin/")
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    log_in(client, "morgan", "pw", path="/admin/login/?next=/admin/")
    assert not signed_in(client)
    assert client.get("/admin/login/?next=/admin/payments/refund/")["Location"] == (
        "/accounts/login/?next=/admin/payments/refund/"
    )


def test_a_manager_unlocks_a_locked_account_in_the_admin(client, agent, manager):
    for _ in range(5):
        log_in(client, "ana", "wrong")
    assert log_in(client, "ana", "pw").status_code == 429
    locked = list(AccessAttempt.objects.values_list("pk", flat=True))

    desk = UserFactory(username="desk-manager", groups=["Managers"])  # a manager, not a superuser
    client.force_login(desk)
    listing = client.get("/admin/axes/accessattempt/")
    assert listing.status_code == 200 and "ana" in listing.content.decode()
    done = client.post(
        "/admin/axes/accessattempt/", {"action": "unlock", "_selected_action": locked}, follow=True
    ).content.decode()
    assert "Unlocked: ana from 10.0.0.66" in done
    client.logout()

    assert log_in(client, "ana", "pw").status_code == 302 and signed_in(client)


def test_agents_cannot_unlock_anyone(client, agent):
    for _ in range(5):
        log_in(client, "ben", "wrong")
    client.force_login(agent)
    assert client.get("/admin/axes/accessattempt/").status_code == 403
    pks = list(AccessAttempt.objects.values_list("pk", flat=True))
    assert client.post("/admin/axes/accessattempt/", {"action": "unlock", "_selected_action": pks}).status_code == 403
    assert AccessAttempt.objects.count() == len(pks)
