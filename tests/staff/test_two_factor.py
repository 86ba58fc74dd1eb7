"""Signing in with a second factor: the code after the password, recovery codes that work once, setting up an
app (required of managers), and desk pages that wait for the code."""

import re
from base64 import b32encode

import pytest
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from returns_desk.settings import base
from returns_desk.staff import two_factor
from tests.staff.helpers import give_app, phone_code, recovery_codes_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def required(settings):
    settings.STAFF_2FA_REQUIRED = True


def password(client, username, next_page=""):
    data = {"username": username, "password": "pw"}
    if next_page:
        data["next"] = next_page
    return client.post("/accounts/login/", data)


def shown_secret(page: str) -> str:
    return re.search(r'<code class="secret">([A-Z2-7 ]+)</code>', page).group(1).replace(" ", "")


def code(client, typed, next_page="/desk/"):
    return client.post("/accounts/two-factor/", {"code": typed, "next": next_page})


def test_production_asks_managers_for_a_second_factor_by_default():
    assert base.STAFF_2FA_REQUIRED is True


def test_after_the_password_a_person_with_an_app_gives_its_code_before_the_desk(client, agent):
    device = give_app(agent)
    response = password(client, "ana", next_page="/desk/?queue=mine")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/two-factor/?next=%2Fdesk%2F%3Fqueue%3Dmine"
    waiting = client.get("/desk/")
    assert waiting.status_code == 302 and waiting["Location"].startswith("/accounts/two-factor/")

    page = client.get(response["Location"]).content.decode()
    assert "Confirm it is you" in page and "recovery codes" in page
    assert 'href="/desk/"' not in page  # nothing of the desk yet: only logging out

    done = code(client, phone_code(device), next_page="/desk/?queue=mine")
    assert done.status_code == 302 and done["Location"] == "/desk/?queue=mine"
    assert client.get("/desk/").status_code == 200


def test_a_wrong_code_is_refused_and_the_desk_stays_shut(client, agent):
    give_app(agent)
    password(client, "ana")
    refused = code(client, "000000")
    assert refused.status_code == 400
    assert "That code does not match" in refused.content.decode()
    assert client.get("/desk/").status_code == 302


def test_repeated_wrong_codes_are_slowed_down(client, agent, settings):
    settings.OTP_TOTP_THROTTLE_FACTOR = 60  # a minute after a wrong code (1 s by default)
    device = give_app(agent)
    password(client, "ana")
    code(client, "000000")
    slowed = code(client, phone_code(device))  # right, but too soon after a wrong one
    assert slowed.status_code == 400 and "Too many wrong codes. Try again in" in slowed.content.decode()


def test_a_recovery_code_works_once_only(client, agent):
    give_app(agent, recovery_codes=3)
    spare = recovery_codes_of(agent)[0]
    password(client, "ana")
    used = code(client, spare.upper()[:4] + "-" + spare.upper()[4:])  # typed as people copy it
    assert used.status_code == 302 and used["Location"] == "/desk/"
    warned = client.get("/desk/").content.decode()
    assert "Recovery code used; it will not work again. You have 2 left" in warned
    assert spare not in recovery_codes_of(agent)

    client.post("/accounts/logout/")
    password(client, "ana")
    again = code(client, spare)
    assert again.status_code == 400 and "does not match" in again.content.decode()
    assert client.get("/desk/").status_code == 302


