"""Every email template, walked from templates/email/, rendered with hostile text in every field a person types
(names, item titles, messages, reasons, notes, references): the plain-text part shows it as typed (no `&amp;`,
`&#x27;`, `&lt;`), the HTML part escapes it (no raw `<script`), and the desk's own inspection note appears in
neither. A template this test does not know yet is rendered with hostile text for every variable it reads."""

from pathlib import Path

import pytest
from django.template.loader import render_to_string
from django.utils.html import escape

from returns_desk.core.actors import Actor
from returns_desk.notifications import links, triage
from returns_desk.notifications.models import InboundEmail, OutboundEmail
from returns_desk.notifications.services import (
    email_managers_sla_breaches,
    email_queue,
    email_staff_customer_wrote,
    plain_text,
)
from returns_desk.payments.models import Refund
from returns_desk.returns.events import SlaBreached
from returns_desk.returns.models import ReturnEvent, ReturnRequest
from tests.factories import (
    OrderFactory,
    OrderLineFactory,
    RefundFactory,
    ReturnItemFactory,
    StoreCreditFactory,
    UserFactory,
    return_in_state,
)

EMAIL_TEMPLATES = Path(__file__).resolve().parents[2] / "templates" / "email"
LONG_URL = "https://example.com/" + "a-very-long-path-segment/" * 4 + "?size=M&colour=navy"
# Within the 200 characters a name or an item's title holds (PostgreSQL refuses more; SQLite would not say).
HOSTILE = f"Tom & Jerry's \"best\" <b>coat</b> <script>alert('x')</script> {LONG_URL}"
DESK_SECRET = "DESK-ONLY-SECRET serial returner"
ENTITIES = ("&amp;", "&#x27;", "&#39;", "&quot;", "&lt;", "&gt;")
# Templates that show no word a person typed (only figures, links and our own words): checked for escaping only.
NO_TYPED_WORDS = {"orders_link", "staff/sla_breaches.txt"}
# Included by the others, never rendered alone.
PARTIALS = {"base.html", "base.txt", "shell.html", "desk_message/greeting.txt"}


def email_dirs() -> list[str]:
    """Each folder of templates/email/ (an email kind, or the staff emails)."""
    return sorted(p.name for p in EMAIL_TEMPLATES.iterdir() if p.is_dir())


@pytest.fixture
def hostile_return(agent) -> tuple[ReturnRequest, ReturnEvent]:
    """A return in which everything a customer or the desk typed is hostile, and the event that changed it."""
    rr = return_in_state("inspected", unit_price=4000)
    rr.order.lines.update(title=HOSTILE)
    ReturnItemFactory(
        return_request=rr,
        order_line=OrderLineFactory(order=rr.order, title=HOSTILE, unit_price=2500),
        outcome="rejected",
        customer_note=HOSTILE,
        inspection_note=DESK_SECRET,
        rejected_handling="held",
        condition_description=HOSTILE,
    )
    rr.items.filter(outcome="accepted").update(inspection_note=DESK_SECRET)
    exchange = OrderFactory(shipment_carrier=HOSTILE[:50], shipment_tracking_number=HOSTILE[:90])
    ReturnRequest.objects.filter(pk=rr.pk).update(
        customer_name=HOSTILE, rejection_reason=HOSTILE, exchange_order=exchange, quoted_amount=6500
    )
    RefundFactory(return_request=rr, status=Refund.Status.SUCCEEDED, provider_refund_id=HOSTILE[:90])
    StoreCreditFactory(return_request=rr)
    event = ReturnEvent.objects.create(
        return_request=rr,
        kind="transition",
        actor_kind="staff",
        actor_user=agent,
        transition="cancel",
        from_state="approved",
        to_state="cancelled",
        body=HOSTILE,
        visible_to_customer=True,
        data={"customer_body": HOSTILE, "result": {"balance": 4000}},
    )
    return ReturnRequest.objects.get(pk=rr.pk), event


def render_return_email(kind: str, rr: ReturnRequest, event: ReturnEvent) -> dict[str, str]:
    email = email_queue(return_request=rr, kind=kind, event_key=f"hostile:{kind}", extra={"event": event})
    return {
        f"{kind}/subject.txt": email.subject,
        f"{kind}/body.txt": email.text_body,
        f"{kind}/body.html": email.html_body,
    }


