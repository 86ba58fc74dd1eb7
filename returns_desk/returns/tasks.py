"""Periodic work on returns: each finds what is due and calls a service, so a repeat changes nothing."""

import contextlib
import datetime as dt
import logging

from django.conf import settings
from django.core.files.storage import default_storage
from django.utils import timezone

from returns_desk.core import clock
from returns_desk.core.actors import Actor
from returns_desk.core.errors import ServiceError

from . import services
from .events import SlaBreached, publish
from .models import Priority, ReturnEvent, ReturnPhoto, ReturnRequest, ReturnStatus
from .photo_processing import process_staged
from .photos import INCOMING_PREFIX, STAGED_PREFIX, staged_name

log = logging.getLogger(__name__)
S = ReturnStatus
BATCH = 500
PHOTO_SWEEP_BATCH = 25  # about a second each: well inside the worker's timeout; the rest wait for the next run


def _due(status_list, days: float, **only):
    cutoff = clock.now() - dt.timedelta(days=days)
    due = ReturnRequest.objects.filter(status__in=status_list, status_changed_at__lte=cutoff, **only)
    return due.order_by("pk")[:BATCH]


def expire_unshipped() -> str:
    done = 0
    # A returnless approval waits on the desk's refund, not on a parcel: it never expires for want of one.
    for rr in _due([S.APPROVED], settings.EXPIRE_APPROVED_AFTER_DAYS, returnless=False):
        try:
            services.return_expire(return_request=rr)
            done += 1
        except ServiceError as error:  # moved on meanwhile (the customer shipped it)
            log.info("Not expiring %s: %s", rr.rma_number, error)
    return f"expired {done}"


def close_finished() -> str:
    """Close finished returns once the follow-up and survey window is over."""
    done = 0
    for rr in _due([S.RESOLVED, S.REJECTED, S.CANCELLED], settings.CLOSE_AFTER_DAYS):
        try:
            services.return_close(return_request=rr, by=Actor.system())
            done += 1
        except ServiceError as error:
            log.info("Not closing %s: %s", rr.rma_number, error)
    return f"closed {done}"


def escalate_sla_breaches() -> str:
    """Raise the priority of returns past their SLA, note it on the timeline, and tell whoever listens once
    (`SlaBreached`: the notifications app emails the managers)."""
    now = clock.now()
    overdue = ReturnRequest.objects.filter(sla_due_at__lt=now).order_by("sla_due_at", "pk")[:BATCH]
    breached = []
    for rr in overdue:
        if rr.sla_due_at is None:  # not due at all (the filter above already leaves these out)
            continue
        marker = f"{rr.status}@{rr.sla_due_at.isoformat()}"
        if ReturnEvent.objects.filter(return_request=rr, kind="note", data__sla_breach=marker).exists():
            continue  # already escalated for this due moment
        note = (
            f"SLA breached: {rr.get_status_display().lower()} past its due time "
            f"({timezone.localtime(rr.sla_due_at):%d %b %H:%M})."
        )
        if rr.priority >= Priority.HIGH:  # already high: the breach is still noted, once
            services.record_event(
                return_request=rr, kind="note", by=Actor.system(), data={"sla_breach": marker}, body=note
            )
        else:  # priority and note in one transaction
            services.return_set_priority(
                return_request=rr, priority=Priority.HIGH, by=Actor.system(), note=note, data={"sla_breach": marker}
            )
        breached.append(rr)
    if breached:
        publish(SlaBreached(returns=breached))
    return f"escalated {len(breached)}"


def _staged_files(storage, folder: str):
    dirs, files = storage.listdir(folder)
    for name in files:
        yield f"{folder}{name}"
    for sub in dirs:
        yield from _staged_files(storage, f"{folder}{sub}/")


def purge_staged_photos() -> str:
    """Delete photos uploaded while starting a return that was never confirmed (they belong to no return)."""
    cutoff = clock.now() - dt.timedelta(hours=settings.STAGED_PHOTO_MAX_AGE_HOURS)
    try:
        candidates = [
            name
            for name in _staged_files(default_storage, STAGED_PREFIX)
            if default_storage.get_modified_time(name) < cutoff
        ]
    except FileNotFoundError:
        return "No staged photos."
    kept = set(ReturnPhoto.objects.filter(image__in=candidates).values_list("image", flat=True))
    removed = 0
    for name in candidates:
        if name not in kept:
            default_storage.delete(name)
            removed += 1
    return f"Removed {removed} abandoned photo(s)."


def process_photos(names: list[str]) -> str:
    """Decode and re-encode customer photos the portal staged (their raw uploads wait under INCOMING_PREFIX)."""
    outcomes = [process_staged(name) for name in names]
    return "; ".join(f"{name}: {outcome}" for name, outcome in zip(names, outcomes, strict=True)) or "No photos."


def process_pending_photos() -> str:
    """The sweep behind `process_photos`: raw uploads whose task was lost (a worker killed, a broker restarted)
    are re-encoded a few minutes later. A task still queued for them finds nothing waiting, which is fine."""
    cutoff = clock.now() - dt.timedelta(minutes=settings.PHOTO_PROCESS_SWEEP_AFTER_MINUTES)
    try:
        names = list(_staged_files(default_storage, INCOMING_PREFIX))
    except FileNotFoundError:
        return "No photos waiting."
    waiting = []
    for name in names:
        with contextlib.suppress(FileNotFoundError):  # its task finished meanwhile
            if default_storage.get_modified_time(name) < cutoff:
                waiting.append(name)
    done = [process_staged(staged_name(name)) for name in waiting[:PHOTO_SWEEP_BATCH]]
    return f"Processed {len(done)} waiting photo(s)."
