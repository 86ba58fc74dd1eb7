"""Signed webhooks are accepted once, and only while fresh.

A signature proves who sent a request, not when: whoever captured one could send it again (Mailgun's signature
covers its timestamp and token, not the message). So a webhook's signed time must lie within
`WEBHOOK_MAX_AGE_SECONDS` of now, either way, and each signature's token is kept in `WebhookReceipt`, unique
per sender: its second use is refused. Receipts older than twice the window can go: a signature that old is
refused as stale anyway. Stripe's webhooks have their own store, by event id (`payments.StripeEvent`).
"""

import datetime as dt
import logging

from django.conf import settings
from django.db import IntegrityError, transaction

from returns_desk.core import clock

from .models import WebhookReceipt

log = logging.getLogger(__name__)
TOKEN_MAX_LENGTH: int = WebhookReceipt._meta.get_field("token").max_length or 255
TIMESTAMP_MAX_DIGITS = 12


class WebhookRefused(Exception):
    """A webhook that is malformed, stale or replayed: nothing was done; the message tells the sender why."""


class WebhookStale(WebhookRefused):
    """Signed too long ago (or dated too far ahead): sending it again cannot help."""


class WebhookReplayed(WebhookRefused):
    """Its signature was already used once."""


def signed_at(value: object, *, name: str = "timestamp") -> dt.datetime:
    """The signed Unix time `value` (seconds, ASCII digits) as a moment, if within the window of now."""
    text = value.strip() if isinstance(value, str) else ""
    if not (text.isascii() and text.isdigit() and len(text) <= TIMESTAMP_MAX_DIGITS):
        raise WebhookRefused(f"The {name} must be a Unix time in whole seconds (ASCII digits).")
    window = settings.WEBHOOK_MAX_AGE_SECONDS
    age = int(clock.now().timestamp()) - int(text)
    if age > window:
        raise WebhookStale(f"The signature is {age} seconds old; it must be at most {window} seconds old.")
    if -age > window:
        raise WebhookStale(f"The signature is dated {-age} seconds ahead; check the sender's clock.")
    return dt.datetime.fromtimestamp(int(text), tz=dt.UTC)


def usable_token(value: object, *, name: str = "token") -> str:
    """`value` if it is printable ASCII of a length a receipt keeps; refused otherwise."""
    text = value if isinstance(value, str) else ""
    if not text:
        raise WebhookRefused(f"The {name} is missing.")
    if not (text.isascii() and text.isprintable() and len(text) <= TOKEN_MAX_LENGTH):
        raise WebhookRefused(f"The {name} must be printable ASCII of at most {TOKEN_MAX_LENGTH} characters.")
    return text


def receipt_claim(*, source: str, token: str) -> None:
    """Keep `token` as used by `source`, or refuse it as a replay.

    Call it inside the transaction that acts on the webhook: if acting fails, the receipt rolls back with it
    and the sender's retry is accepted. The unique constraint decides between two deliveries at once.
    """
    try:
        with transaction.atomic():
            WebhookReceipt.objects.create(source=source, token=usable_token(token), received_at=clock.now())
    except IntegrityError:
        raise WebhookReplayed("This signature was already used: a signed webhook is accepted once.") from None


def webhook_receipts_purge() -> int:
    """Forget receipts no signature can still be replayed against (twice the window, so clock skew either way
    is covered), keeping at least `WEBHOOK_RECEIPT_KEEP_HOURS` for a person looking into an incident."""
    keep = max(settings.WEBHOOK_RECEIPT_KEEP_HOURS * 3600, 2 * settings.WEBHOOK_MAX_AGE_SECONDS)
    deleted, _ = WebhookReceipt.objects.filter(received_at__lt=clock.now() - dt.timedelta(seconds=keep)).delete()
    if deleted:
        log.info("purged %s webhook receipts", deleted)
    return deleted


def purge_webhook_receipts() -> str:
    """The periodic task (settings.PERIODIC_TASKS, installed by core.schedules)."""
    return f"{webhook_receipts_purge()} webhook receipts purged"
