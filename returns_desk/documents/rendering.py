"""Return documents as HTML templates turned into PDF by WeasyPrint. No database writes here."""

import base64
import hashlib
import io
import json
from dataclasses import dataclass

import barcode
import segno
from barcode.writer import SVGWriter
from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse

from returns_desk.core.money import format_money
from returns_desk.returns.models import ReturnRequest

FILE_NAMES = {"label": "return-label", "packing_slip": "packing-slip", "receipt": "refund-receipt"}


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
            "outcome": item.get_outcome_display(),
            "amount": format_money(item.refundable_amount, rr.currency) if item.refundable_amount else "",
        }
        for item in rr.items.all()
    ]


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
    if kind == "receipt":
        refunds = [r for r in rr.refunds.all() if r.status == "succeeded"]
        credit = next(iter(rr.store_credits.all()), None)
        method = "Exchange" if rr.exchange_order_id else "Store credit" if credit else "Refund to the original payment"
        data["receipt"] = {
            "method": method,
            "quoted": format_money(rr.quoted_amount, rr.currency),
            "settled": format_money(rr.refund_amount or 0, rr.currency),
            "refunds": [
                {"amount": r.amount_display, "reference": r.provider_refund_id, "provider": r.provider} for r in refunds
            ],
            "credit": {"code": credit.code, "amount": credit.amount_display} if credit else None,
            "exchange": rr.exchange_order.number if rr.exchange_order_id else "",
            "resolved_at": rr.status_changed_at.strftime("%d %B %Y"),
        }
    return data


def fingerprint(data: dict) -> str:
    return hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()


def render(rr: ReturnRequest, kind: str) -> Rendered:
    """Render one document to PDF bytes (slow: call it outside any transaction)."""
    from weasyprint import HTML

    data = document_data(rr, kind)
    context = {**data, "barcode": _barcode(rr.rma_number)}
    if kind == "label":
        context["qr"] = segno.make(data["status_url"], error="m").svg_data_uri(scale=4, border=1)
    html = render_to_string(f"documents/{kind}.html", context)
    pdf = HTML(string=html, base_url=str(settings.BASE_DIR)).write_pdf()
    return Rendered(pdf, fingerprint(data))