def render_inbox_reply(rr: ReturnRequest, agent) -> dict[str, str]:
    inbound = InboundEmail.objects.create(
        message_id="<hostile@example.com>",
        from_email="sender@example.com",
        subject=HOSTILE[:200],
        text=HOSTILE,
        status=InboundEmail.Status.TRIAGE,
        source="mailgun",
    )
    email = triage.inbound_reply(inbound=inbound, body=HOSTILE, by=Actor.staff(agent))
    return {"inbox_reply/body.txt": email.text_body, "inbox_reply/body.html": email.html_body}


def render_staff(rr: ReturnRequest, agent) -> dict[str, str]:
    manager = UserFactory(username="m-hostile", email="m@example.com", groups=["Managers"])
    wrote = email_staff_customer_wrote(to=manager, return_request=rr, text=HOSTILE)
    breaches = email_managers_sla_breaches(SlaBreached(returns=[rr]))[0]  # one per manager, all alike
    return {"staff/customer_wrote.txt": wrote.text_body, "staff/sla_breaches.txt": breaches.text_body}


def render_orders_link(rr: ReturnRequest, agent) -> dict[str, str]:
    links.orders_link_send(rr.email)
    email = OutboundEmail.objects.get(kind=links.KIND)
    return {
        "orders_link/subject.txt": email.subject,
        "orders_link/body.txt": email.text_body,
        "orders_link/body.html": email.html_body,
    }


OTHER_RENDERERS = {"inbox_reply": render_inbox_reply, "staff": render_staff, "orders_link": render_orders_link}


class Anything:
    """Any value a template asks for: hostile text as a string, itself as any attribute or item, one of itself
    in a loop. Lets a template nobody taught this test render with hostile words in every variable."""

    def __str__(self) -> str:
        return HOSTILE

    def __getattr__(self, name: str):
        if name.startswith("_") or name in ("do_not_call_in_templates", "alters_data"):
            raise AttributeError(name)
        return self

    def __getitem__(self, key):
        return self

    def __iter__(self):
        return iter([self])

    def __len__(self) -> int:
        return 1


class AnythingContext(dict):
    def __contains__(self, key) -> bool:
        return key not in ("True", "False", "None")

    def __getitem__(self, key):
        return super().get(key, Anything())


def render_unknown(folder: str) -> dict[str, str]:
    rendered = {}
    for path in sorted((EMAIL_TEMPLATES / folder).iterdir()):
        name = f"{folder}/{path.name}"
        if name in PARTIALS:
            continue
        render = plain_text if path.suffix == ".txt" else render_to_string
        try:
            rendered[name] = render(f"email/{name}", AnythingContext())
        except Exception as error:  # noqa: BLE001 - the message says what to do
            pytest.fail(f"templates/email/{name} needs a real context here: add a renderer for it ({error!r})")
    return rendered


def rendered_parts(folder: str, rr: ReturnRequest, event: ReturnEvent, agent) -> dict[str, str]:
    if folder in OTHER_RENDERERS:
        return OTHER_RENDERERS[folder](rr, agent)
    if (EMAIL_TEMPLATES / folder / "subject.txt").is_file() and folder not in OTHER_RENDERERS:
        return render_return_email(folder, rr, event)
    return render_unknown(folder)


@pytest.mark.parametrize("folder", email_dirs())
def test_every_template_shows_typed_words_raw_in_text_and_escaped_in_html(folder, hostile_return, agent):
    rr, event = hostile_return
    parts = rendered_parts(folder, rr, event, agent)
    files = {f"{folder}/{p.name}" for p in (EMAIL_TEMPLATES / folder).iterdir()} - PARTIALS
    assert files <= parts.keys(), f"not rendered: {sorted(files - parts.keys())}"
    for name, content in parts.items():
        assert DESK_SECRET not in content, name
        typed = folder not in NO_TYPED_WORDS and name not in NO_TYPED_WORDS
        if name.endswith(".html"):
            assert "<script" not in content.lower(), name
            if typed:
                assert escape(HOSTILE) in content, name
        else:  # a plain-text part or a subject
            assert not [e for e in ENTITIES if e in content], f"{name} is HTML-escaped: {content!r}"
            if typed and not name.endswith("subject.txt"):
                assert HOSTILE in content, name


def test_the_hostile_words_fit_the_fields_they_are_typed_into():
    assert len(HOSTILE) <= 200 and len(LONG_URL) > 100


def test_the_walk_finds_every_email_and_the_long_url_wraps_in_the_html_shell():
    assert {"inspection_result", "cancelled", "expired", "desk_message", "staff"} <= set(email_dirs())
    assert "overflow-wrap:anywhere" in (EMAIL_TEMPLATES / "shell.html").read_text()
