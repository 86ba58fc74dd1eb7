"""/metrics: django-prometheus and our scrape-time gauges, only for the holder of METRICS_TOKEN."""

import datetime as dt

import pytest
from django.utils import timezone
from django_q.brokers import get_broker
from prometheus_client.parser import text_string_to_metric_families

from returns_desk.core import clock
from returns_desk.core.metrics import queue_names
from returns_desk.notifications.models import OutboundEmail
from returns_desk.payments.models import Refund
from tests.factories.notifications import OutboundEmailFactory
from tests.factories.payments import RefundFactory

TOKEN = "scrape-token-for-prometheus"


@pytest.fixture(autouse=True)
def empty_queues(db):
    """A Redis broker's queues outlive a test's transaction (CI's PostgreSQL pass runs on Redis): start and end
    each test with every queue empty, so depths count only this test's tasks."""
    for name in queue_names():
        get_broker(name).purge_queue()
    yield
    for name in queue_names():
        get_broker(name).purge_queue()


NOW = dt.datetime(2026, 3, 2, 12, 0, tzinfo=dt.UTC)


def samples(response) -> dict[tuple[str, tuple], float]:
    text = response.content.decode()
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def test_metrics_are_not_there_without_a_token_configured(client, db, settings):
    settings.METRICS_TOKEN = ""
    assert client.get("/metrics").status_code == 404
    assert client.get("/metrics?token=").status_code == 404


@pytest.mark.parametrize(
    "how",
    [
        {},
        {"QUERY_STRING": "token=wrong"},
        {"HTTP_X_METRICS_TOKEN": "scrape-token-for-prometheuS"},
        {"HTTP_AUTHORIZATION": "Basic scrape-token-for-prometheus"},
    ],
)
def test_metrics_are_refused_without_the_right_token(client, db, settings, how):
    settings.METRICS_TOKEN = TOKEN
    response = client.get("/metrics", **how)
    assert response.status_code == 403
    assert b"returns_desk_task_queue_depth" not in response.content


@pytest.fixture
def small_shop(db):
    """Two tasks waiting on the money queue and one on email; refunds and emails of known ages."""
    for queue, count in (("money", 2), ("email", 1)):
        for n in range(count):
            get_broker(queue).enqueue(f"a waiting {queue} task {n}")
    RefundFactory(created_at=NOW - dt.timedelta(seconds=300))  # the oldest pending: 300 s
    RefundFactory(created_at=NOW - dt.timedelta(seconds=60))
    RefundFactory(created_at=NOW - dt.timedelta(days=3), status=Refund.Status.SUCCEEDED)  # done: not waiting
    OutboundEmailFactory(created_at=NOW - dt.timedelta(seconds=120))
    OutboundEmailFactory(created_at=NOW - dt.timedelta(seconds=400), status=OutboundEmail.Status.SENDING)
    OutboundEmailFactory(
        created_at=NOW - dt.timedelta(days=2), status=OutboundEmail.Status.SENT, sent_at=NOW - dt.timedelta(days=2)
    )


def test_metrics_with_the_token_show_queue_depths_and_the_oldest_waiting_refund_and_email(
    client, small_shop, settings, django_assert_max_num_queries
):
    settings.METRICS_TOKEN = TOKEN
    # The broker's queues are read at the real time (a task is due when its lock has passed), the ages at NOW.
    assert timezone.now() > NOW
    with clock.frozen_at(NOW), django_assert_max_num_queries(6):  # 4 queue counts + 2 ages: small at any size
        response = client.get("/metrics", headers={"X-Metrics-Token": TOKEN})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    values = samples(response)
    depth = "returns_desk_task_queue_depth"
    assert values[(depth, (("queue", "money"),))] == 2
    assert values[(depth, (("queue", "email"),))] == 1
    assert values[(depth, (("queue", "documents"),))] == 0
    assert values[(depth, (("queue", "returns_desk"),))] == 0
    assert values[("returns_desk_oldest_pending_refund_age_seconds", ())] == 300
    assert values[("returns_desk_oldest_queued_email_age_seconds", ())] == 400  # "sending" has not gone out yet
    # django-prometheus's own request metrics are there too.
    assert any(name.startswith("django_http_requests") for name, _ in values)


def test_the_ages_are_zero_when_nothing_waits(client, db, settings):
    settings.METRICS_TOKEN = TOKEN
    assert client.get(f"/metrics?token={TOKEN}").status_code == 200
    values = samples(client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"}))  # as Prometheus sends it
    assert values[("returns_desk_oldest_pending_refund_age_seconds", ())] == 0
    assert values[("returns_desk_oldest_queued_email_age_seconds", ())] == 0
    assert values[("returns_desk_task_queue_depth", (("queue", "money"),))] == 0
