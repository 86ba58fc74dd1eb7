"""Signing in to the desk in Chromium as staff do: the password, then the code from the authenticator app; a
manager without an app sets one up from its QR code; a run of wrong passwords is paused with a clear message."""

import re

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from tests.browser.test_accessibility import AXE_JS, Audit
from tests.conftest import require
from tests.staff.helpers import give_app, phone_code, unused_code

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CSP_WATCH = (
    "window.__csp = [];"
    "document.addEventListener('securitypolicyviolation', e => window.__csp.push(e.violatedDirective));"
)


def password(page, live_server, username, secret="pw"):
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(secret)
    page.get_by_role("button", name="Log in").click()


@pytest.mark.parametrize("width", [390, 1280])
def test_a_manager_signs_in_with_the_code_from_their_app(page, live_server, manager, settings, screenshot, width):
    settings.STAFF_2FA_REQUIRED = True
    device = give_app(manager)
    page.set_viewport_size({"width": width, "height": 900})
    password(page, live_server, "morgan")
    expect(page.get_by_role("heading", name="Confirm it is you")).to_be_visible()
    expect(page.get_by_role("link", name="Returns")).to_have_count(0)  # no desk before the code
    page.get_by_label("Code").fill("111111")
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_text("That code does not match")).to_be_visible()
    screenshot("sign-in-code-refused", widths=(width,))

    page.wait_for_timeout(1100)  # django-otp waits a second after a wrong code
    page.get_by_label("Code").fill(unused_code(device))
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("button", name="Log out morgan")).to_be_visible()
    assert page.url == f"{live_server.url}/desk/"
    page.goto(f"{live_server.url}/admin/")
    expect(page.get_by_role("heading", name="Managers' admin")).to_be_visible()


def test_a_manager_without_an_app_sets_one_up_from_the_qr_code(page, live_server, manager, settings, screenshot):
    settings.STAFF_2FA_REQUIRED = True
    page.add_init_script(CSP_WATCH)
    password(page, live_server, "morgan")
    expect(page.get_by_role("heading", name="Set up your authenticator app")).to_be_visible()
    qr = page.locator(".qr svg")
    expect(qr).to_be_visible()
    box = qr.bounding_box()
    assert box["width"] >= 120 and box["height"] >= 120  # big enough for a phone's camera
    secret = page.locator("code.secret").inner_text().replace(" ", "")
    assert re.fullmatch(r"[A-Z2-7]{32}", secret)
    screenshot("two-factor-set-up")

    device = TOTPDevice.objects.get(user=manager, confirmed=False)
    page.get_by_label("Code from the app").fill(phone_code(device))
    page.get_by_role("button", name="Turn on two-factor sign-in").click()
    expect(page.get_by_role("heading", name="Your recovery codes")).to_be_visible()
    expect(page.locator(".recovery-codes li")).to_have_count(10)
    screenshot("two-factor-recovery-codes")
    page.get_by_role("link", name="I have saved them: continue").click()
    expect(page.get_by_role("button", name="Log out morgan")).to_be_visible()
    assert page.evaluate("window.__csp") == []


def test_a_run_of_wrong_passwords_is_paused_with_a_message(page, live_server, agent, screenshot):
    for _ in range(5):
        password(page, live_server, "ana", secret="wrong")
    expect(page.get_by_role("alert")).to_contain_text("signing in is paused for 15 minutes")
    password(page, live_server, "ana")
    expect(page.get_by_role("alert")).to_contain_text("Too many wrong passwords")
    expect(page.get_by_role("button", name="Log out ana")).to_have_count(0)
    screenshot("sign-in-paused")


# axe-core is injected as an inline script, which the pages' Content-Security-Policy refuses: this test's browser
# context bypasses CSP (the tests above keep it and watch for violations).
@pytest.mark.browser_context_args(bypass_csp=True)
def test_the_sign_in_pages_have_no_accessibility_violations(page, live_server, manager, settings):
    require(AXE_JS.exists(), f"axe-core is not installed at {AXE_JS} (run `make install`, which runs `npm ci`)")
    settings.STAFF_2FA_REQUIRED = True
    audit = Audit(page)
    password(page, live_server, "morgan")
    expect(page.get_by_role("heading", name="Set up your authenticator app")).to_be_visible()
    audit.check("sign-in: set up an app")
    device = TOTPDevice.objects.get(user=manager, confirmed=False)
    page.get_by_label("Code from the app").fill(phone_code(device))
    page.get_by_role("button", name="Turn on two-factor sign-in").click()
    audit.check("sign-in: recovery codes")
    page.get_by_role("link", name="I have saved them: continue").click()
    page.goto(f"{live_server.url}/accounts/sign-in/")
    audit.check("sign-in: own page")
    page.get_by_role("button", name="Log out morgan").click()
    password(page, live_server, "morgan")
    page.get_by_label("Code").fill("000000")
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_text("That code does not match")).to_be_visible()
    audit.check("sign-in: a code refused")
    audit.assert_clean()
