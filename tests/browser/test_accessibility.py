"""Accessibility: every page state a customer meets in the portal, and the desk's queue, ticket and insights, checked
by axe-core in Chromium at 390 and 1280 px (WCAG 2.0/2.1 A and AA, and axe's best practices). Any violation fails
the test, printed with its page, rule and elements. axe-core comes from the npm registry (`make install` runs
`npm ci`); Playwright injects it into each page.

The first tests need no browser: a field's aria-describedby names ids that exist, and the error summary links each
error to its field."""

import re
from pathlib import Path

import pytest
from django import forms
from django.conf import settings
from django.template.loader import render_to_string
from playwright.sync_api import expect

from returns_desk.core.actors import Actor
from returns_desk.notifications.links import orders_link_token
from returns_desk.orders.models import Product
from returns_desk.payments import services as payments
from returns_desk.returns import services
from tests.conftest import require
from tests.factories import OrderFactory, OrderLineFactory, UserFactory, return_in_state
from tests.portal.shop import EMAIL, build_shop

AXE_JS = Path(settings.BASE_DIR) / "node_modules" / "axe-core" / "axe.min.js"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]
WIDTHS = (390, 1280)

AFTER_PAINT = "() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)))"

# Runs in the page: axe's violations, and any aria-describedby / aria-labelledby naming an id the page lacks.
RUN_AXE = """async (tags) => {
  const result = await axe.run(document, {runOnly: {type: "tag", values: tags}, resultTypes: ["violations"]});
  const violations = result.violations.map((v) => ({
    rule: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.map((n) => ({target: n.target.join(" "), html: n.html.slice(0, 240), why: n.failureSummary})),
  }));
  const dangling = [];
  for (const el of document.querySelectorAll("[aria-describedby], [aria-labelledby]")) {
    for (const name of ["aria-describedby", "aria-labelledby"]) {
      for (const id of (el.getAttribute(name) || "").split(/\\s+/).filter(Boolean)) {
        if (!document.getElementById(id)) dangling.push(`${name}="${id}" on ${el.outerHTML.slice(0, 160)}`);
      }
    }
  }
  return {violations, dangling};
}"""


class Audit:
    """Runs axe on the page's current state at each width and keeps every finding, to report them all at once."""

    def __init__(self, page):
        self.page = page
        self.findings: list[str] = []
        self.checked: list[str] = []

    def check(self, state: str) -> None:
        for width in WIDTHS:
            self.page.set_viewport_size({"width": width, "height": 900})
            self.page.evaluate(AFTER_PAINT)  # what a person sees: the page laid out and painted at this width
            if not self.page.evaluate("typeof window.axe !== 'undefined'"):
                self.page.add_script_tag(path=str(AXE_JS))
            found = self.page.evaluate(RUN_AXE, AXE_TAGS)
            where = f"{state} @{width}px ({self.page.url})"
            for v in found["violations"]:
                nodes = "\n".join(f"      {n['target']}: {n['html']}\n        {n['why']}" for n in v["nodes"])
                self.findings.append(f"{where}\n    {v['rule']} ({v['impact']}): {v['help']}\n{nodes}")
            self.findings.extend(f"{where}\n    dangling reference: {d}" for d in found["dangling"])
        self.page.set_viewport_size({"width": 1280, "height": 900})
        self.checked.append(state)

    def assert_clean(self) -> None:
        if self.findings:
            pytest.fail(f"{len(self.findings)} accessibility finding(s):\n\n" + "\n\n".join(self.findings))


@pytest.fixture
def browser_context_args(browser_context_args):
    return {**browser_context_args, "bypass_csp": True}  # axe is the test's tool, injected inline, not the page's


@pytest.fixture
def audit(page):
    require(AXE_JS.exists(), f"axe-core is not installed at {AXE_JS} (run `make install`, which runs `npm ci`)")
    return Audit(page)


# --- without a browser: the ids screen readers follow ---------------------------------------------------------


class ExampleForm(forms.Form):
    name = forms.CharField(label="Name", help_text="As on the parcel.")
    size = forms.ChoiceField(label="Size", choices=[("s", "S"), ("m", "M")], widget=forms.RadioSelect)
    token = forms.CharField(widget=forms.HiddenInput)

    def clean(self):
        raise forms.ValidationError("Nothing can be saved <now>.")


def ids_and_references(html: str) -> tuple[set[str], list[str]]:
    ids = set(re.findall(r'\bid="([^"]+)"', html))
    references = [ref for refs in re.findall(r'aria-describedby="([^"]+)"', html) for ref in refs.split()]
    return ids, references


