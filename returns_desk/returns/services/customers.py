"""What the desk knows about a customer (a flag by email): changed here, and said on the timeline of each of the
customer's open returns, so whoever works one sees who flagged them, when and why."""

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction

from returns_desk.core.actors import Actor, display_name
from returns_desk.core.errors import ActionForbidden, ServiceError
from returns_desk.customers.models import CustomerFlag
from returns_desk.returns.models import OPEN_STATUSES, ReturnEvent, ReturnRequest
from returns_desk.returns.services.timeline import record_event
from returns_desk.staff import roles


def _checked(email: str, by: Actor) -> str:
    if by.kind != Actor.STAFF or not roles.is_agent(by.user):
        raise ActionForbidden("Only desk staff can flag customers.")
    email = (email or "").strip().lower()
    try:
        validate_email(email)
    except ValidationError as error:
        raise ServiceError(f"“{email}” is not an email address.") from error
    return email


def _tell_open_returns(email: str, by: Actor, body: str, kind: str) -> None:
    for rr in ReturnRequest.objects.filter(email__iexact=email, status__in=list(OPEN_STATUSES)).order_by("pk"):
        record_event(return_request=rr, kind=ReturnEvent.Kind.NOTE, by=by, body=body, data={"customer_flag": kind})


def customer_flag_set(*, email: str, kind: str, note: str = "", by: Actor) -> CustomerFlag:
    """Flag a customer (watch, block auto-approval, or trust), or change their flag; nothing if unchanged."""
    email = _checked(email, by)
    if kind not in CustomerFlag.Kind.values:
        raise ServiceError("Choose watch, block auto-approval, or trusted.")
    note = (note or "").strip()
    with transaction.atomic():
        flag = CustomerFlag.objects.select_for_update().filter(email=email).first()
        if flag is not None and (flag.kind, flag.note) == (kind, note):
            return flag
        before = flag.get_kind_display() if flag is not None else ""
        if flag is None:
            flag = CustomerFlag(email=email, created_by=by.user)
        flag.kind, flag.note = kind, note
        flag.save()
        now = flag.get_kind_display()
        body = f"Customer flag {before} → {now}" if before and before != now else f"Customer flagged: {now}"
        body += f" by {display_name(by.user)}." + (f" Note: {note}" if note else "")
        _tell_open_returns(email, by, body, kind)
    return flag


def customer_flag_clear(*, email: str, by: Actor) -> bool:
    """Remove a customer's flag; returns whether there was one."""
    email = _checked(email, by)
    with transaction.atomic():
        flag = CustomerFlag.objects.select_for_update().filter(email=email).first()
        if flag is None:
            return False
        was = flag.get_kind_display()
        flag.delete()
        _tell_open_returns(email, by, f"Customer flag removed ({was}) by {display_name(by.user)}.", "")
    return True