def test_a_manager_without_an_app_is_sent_to_set_one_up_and_gets_recovery_codes(client, manager, required):
    response = password(client, "morgan", next_page="/admin/")
    assert response["Location"] == "/accounts/two-factor/set-up/?next=%2Fadmin%2F"
    assert client.get("/desk/")["Location"].startswith("/accounts/two-factor/set-up/")

    page = client.get(response["Location"]).content.decode()
    assert "<svg" in page and "QR code for your authenticator app" in page
    device = TOTPDevice.objects.get(user=manager, confirmed=False)
    assert shown_secret(page) == b32encode(device.bin_key).decode()
    assert shown_secret(client.get(response["Location"]).content.decode()) == shown_secret(page)  # same on reload
    assert TOTPDevice.objects.filter(user=manager).count() == 1

    wrong = client.post("/accounts/two-factor/set-up/", {"code": "123456", "next": "/admin/"})
    assert wrong.status_code == 400 and "does not match" in wrong.content.decode()
    device.throttling_failure_count = 0
    device.save()

    done = client.post("/accounts/two-factor/set-up/", {"code": phone_code(device), "next": "/admin/"})
    assert done["Location"] == "/accounts/two-factor/recovery-codes/?next=%2Fadmin%2F"
    shown = client.get(done["Location"]).content.decode()
    codes = recovery_codes_of(manager)
    assert len(codes) == 10 and all(c in shown for c in codes)
    assert "shown only now" in shown
    assert codes[0] not in client.get(done["Location"]).content.decode()  # once
    assert client.get("/admin/").status_code == 200  # the session gave its code while setting up


def test_replacing_an_app_takes_a_code_from_the_old_one(client, agent):
    old = give_app(agent)
    password(client, "ana")
    response = client.get("/accounts/two-factor/set-up/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/two-factor/?next=")
    assert client.post("/accounts/two-factor/set-up/", {"code": "123456"}).status_code == 302
    assert list(TOTPDevice.objects.filter(user=agent)) == [old]


def test_an_agent_may_set_up_an_app_from_their_sign_in_page_and_turn_it_off(client, agent, required):
    client.force_login(agent)
    assert client.get("/desk/").status_code == 200  # optional for agents, even when managers must
    page = client.get("/accounts/sign-in/").content.decode()
    assert "Two-factor sign-in is off" in page
    client.get("/accounts/two-factor/set-up/")
    device = TOTPDevice.objects.get(user=agent)
    client.post("/accounts/two-factor/set-up/", {"code": phone_code(device), "next": "/accounts/sign-in/"})
    page = client.get("/accounts/sign-in/").content.decode()
    assert "Two-factor sign-in is on" in page and "10 unused recovery codes" in page

    client.post("/accounts/sign-in/turn-off-two-factor/")
    assert not TOTPDevice.objects.filter(user=agent).exists() and not StaticToken.objects.exists()
    client.post("/accounts/logout/")
    assert password(client, "ana")["Location"] == "/desk/"


def test_a_manager_cannot_turn_the_second_factor_off(client, manager, required):
    give_app(manager)
    password(client, "morgan")
    code(client, recovery_codes_of(manager)[0])
    assert "Turn off" not in client.get("/accounts/sign-in/").content.decode()
    refused = client.post("/accounts/sign-in/turn-off-two-factor/", follow=True).content.decode()
    assert "Managers must sign in with a second factor" in refused
    assert TOTPDevice.objects.filter(user=manager, confirmed=True).exists()


def test_new_recovery_codes_replace_the_old_ones(client, agent):
    give_app(agent)
    old = recovery_codes_of(agent)
    password(client, "ana")
    code(client, old[0])
    made = client.post("/accounts/sign-in/new-recovery-codes/", follow=True).content.decode()
    new = recovery_codes_of(agent)
    assert len(new) == 10 and all(c in made for c in new)
    assert not set(old) & set(new)


def test_an_htmx_part_asks_for_the_code_as_a_whole_page(client, agent):
    give_app(agent)
    password(client, "ana")
    response = client.get("/desk/notices/bell/", HTTP_HX_REQUEST="true", HTTP_HX_CURRENT_URL="http://testserver/desk/")
    assert response.status_code == 204
    assert response["HX-Redirect"] == "/accounts/two-factor/?next=http%3A%2F%2Ftestserver%2Fdesk%2F"


def test_an_app_set_up_in_another_session_is_asked_for_by_the_admin(client, manager):
    client.force_login(manager)  # no app yet: the session remembers none
    assert client.get("/admin/").status_code == 200
    give_app(manager)
    response = client.get("/admin/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/two-factor/")
    assert client.session[two_factor.HAS_DEVICE_SESSION_KEY] is True
