"""Under the strict Content-Security-Policy, Chromium reports no `securitypolicyviolation` across the portal, the
desk (htmx swaps included), the sign-in pages and the admin: nothing served relies on inline script or style."""

import re

import pytest
from playwright.sync_api import expect

from returns_desk.core.actors import Actor
from returns_desk.desk.models import CannedResponse
from returns_desk.notifications.links import orders_link_token
from returns_desk.returns import services
from tests.factories import UserFactory, return_in_state
from tests.portal.shop import EMAIL, build_shop

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Added by Playwright before any of the page's own scripts (and outside its policy): every violation the page
# raises, and the console's "Refused to …" lines, which also name violations raised before a listener could be.
LISTEN = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__violations.push(`${e.effectiveDirective} blocked ${e.blockedURI || "?"} (${e.sourceFile}:${e.lineNumber}` +
    `) ${e.sample || ""}`);
});
"""


class Violations:
    """Collects the policy violations of every page visited, to report them all at once."""

    def __init__(self, page):
        self.page = page
        self.found: list[str] = []
        self.visited: list[str] = []
        page.add_init_script(LISTEN)
        page.on(
            "console",
            lambda msg: "Content Security Policy" in msg.text and self.found.append(f"{page.url}: {msg.text}"),
        )

    def check(self, what: str) -> None:
        self.page.wait_for_load_state("networkidle")
        for violation in self.page.evaluate("window.__violations || []"):
            self.found.append(f"{what} ({self.page.url}): {violation}")
        self.page.evaluate("window.__violations = []")
        self.visited.append(what)

    def visit(self, url: str, what: str) -> None:
        response = self.page.goto(url)
        assert response is not None and "script-src 'self'" in response.headers["content-security-policy"], url
        self.check(what)

    def assert_none(self) -> None:
        assert not self.found, f"{len(self.found)} violation(s):\n" + "\n".join(self.found)


@pytest.fixture
def violations(page):
    return Violations(page)


def log_in(page, live_server, user):
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill("pw")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("button", name=f"Log out {user.username}")).to_be_visible()


def test_the_listener_hears_a_violation_so_silence_means_none(page, live_server, violations):
    violations.visit(f"{live_server.url}/returns/", "start")
    page.evaluate("document.body.setAttribute('style', 'outline: 1px solid red')")  # an inline style: refused
    page.wait_for_function("window.__violations.length > 0")
    violations.check("start, with an inline style added")
    assert any("style-src" in v for v in violations.found)


def test_the_portal_raises_no_violation(page, live_server, reference_data, violations, screenshot):
    shop = build_shop()
    url = live_server.url
    violations.visit(f"{url}/returns/", "lookup")
    lookup = page.locator("form").filter(has=page.get_by_role("button", name="Find my order"))
    lookup.get_by_label("Order number").fill("100123")
    lookup.get_by_label("Email").fill(EMAIL)
    lookup.get_by_role("button", name="Find my order").click()
    expect(page.get_by_role("heading", name="Which items are you returning?")).to_be_visible()
    violations.check("items")
    shirt = page.locator("fieldset.line-choice", has_text="Linen shirt (M)")
    shirt.get_by_label("How many to return").select_option("1")
    shirt.get_by_label("Reason").select_option("damaged")
    page.get_by_role("button", name="Continue").click()
    expect(page.locator(".steps [aria-current='step']")).to_contain_text("Refund, credit or exchange")
    violations.check("outcome")
    page.get_by_role("button", name=re.compile("Review")).click()
    violations.check("review")
    page.get_by_role("button", name=re.compile("Confirm")).click()
    expect(page).to_have_url(re.compile(r"/returns/status/"))
    violations.check("status, just created")
    page.get_by_role("button", name="Send message").click()  # empty: refused, with the error summary
    expect(page.locator("#messages .error").first).to_be_visible()
    violations.check("status, a message refused")
    screenshot("csp-portal-status")

    for state in ("approved", "resolved", "closed"):
        violations.visit(f"{url}/returns/status/{return_in_state(state).customer_token}/", f"status: {state}")
    violations.visit(f"{url}/returns/orders/link/sent/", "orders link sent")
    violations.visit(f"{url}/returns/orders/{orders_link_token(shop.order)}/", "orders by link")
    violations.visit(f"{url}/returns/orders/not-a-real-link/", "orders link not valid")
    page.goto(f"{url}/returns/status/no-such-return/")
    violations.check("portal 404")
    violations.assert_none()
    assert len(violations.visited) == 13


def test_the_desk_sign_in_and_admin_raise_no_violation(page, live_server, manager, violations, settings, screenshot):
    settings.STRIPE_SECRET_KEY = "sk_test_badge"  # the "Stripe test mode" badge in the top bar
    UserFactory(username="ana", first_name="Ana", groups=["Agents"])
    rr = return_in_state("requested")
    return_in_state("awaiting_approval")
    services.return_add_message(return_request=rr, by=Actor.customer(), body="Is my return on its way?")
    canned = CannedResponse.objects.create(title="Thanks", body="Hi {first_name}, thanks for {rma}.")
    url = live_server.url

    violations.visit(f"{url}/accounts/login/", "sign in")
    log_in(page, live_server, manager)
    violations.check("desk queue, after signing in")
    page.locator("nav.queues a").nth(1).click()
    violations.check("desk queue, another queue")
    page.locator("details.filters summary").click()
    page.locator("form.filter-form [type=submit]").first.click()  # htmx swaps the filtered table in
    violations.check("desk queue, filtered by htmx")
    violations.visit(f"{url}/desk/returns/{rr.pk}/", "ticket")
    reject = page.locator("details.action").filter(has=page.locator("summary", has_text="Reject"))
    reject.locator("summary").click()  # htmx fetches the action's form when the panel opens, and swaps it in
    expect(reject.locator("form textarea").first).to_be_visible()
    violations.check("ticket, an action's form swapped in by htmx")
    screenshot("csp-desk-ticket")
    for path, what in (
        ("/desk/inbox/", "email triage"),
        ("/desk/store-credit/", "store credit"),
        ("/desk/notices/", "notices"),
        ("/desk/disputes/", "disputes"),
        ("/desk/insights/", "insights"),
        ("/accounts/sign-in/", "own sign-in settings"),
        ("/accounts/two-factor/set-up/", "two-factor set-up"),
        ("/desk/no-such-page/", "desk 404"),
        ("/admin/", "admin index"),
        ("/admin/returns/returnrequest/", "admin list"),
        (f"/admin/returns/returnrequest/{rr.pk}/change/", "admin change form"),
        ("/admin/desk/cannedresponse/add/", "admin add form"),
        (f"/admin/desk/cannedresponse/{canned.pk}/change/", "admin change form with a preview"),
    ):
        page.goto(f"{url}{path}")
        violations.check(what)
    violations.assert_none()