def test_a_fields_hint_and_error_are_named_by_its_aria_describedby():
    form = ExampleForm({"name": ""}, prefix="line-7")
    form.is_valid()
    html = render_to_string("includes/field.html", {"field": form["name"]})
    ids, references = ids_and_references(html)
    assert references == ["id_line-7-name_helptext", "id_line-7-name_error"]
    assert set(references) <= ids
    assert '<label for="id_line-7-name">Name</label>' in html


def test_a_radio_group_is_a_fieldset_described_by_its_error():
    form = ExampleForm({}, prefix="line-7")
    form.is_valid()
    html = render_to_string("includes/field.html", {"field": form["size"]})
    ids, references = ids_and_references(html)
    assert references == ["id_line-7-size_error"] and set(references) <= ids
    assert "<legend>Size</legend>" in html and '<label for="">' not in html


def test_the_error_summary_links_each_error_to_its_field():
    first, second = ExampleForm(prefix="a"), ExampleForm({}, prefix="b")
    second.is_valid()
    second.summary_name = "Linen & shirt"
    html = render_to_string("includes/error_summary.html", {"forms": [first, second], "page_error": "Choose one."})
    assert "There is a problem" in html and 'tabindex="-1"' in html
    entries = re.findall(r"<li>(.*?)</li>", html)
    assert entries == [
        "Choose one.",
        "Linen &amp; shirt: Nothing can be saved &lt;now&gt;.",  # a non-field error: plain text, escaped
        '<a href="#id_b-name">Linen &amp; shirt: This field is required.</a>',
        '<a href="#id_b-size_0">Linen &amp; shirt: This field is required.</a>',  # a radio group: its first radio
        "Linen &amp; shirt: This field is required.",  # a hidden field has nothing to focus
    ]


def test_the_error_summary_renders_nothing_without_errors():
    assert render_to_string("includes/error_summary.html", {}).strip() == ""
    unbound, valid = ExampleForm(), forms.Form({})
    valid.is_valid()
    context = {"form": valid, "forms": [unbound, ExampleForm(prefix="x")], "page_error": ""}
    assert render_to_string("includes/error_summary.html", context).strip() == ""


# --- in Chromium: the portal ----------------------------------------------------------------------------------


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_steps_of_a_new_return_have_no_violations(page, live_server, reference_data, audit):
    build_shop()
    page.goto(f"{live_server.url}/returns/")
    audit.check("lookup")
    page.get_by_role("button", name="Find my order").click()
    expect(page.locator(".error").first).to_be_visible()
    audit.check("lookup with errors")
    lookup = page.locator("form").filter(has=page.get_by_role("button", name="Find my order"))
    lookup.get_by_label("Order number").fill("100123")
    lookup.get_by_label("Email").fill(EMAIL)
    lookup.get_by_role("button", name="Find my order").click()
    expect(page.get_by_role("heading", name="Which items are you returning?")).to_be_visible()
    audit.check("items")
    shirt = page.locator("fieldset.line-choice", has_text="Linen shirt (M)")
    shirt.get_by_label("How many to return").select_option("1")
    page.get_by_role("button", name="Continue").click()
    expect(page.locator("[data-error-summary]")).to_be_visible()
    audit.check("items with errors")
    page.locator("fieldset.line-choice", has_text="Linen shirt (M)").get_by_label("Reason").select_option("damaged")
    page.get_by_role("button", name="Continue").click()
    expect(page.locator(".steps [aria-current='step']")).to_contain_text("Refund, credit or exchange")
    audit.check("outcome")
    page.get_by_role("button", name=re.compile("Review")).click()
    expect(page.locator(".steps [aria-current='step']")).to_contain_text("Confirm")
    audit.check("review")
    page.get_by_role("button", name=re.compile("Confirm")).click()
    expect(page).to_have_url(re.compile(r"/returns/status/"))
    audit.check("status, just created")
    audit.assert_clean()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_orders_link_pages_have_no_violations(page, live_server, reference_data, audit):
    shop = build_shop()
    page.goto(f"{live_server.url}/returns/orders/link/sent/")
    audit.check("orders link: sent")
    page.goto(f"{live_server.url}/returns/orders/{orders_link_token(shop.order)}/")
    expect(page.get_by_text("100123").first).to_be_visible()
    audit.check("orders link: the orders")
    page.goto(f"{live_server.url}/returns/orders/not-a-real-link/")
    audit.check("orders link: not valid")
    audit.assert_clean()


