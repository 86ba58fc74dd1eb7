"""Erasing a customer: their personal data replaced, their files deleted, the money records kept.

What goes: the email address (everywhere it is stored it becomes one placeholder, `erased-…@erased.invalid`, so
store credit and the money rule still add up per customer), names and postal addresses, every word the customer
typed (item descriptions, messages, survey comments, the emails they sent), the emails sent to them (their
bodies), their photos, email attachments and rendered documents, the desk's flag on them, and the status link.
What stays, as bookkeeping law requires: orders, returns and RMA numbers, amounts and dates, refunds, store
credit, chargebacks, and the timeline's record of what happened (with the customer's words taken out).

The timeline is append-only; erasure is the one rewrite the law asks of it, saved by the timeline service
(`returns.services.timeline_erase_words`).
"""

import logging
import re
from dataclasses import dataclass
from functools import partial

from django.core.files.storage import default_storage
from django.db import transaction

from returns_desk.core.actors import Actor
from returns_desk.core.errors import ServiceError
from returns_desk.customers.models import CustomerDataRequest
from returns_desk.customers.services import (
    customer_data_request_record,
    customer_data_requests_forget,
    customer_flags_forget,
    erased_placeholder,
    is_erased,
    normalise_email,
)
from returns_desk.notifications.models import InboundEmail, OutboundEmail
from returns_desk.returns import services as returns
from returns_desk.returns.models import ReturnEvent, ReturnItem, ReturnRequest, ReturnStatus, SurveyResponse
from returns_desk.returns.models.return_request import new_customer_token
from returns_desk.returns.photos import incoming_name

from .holdings import Holdings, customer_holdings, erasure_blockers, holdings_summary
from .timeline import note_on_timelines

log = logging.getLogger(__name__)

ERASED = "(erased)"
FINISHED = (ReturnStatus.RESOLVED, ReturnStatus.REJECTED, ReturnStatus.CANCELLED)
NOT_SENT = "Not sent: the customer's personal data was erased."


@dataclass(frozen=True)
class Erasure:
    placeholder: str  # the address the customer's rows carry now
    summary: dict[str, int]  # what was held, counted before erasing


def customer_data_erase(*, email: str, by: Actor, reason: str = "") -> Erasure:
    """Erase everything personal held about `email`, or refuse (`ServiceError`, nothing changed) while a return,
    refund or chargeback of theirs still needs it. Noted on each of their returns and in the audit log."""
    email = normalise_email(email)
    if not email:
        raise ServiceError("Enter the customer's email address.")
    if is_erased(email):
        raise ServiceError("That address is already an erased customer's placeholder.")
    with transaction.atomic():
        held = customer_holdings(email, lock=True)
        if held.is_empty:
            raise ServiceError(f"Nothing is held about {email}: no orders, returns or emails.")
        blockers = erasure_blockers(held)
        if blockers:
            raise ServiceError(f"{email} was not erased. {' '.join(blockers)}")
        _close_finished(held, by)  # no follow-up or survey email may go to the placeholder later
        summary = holdings_summary(held)
        placeholder, words = erased_placeholder(), _their_words(held)
        reason = _redact(reason.strip(), words)
        doomed = _erase_files(held)
        _erase_people(held, placeholder)
        _erase_their_words(held, words)
        _erase_emails(held, placeholder, words)
        customer_flags_forget(email=email)
        customer_data_requests_forget(email=email, placeholder=placeholder, redact=partial(_redact, words=words))
        body = "The customer's personal data was erased" + (f" ({reason})" if reason else "") + "; money records kept."
        note_on_timelines(held.returns(), by=by, body=body, what=CustomerDataRequest.Action.ERASE)
        customer_data_request_record(
            action=CustomerDataRequest.Action.ERASE,
            email=placeholder,
            performed_by=by.user,
            reason=reason,
            summary=summary,
        )
        transaction.on_commit(partial(_delete_files, doomed))
    return Erasure(placeholder=placeholder, summary=summary)


def _close_finished(held: Holdings, by: Actor) -> None:
    for rr in held.returns().filter(status__in=FINISHED).order_by("pk"):
        returns.return_close(return_request=rr, by=by)


