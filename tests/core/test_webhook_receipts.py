"""The replay store every signed webhook goes through: a signature counts once, and only while fresh."""

import datetime as dt
import time

import pytest
from django.conf import settings as django_settings
from django.utils.module_loading import import_string
from django_q.models import Schedule

from returns_desk.core import clock
from returns_desk.core.models import WebhookReceipt
from returns_desk.core.schedules import ensure_periodic_tasks
from returns_desk.core.webhook_receipts import (
    WebhookRefused,
    WebhookReplayed,
    WebhookStale,
    receipt_claim,
    signed_at,
    usable_token,
    webhook_receipts_purge,
)

pytestmark = pytest.mark.django_db


def test_a_token_is_accepted_once_per_sender():
    receipt_claim(source="mailgun", token="tok-1")
    with pytest.raises(WebhookReplayed, match="already used"):
        receipt_claim(source="mailgun", token="tok-1")
    receipt_claim(source="shop", token="tok-1")  # another sender's tokens are its own
    assert sorted(WebhookReceipt.objects.values_list("source", "token")) == [("mailgun", "tok-1"), ("shop", "tok-1")]


def test_a_refused_replay_leaves_the_callers_transaction_usable():
    receipt_claim(source="mailgun", token="tok-2")
    with pytest.raises(WebhookReplayed):
        receipt_claim(source="mailgun", token="tok-2")
    receipt_claim(source="mailgun", token="tok-3")  # the failed insert was rolled back to its savepoint only
    assert WebhookReceipt.objects.filter(source="mailgun").count() == 2


def test_a_signed_time_within_the_window_is_accepted_either_way(settings):
    settings.WEBHOOK_MAX_AGE_SECONDS = 300
    now = int(time.time())
    assert signed_at(str(now - 290)) == dt.datetime.fromtimestamp(now - 290, tz=dt.UTC)
    assert signed_at(str(now + 290)).timestamp() == now + 290  # a sender's clock a little ahead


@pytest.mark.parametrize(
    ("offset", "words"),
    [(-365 * 86400, "seconds old"), (-306, "seconds old"), (3600, "ahead")],
    ids=["a_year_old", "just_too_old", "an_hour_ahead"],
)
def test_a_stale_or_future_signature_is_refused(settings, offset, words):
    settings.WEBHOOK_MAX_AGE_SECONDS = 300
    with pytest.raises(WebhookStale, match=words):
        signed_at(str(int(time.time()) + offset))


@pytest.mark.parametrize(
    "value",
    ["", "  ", "abc", "1.5e9", "-1700000000", "١٧٠٠٠٠٠٠٠٠", "１７００００００００", "9" * 40, None, 1700000000],
    ids=["empty", "blank", "letters", "float", "negative", "arabic_digits", "fullwidth_digits", "huge", "none", "int"],
)
def test_a_timestamp_that_is_not_ascii_unix_seconds_is_refused_with_a_reason(value):
    with pytest.raises(WebhookRefused, match="Unix time in whole seconds"):
        signed_at(value)


@pytest.mark.parametrize("value", ["", "tök", "tok\n", "t" * 256, None])
def test_a_token_must_be_short_printable_ascii(value):
    with pytest.raises(WebhookRefused):
        usable_token(value)
    assert usable_token("A" * 255) == "A" * 255


def test_purge_forgets_only_receipts_no_signature_can_still_match(settings):
    settings.WEBHOOK_MAX_AGE_SECONDS = 300
    settings.WEBHOOK_RECEIPT_KEEP_HOURS = 0  # still kept for twice the window: clock skew either way
    now = clock.now()
    WebhookReceipt.objects.create(source="shop", token="old", received_at=now - dt.timedelta(seconds=601))
    WebhookReceipt.objects.create(source="shop", token="recent", received_at=now - dt.timedelta(seconds=590))
    assert webhook_receipts_purge() == 1
    assert list(WebhookReceipt.objects.values_list("token", flat=True)) == ["recent"]

    settings.WEBHOOK_RECEIPT_KEEP_HOURS = 24
    WebhookReceipt.objects.create(source="shop", token="yesterday", received_at=now - dt.timedelta(hours=23))
    WebhookReceipt.objects.create(source="shop", token="last-week", received_at=now - dt.timedelta(days=7))
    assert webhook_receipts_purge() == 1
    assert sorted(WebhookReceipt.objects.values_list("token", flat=True)) == ["recent", "yesterday"]


def test_the_purge_runs_as_a_periodic_task():
    spec = django_settings.PERIODIC_TASKS["purge-webhook-receipts"]
    ensure_periodic_tasks()
    schedule = Schedule.objects.get(name="purge-webhook-receipts")
    assert (schedule.func, schedule.minutes) == (spec["func"], spec["minutes"])
    WebhookReceipt.objects.create(source="mailgun", token="t", received_at=clock.now() - dt.timedelta(days=30))
    assert import_string(schedule.func)() == "1 webhook receipts purged"
    assert not WebhookReceipt.objects.exists()