def _with_one_item_rejected(manager):
    order = OrderFactory(amount_paid=7000)
    shirt = OrderLineFactory(order=order, title="Linen shirt (M)", unit_price=4000)
    belt = OrderLineFactory(order=order, title="Leather belt", unit_price=3000)
    rr = services.return_create(
        order=order,
        items=[services.RequestedItem(shirt.pk, 1, "damaged"), services.RequestedItem(belt.pk, 1, "damaged")],
        by=Actor.customer(),
    )
    by = Actor.staff(manager)
    services.return_approve(return_request=rr, by=by)
    services.return_receive(return_request=rr, by=by)
    kept, refused = rr.items.order_by("pk")
    results = [
        services.ItemInspection(kept.pk, "accepted", "like_new", "restock"),
        services.ItemInspection(
            refused.pk,
            "rejected",
            note="Scratched buckle.",
            customer_note="The buckle came back scratched & worn.",
            rejected_handling="sent_back_our_cost",
        ),
    ]
    return services.return_inspect(return_request=rr, by=by, results=results)


def _resolved_by_store_credit(manager):
    rr = return_in_state("inspected")
    return payments.return_issue_store_credit(return_request=rr, by=Actor.staff(manager))


def _resolved_by_exchange(manager):
    rr = return_in_state("inspected")
    Product.objects.filter(pk=rr.items.get().order_line.product_id).update(stock=5)
    return payments.return_ship_exchange(
        return_request=rr, by=Actor.staff(manager), carrier="DPD", tracking_number="EX-1550"
    )


STATUS_PAGES = {
    "requested": lambda manager: return_in_state("requested"),
    "needs info": lambda manager: return_in_state("needs_info"),
    "approved, with its label": lambda manager: return_in_state("approved"),
    "in transit": lambda manager: return_in_state("in_transit"),
    "received": lambda manager: return_in_state("received"),
    "inspected, one item rejected": _with_one_item_rejected,
    "awaiting refund approval": lambda manager: return_in_state("awaiting_approval"),
    "refund pending": lambda manager: return_in_state("refund_pending"),
    "refund failed": lambda manager: return_in_state("refund_failed"),
    "resolved by refund": lambda manager: return_in_state("resolved"),
    "resolved by store credit": _resolved_by_store_credit,
    "resolved by exchange": _resolved_by_exchange,
    "rejected": lambda manager: return_in_state("rejected"),
    "cancelled": lambda manager: return_in_state("cancelled"),
    "closed, with the survey": lambda manager: return_in_state("closed"),
}


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_status_page_in_every_state_has_no_violations(page, live_server, manager, audit):
    returns = {state: build(manager) for state, build in STATUS_PAGES.items()}
    for state, rr in returns.items():
        page.goto(f"{live_server.url}/returns/status/{rr.customer_token}/")
        expect(page.locator("h1")).to_be_visible()
        audit.check(f"status: {state}")

    page.goto(f"{live_server.url}/returns/status/{returns['requested'].customer_token}/")
    page.get_by_role("button", name="Send message").click()  # empty: refused with an error by the field
    expect(page.locator("#messages .error").first).to_be_visible()
    audit.check("status: a message refused")
    page.goto(f"{live_server.url}/returns/status/{returns['closed, with the survey'].customer_token}/")
    page.get_by_role("button", name="Send rating").click()
    expect(page.locator("#survey .error").first).to_be_visible()
    audit.check("status: a rating refused")
    assert len(audit.checked) == len(STATUS_PAGES) + 2
    audit.assert_clean()


# --- in Chromium: the desk ------------------------------------------------------------------------------------


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_desks_queue_ticket_and_insights_have_no_violations(page, live_server, manager, audit):
    UserFactory(username="ana", first_name="Ana", groups=["Agents"])
    for state in ("requested", "needs_info", "in_transit", "awaiting_approval", "resolved"):
        return_in_state(state)
    rr = _with_one_item_rejected(manager)
    services.return_add_message(return_request=rr, by=Actor.customer(), body="Can you send the belt back?")
    services.return_add_note(return_request=rr, by=Actor.staff(manager), body="Customer called about the belt.")
    page.goto(f"{live_server.url}/accounts/login/")
    audit.check("desk: log in")
    page.get_by_label("Username").fill(manager.username)
    page.get_by_label("Password").fill("pw")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("button", name=f"Log out {manager.username}")).to_be_visible()

    page.goto(f"{live_server.url}/desk/")
    expect(page.locator("table.queue-table")).to_be_visible()
    audit.check("desk: queue")
    page.goto(f"{live_server.url}/desk/returns/{rr.pk}/")
    expect(page.get_by_role("heading", name=re.compile(rr.rma_number))).to_be_visible()
    audit.check("desk: ticket")
    reject = page.locator("details.action").filter(has=page.locator("summary", has_text="Reject"))
    reject.locator("summary").click()  # its form is fetched when the panel opens
    expect(reject.locator("form textarea").first).to_be_visible()
    audit.check("desk: ticket, the Reject form open")
    page.goto(f"{live_server.url}/desk/insights/")
    expect(page.get_by_role("heading", name="Insights", exact=True)).to_be_visible()
    audit.check("desk: insights")
    audit.assert_clean()