def _their_words(held: Holdings) -> re.Pattern | None:
    """The customer's address and names, as they may appear in text the desk or the system wrote."""
    names = {held.email}
    names |= set(held.orders().values_list("customer_name", flat=True))
    names |= set(held.returns().values_list("customer_name", flat=True))
    names = {name.strip() for name in names if len(name.strip()) >= 3}
    if not names:
        return None
    alternatives = "|".join(re.escape(name) for name in sorted(names, key=len, reverse=True))
    return re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)", re.IGNORECASE)


def _redact(text: str, words: re.Pattern | None) -> str:
    return words.sub(ERASED, text) if words and text else text


def _erase_files(held: Holdings) -> list[str]:
    """Delete the rows of the customer's files; the files themselves go once this commits (`_delete_files`)."""
    names = []
    for name in held.photos().values_list("image", flat=True):
        names += [name, incoming_name(name)]  # the re-encoded photo, and its raw upload if not yet processed
    names += list(held.attachments().values_list("file", flat=True))
    names += list(held.documents().values_list("file", flat=True))  # labels and receipts print name and address
    held.photos().delete()
    held.attachments().delete()
    held.documents().delete()
    held.desk_notices().delete()  # "<name> wrote “…”": the bell quotes the customer
    return [name for name in names if name]


def _delete_files(names: list[str]) -> None:
    for name in names:
        try:
            default_storage.delete(name)
        except Exception:  # noqa: BLE001 - one storage error must not keep the others; logged for a person
            log.exception("Erasure: could not delete %s from storage; delete it by hand", name)


def _erase_people(held: Holdings, placeholder: str) -> None:
    held.orders().update(email=placeholder, customer_name="", shipping_address="")
    held.returns().update(email=placeholder, customer_name="")
    # A new status link on each return: the old one went to the address that is gone.
    fresh = [ReturnRequest(pk=pk, customer_token=new_customer_token()) for pk in held.return_ids]
    ReturnRequest.objects.bulk_update(fresh, ["customer_token"])
    held.store_credit().update(email=placeholder)


def _erase_their_words(held: Holdings, words: re.Pattern | None) -> None:
    ReturnItem.objects.filter(return_request_id__in=held.return_ids).update(condition_description="")
    SurveyResponse.objects.filter(return_request_id__in=held.return_ids).update(comment="")
    reasons = []  # the desk's words to the customer may name them
    for rr in held.returns().exclude(rejection_reason="").only("pk", "rejection_reason"):
        redacted = _redact(rr.rejection_reason, words)
        if redacted != rr.rejection_reason:
            rr.rejection_reason = redacted
            reasons.append(rr)
    ReturnRequest.objects.bulk_update(reasons, ["rejection_reason"])
    _rewrite_timeline(held, words)


def _rewrite_timeline(held: Holdings, words: re.Pattern | None) -> int:
    """The customer's own entries lose their words; the others lose the customer's address and names."""
    changed = []
    for event in held.events().only("pk", "actor_kind", "body", "data"):
        body, data = event.body, dict(event.data or {})
        if event.actor_kind == ReturnEvent.ActorKind.CUSTOMER:
            body = ERASED if body else body
        else:
            body = _redact(body, words)
        data.pop("from_email", None)
        if data.get("customer_body"):
            data["customer_body"] = _redact(data["customer_body"], words)
        if (body, data) != (event.body, event.data or {}):
            event.body, event.data = body, data
            changed.append(event)
    return returns.timeline_erase_words(changed)


def _erase_emails(held: Holdings, placeholder: str, words: re.Pattern | None) -> None:
    held.outbound().filter(status__in=(OutboundEmail.Status.QUEUED, OutboundEmail.Status.SENDING)).update(
        status=OutboundEmail.Status.FAILED, last_error=NOT_SENT, sending_until=None
    )
    held.outbound_to_them().update(to_email=placeholder)
    sent = list(held.outbound().only("pk", "subject", "inbound_id", "last_error"))
    for email in sent:
        # A reply from the inbox repeats the subject the customer typed.
        email.subject = ERASED if email.inbound_id else _redact(email.subject, words)
        email.text_body, email.html_body = ERASED, ""
        email.last_error = _redact(email.last_error, words)
    OutboundEmail.objects.bulk_update(sent, ["subject", "text_body", "html_body", "last_error"])
    held.inbound_from_them().update(from_email=placeholder)
    received = list(held.inbound().only("pk", "note"))
    for email in received:
        email.subject, email.text, email.note = "", ERASED, _redact(email.note, words)
    InboundEmail.objects.bulk_update(received, ["subject", "text", "note"])
