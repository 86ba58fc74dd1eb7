"""A customer's copy of everything held about them: one JSON file and their photos and attachments, zipped.

The zip is built in a spooled temporary file: in memory for a normal customer, on disk past a few megabytes
(photos are re-encoded JPEGs of at most 2400 px, attachments at most 5 MB each). Each kind of row is read in one
query, whatever the customer's number of rows; the only writes are the audit row and one note per return.
"""

import json
import logging
import shutil
import tempfile
import zipfile
from dataclasses import dataclass
from typing import IO

from django.core.files.storage import default_storage
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import Prefetch
from django.utils.text import get_valid_filename, slugify

from returns_desk.core import clock
from returns_desk.core.actors import Actor
from returns_desk.core.errors import ServiceError
from returns_desk.customers.models import CustomerDataRequest
from returns_desk.customers.selectors import customer_flag
from returns_desk.customers.services import customer_data_request_record
from returns_desk.returns.models import ReturnEvent, ReturnItem, ReturnRequest

from .holdings import Holdings, customer_holdings, holdings_summary
from .timeline import note_on_timelines

log = logging.getLogger(__name__)

SPOOL_BYTES = 16 * 1024 * 1024  # kept in memory up to this size, then on disk
JSON_NAME = "customer-data.json"


@dataclass(frozen=True)
class Export:
    filename: str
    archive: IO[bytes]  # the zip, read from its start
    summary: dict[str, int]


def customer_data_export(*, email: str, by: Actor, reason: str = "") -> Export:
    """Everything held about `email` as a zip; the export is noted on each of their returns and in the audit log."""
    held = customer_holdings(email)
    if held.is_empty:
        raise ServiceError(f"Nothing is held about {held.email or 'that address'}: no orders, returns or emails.")
    returns = list(_returns_to_export(held))
    document, files = export_document(held, returns)
    archive = _zip(document, files)
    summary = holdings_summary(held)
    with transaction.atomic():
        body = _with_reason("Everything held about the customer was exported for them (a data request).", reason)
        note_on_timelines(returns, by=by, body=body, what=CustomerDataRequest.Action.EXPORT)
        customer_data_request_record(
            action=CustomerDataRequest.Action.EXPORT,
            email=held.email,
            performed_by=by.user,
            reason=reason,
            summary=summary,
        )
    day = clock.now().date().isoformat()
    return Export(
        filename=f"customer-data-{slugify(held.email.replace('.', '-'))}-{day}.zip", archive=archive, summary=summary
    )


def _with_reason(body: str, reason: str) -> str:
    return f"{body} Reason: {reason.strip()}" if reason.strip() else body


def _returns_to_export(held: Holdings):
    items = ReturnItem.objects.select_related("order_line", "reason").prefetch_related("photos").order_by("pk")
    return (
        held.returns()
        .select_related("order", "survey")
        .prefetch_related(
            Prefetch("items", queryset=items),
            Prefetch("events", queryset=ReturnEvent.objects.order_by("created_at", "pk")),
            "refunds",
        )
        .order_by("created_at", "pk")
    )


def export_document(held: Holdings, returns: list[ReturnRequest]) -> tuple[dict, list[tuple[str, str]]]:
    """The JSON document and the files that go beside it, as (path in the zip, storage name)."""
    files: list[tuple[str, str]] = []
    flag = customer_flag(held.email)
    document = {
        "customer": {"email": held.email, "exported_at": clock.now()},
        "about": "Amounts are in minor units (cents) of their currency. Timeline entries marked "
        "visible_to_customer=false are the shop's internal notes about the return.",
        "desk_flag": {"kind": flag.get_kind_display(), "note": flag.note, "since": flag.created_at} if flag else None,
        "orders": [_order(order) for order in held.orders().prefetch_related("lines").order_by("placed_at", "pk")],
        "returns": [_return(rr, files) for rr in returns],
        "store_credit": [_credit(entry) for entry in held.store_credit().select_related("return_request")],
        "emails_sent": [_sent(email) for email in held.outbound_to_them().order_by("created_at", "pk")],
        "emails_received": [
            _received(email, files)
            for email in held.inbound_from_them().select_related("return_request").prefetch_related("attachments")
        ],
        "disputes": [_dispute(dispute) for dispute in held.disputes().select_related("order")],
    }
    return document, files


def _order(order) -> dict:
    return {
        "number": order.number,
        "email": order.email,
        "name": order.customer_name,
        "shipping_address": order.shipping_address,
        "placed_at": order.placed_at,
        "delivered_at": order.delivered_at,
        "currency": order.currency,
        "amount_paid": order.amount_paid,
        "shipping_paid": order.shipping_paid,
        "shipment": {"carrier": order.shipment_carrier, "tracking_number": order.shipment_tracking_number},
        "lines": [
            {
                "sku": line.sku,
                "title": line.title,
                "quantity": line.quantity,
                "unit_price": line.unit_price,
                "final_sale": line.final_sale,
            }
            for line in order.lines.all()
        ],
    }


