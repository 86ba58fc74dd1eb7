"""Return documents as HTML templates turned into PDF by WeasyPrint. No database writes here."""

import base64
import datetime as dt
import hashlib
import io
import json
from dataclasses import dataclass

import barcode
from barcode.writer import SVGWriter
from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import dateformat, timezone

from returns_desk.core.money import format_money
from returns_desk.returns.models import ReturnRequest

from . import codes
from .outcomes import settlement_explained

FILE_NAMES = {
    "label": "return-label",
    "packing_slip": "packing-slip",
    "receipt": "refund-receipt",
    "credit_note": "credit-note",
    "exchange_confirmation": "exchange-confirmation",
}


@dataclass(frozen=True)
class Rendered:
    content: bytes
    fingerprint: str


def status_url(rr: ReturnRequest) -> str:
    return settings.SITE_URL + reverse("portal:status", args=[rr.customer_token])


def file_name(rr: ReturnRequest, kind: str) -> str:
    return f"{rr.rma_number}-{FILE_NAMES[kind]}.pdf"


def _svg_data_uri(svg: bytes) -> str:
    # An image, not inline SVG: WeasyPrint draws it in one go instead of warning for every bar.
    return "data:image/svg+xml;base64," + base64.b64encode(svg).decode()


def _barcode(text: str) -> str:
    buffer = io.BytesIO()
    barcode.get("code128", text, writer=SVGWriter()).write(
        buffer, options={"write_text": False, "module_height": 14.0, "module_width": 0.3, "quiet_zone": 2.0}
    )
    return _svg_data_uri(buffer.getvalue())


def _items(rr: ReturnRequest) -> list[dict]:
    return [
        {
            "title": item.order_line.title,
            "sku": item.order_line.sku,
            "quantity": item.quantity,
            "reason": item.reason.label,
        }
        for item in rr.items.all()
    ]


def _day(value: dt.date | dt.datetime | None) -> str:
    """A date as documents print it ("4 March 2026"); a moment counts in the shop's time zone."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        value = timezone.localtime(value).date()
    return dateformat.format(value, "j F Y")


def resolved_on(rr: ReturnRequest) -> str:
    """The day the return was first resolved: the milestone, never the last status change (closing a
    return, or anything after, leaves its settlement documents as they were)."""
    moment = rr.resolved_at
    if moment is None:  # not stamped (built directly, as in test set-up): the timeline says when
        moment = (
            rr.events.filter(kind="transition", to_state="resolved")
            .order_by("created_at", "id")
            .values_list("created_at", flat=True)
            .first()
        )
    return _day(moment)


def issued_credit(rr: ReturnRequest):
    """The store credit issued for the return (the newest, should there be more), or None."""
    issued = [c for c in rr.store_credits.all() if c.kind == "issue"]
    return max(issued, key=lambda c: (c.created_at, c.pk)) if issued else None


def settlement_kind(rr: ReturnRequest) -> str:
    """How the money went out decides the document: an exchange confirmation for replacements shipped,
    a credit note for store credit (chosen, or a refund turned into credit), else the refund receipt."""
    if rr.exchange_order_id:
        return "exchange_confirmation"
    if issued_credit(rr) is not None:
        return "credit_note"
    return "receipt"


def _succeeded_refunds(rr: ReturnRequest) -> list[dict]:
    return [
        {"amount": r.amount_display, "reference": r.provider_refund_id, "provider": r.provider}
        for r in sorted(rr.refunds.all(), key=lambda r: (r.created_at, r.pk))
        if r.status == "succeeded"
    ]


def _receipt(rr: ReturnRequest) -> dict:
    refunds = _succeeded_refunds(rr)
    return {
        "method": "Refund to the original payment",
        "refunds": refunds,
        "card_note": bool(refunds),  # the card footnote belongs to money actually refunded, nothing else
    }


def _credit_note(rr: ReturnRequest) -> dict:
    credit = issued_credit(rr)
    return {
        "code": credit.code,
        "amount": format_money(credit.amount, credit.currency),
        "base": format_money(credit.amount - credit.bonus, credit.currency),
        "bonus": format_money(credit.bonus, credit.currency) if credit.bonus else "",
        "issued_on": _day(credit.created_at),
        "expires_on": _day(credit.expires_on),
    }


def _exchange(rr: ReturnRequest) -> dict:
    order = rr.exchange_order
    return {
        "order": order.number,
        "carrier": order.shipment_carrier,
        "tracking": order.shipment_tracking_number,
        "lines": [
            {"sku": line.sku, "title": line.title, "quantity": line.quantity}
            for line in sorted(order.lines.all(), key=lambda line: line.pk)
        ],
        "value": format_money(rr.exchange_value, rr.currency) if rr.exchange_value is not None else "",
    }


SETTLEMENT_DATA = {"receipt": _receipt, "credit_note": _credit_note, "exchange_confirmation": _exchange}


def document_data(rr: ReturnRequest, kind: str) -> dict:
    """Exactly the data printed on a document: its fingerprint decides whether to render again."""
    data = {
        "kind": kind,
        "shop": settings.SHOP_NAME,
        "rma": rr.rma_number,
        "order": rr.order.number,
        "customer": rr.customer_name or rr.email,
        "from_address": rr.order.shipping_address or rr.customer_name,
        "warehouse": settings.RETURNS_WAREHOUSE_ADDRESS,
        "status_url": status_url(rr),
        "items": _items(rr),
        "units": sum(item.quantity for item in rr.items.all()),
    }
    if kind in SETTLEMENT_DATA:
        data["resolved_on"] = resolved_on(rr)
        data["settlement"] = settlement_explained(rr, rr.items.all())
        data[kind] = SETTLEMENT_DATA[kind](rr)
    return data


def fingerprint(data: dict) -> str:
    return hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()


def render(rr: ReturnRequest, kind: str) -> Rendered:
    """Render one document to PDF bytes (slow: call it outside any transaction)."""
    from . import pdf  # WeasyPrint is imported only by processes that render

    data = document_data(rr, kind)
    context = dict(data)
    if kind == "label":  # one-bit PNGs: WeasyPrint draws SVG codes shape by shape, several times slower
        context["code128"] = codes.code128_png(rr.rma_number)
        context["qr"] = codes.qr_png(data["status_url"])
    elif kind == "packing_slip":
        context["barcode"] = _barcode(rr.rma_number)
    html = render_to_string(f"documents/{kind}.html", context)
    sheets = ("label.css",) if kind == "label" else ()
    return Rendered(pdf.write_pdf(html, base_url=str(settings.BASE_DIR), stylesheets=sheets), fingerprint(data))