def _return(rr: ReturnRequest, files: list[tuple[str, str]]) -> dict:
    survey = getattr(rr, "survey", None)
    return {
        "rma_number": rr.rma_number,
        "order": rr.order.number,
        "email": rr.email,
        "name": rr.customer_name,
        "status": rr.get_status_display(),
        "resolution": rr.get_resolution_display(),
        "created_at": rr.created_at,
        "currency": rr.currency,
        "quoted_amount": rr.quoted_amount,
        "refund_amount": rr.refund_amount,
        "rejection_reason": rr.rejection_reason,
        "tracking": {"carrier": rr.tracking_carrier, "number": rr.tracking_number},
        "items": [_item(rr, item, files) for item in rr.items.all()],
        "survey": (
            {"score": survey.score, "comment": survey.comment, "created_at": survey.created_at} if survey else None
        ),
        "refunds": [_refund(refund) for refund in rr.refunds.all()],
        "timeline": [_event(event) for event in rr.events.all()],
    }


def _item(rr: ReturnRequest, item: ReturnItem, files: list[tuple[str, str]]) -> dict:
    photos = []
    for n, photo in enumerate(item.photos.all(), 1):
        path = f"photos/{rr.rma_number}/item-{item.pk}-{n}.jpg"
        files.append((path, photo.image.name))
        photos.append(path)
    return {
        "sku": item.order_line.sku,
        "title": item.order_line.title,
        "quantity": item.quantity,
        "reason": item.reason.label,
        "your_description": item.condition_description,
        "outcome": item.get_outcome_display(),
        "grade": item.get_grade_display(),
        "note_to_you": item.customer_note,
        "refundable_amount": item.refundable_amount,
        "photos": photos,
    }


def _event(event: ReturnEvent) -> dict:
    shown = event.customer_text
    return {
        "at": event.created_at,
        "kind": event.get_kind_display(),
        "by": event.get_actor_kind_display(),
        "change": {"from": event.from_state, "to": event.to_state} if event.to_state else None,
        "text": event.body,
        **({"text_shown_to_customer": shown} if shown != event.body else {}),
        "visible_to_customer": event.visible_to_customer,
    }


def _refund(refund) -> dict:
    return {
        "amount": refund.amount,
        "currency": refund.currency,
        "status": refund.get_status_display(),
        "provider": refund.get_provider_display(),
        "provider_reference": refund.provider_refund_id,
        "created_at": refund.created_at,
        "failure_reason": refund.failure_reason,
    }


def _credit(entry) -> dict:
    return {
        "code": entry.code,
        "entry": entry.get_kind_display(),
        "amount": entry.amount,
        "bonus": entry.bonus,
        "currency": entry.currency,
        "expires_on": entry.expires_on,
        "created_at": entry.created_at,
        "return": entry.return_request.rma_number if entry.return_request else None,
    }


def _sent(email) -> dict:
    return {
        "created_at": email.created_at,
        "sent_at": email.sent_at,
        "status": email.get_status_display(),
        "to": email.to_email,
        "subject": email.subject,
        "text": email.text_body,
    }


def _received(email, files: list[tuple[str, str]]) -> dict:
    attachments = []
    for attachment in email.attachments.all():
        path = f"emails/{email.pk}/{get_valid_filename(attachment.filename) or 'attachment'}"
        files.append((path, attachment.file.name))
        attachments.append(path)
    return {
        "received_at": email.received_at,
        "from": email.from_email,
        "subject": email.subject,
        "text": email.text,
        "return": email.return_request.rma_number if email.return_request else None,
        "attachments": attachments,
    }


def _dispute(dispute) -> dict:
    return {
        "order": dispute.order.number,
        "status": dispute.get_status_display(),
        "reason": dispute.reason,
        "amount": dispute.amount,
        "currency": dispute.currency,
        "opened_at": dispute.created_at,
    }


def _zip(document: dict, files: list[tuple[str, str]]) -> IO[bytes]:
    """The zip: every file that is still in storage (the ones that are not are listed in the JSON), then the JSON."""
    archive = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)  # noqa: SIM115 - handed to the response, which closes it
    missing = []
    with zipfile.ZipFile(archive, "w") as bundle:
        for path, name in files:
            try:
                with default_storage.open(name, "rb") as source, bundle.open(path, "w") as target:
                    shutil.copyfileobj(source, target)  # stored as they are: JPEGs and PDFs do not compress
            except Exception:  # noqa: BLE001 - gone, or storage refused: listed in the JSON, never a failed export
                log.warning("Customer data export: %s could not be read from storage", name)
                missing.append(path)
        document["files_not_found"] = missing
        text = json.dumps(document, cls=DjangoJSONEncoder, ensure_ascii=False, indent=2)
        bundle.writestr(JSON_NAME, text, compress_type=zipfile.ZIP_DEFLATED)
    archive.seek(0)
    return archive
