"""Prometheus metrics at /metrics, for a caller holding METRICS_TOKEN.

django-prometheus counts requests, latencies and responses in its middleware; the gauges here are worked out when
Prometheus scrapes, from the database and the task broker, in a few indexed queries: how many tasks wait on each
queue, and how long the oldest pending refund and the oldest unsent email have waited. A queue that grows, or an
age that climbs past minutes, is a stuck worker or a hung provider.
"""

import hmac

from django.apps import apps
from django.conf import settings
from django.db.models import Min
from django.http import Http404, HttpResponse, HttpResponseForbidden
from django.views.decorators.cache import never_cache
from django_prometheus.exports import ExportToDjangoView
from django_q.brokers import get_broker
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily

from returns_desk.core import clock


def queue_names() -> list[str]:
    """Every django-q2 cluster's queue: the default one and each of Q_CLUSTER["ALT_CLUSTERS"]."""
    return [settings.Q_CLUSTER["name"], *settings.Q_CLUSTER.get("ALT_CLUSTERS", {})]


def oldest_age_seconds(spec: dict) -> float:
    """Seconds since the oldest row matching `spec` (settings.METRICS_OLDEST_AGES) was created; 0 when none waits.

    The models are named in settings so that this floor imports nothing above it.
    """
    model = apps.get_model(spec["model"])
    oldest = model._default_manager.filter(**spec["filter"]).aggregate(oldest=Min(spec["field"]))["oldest"]
    return max(0.0, (clock.now() - oldest).total_seconds()) if oldest else 0.0


class ScrapeTimeCollector:
    """The gauges, computed afresh at each scrape (never cached in the process that happens to answer)."""

    def collect(self):
        depth = GaugeMetricFamily(
            "returns_desk_task_queue_depth", "Tasks waiting in the broker, per queue (cluster).", labels=["queue"]
        )
        for name in queue_names():
            depth.add_metric([name], get_broker(name).queue_size())
        yield depth
        for metric, spec in settings.METRICS_OLDEST_AGES.items():
            yield GaugeMetricFamily(metric, spec["help"], value=oldest_age_seconds(spec))

    def describe(self):
        return []  # computed only when scraped: nothing to run at registration


def _holds_token(request) -> bool:
    """The token as Prometheus sends it (`Authorization: Bearer …`), as a header of ours, or as `?token=`."""
    scheme, _, credentials = request.headers.get("Authorization", "").partition(" ")
    bearer = credentials.strip() if scheme.lower() == "bearer" else ""
    given = bearer or request.headers.get("X-Metrics-Token") or request.GET.get("token") or ""
    return hmac.compare_digest(given.encode(), settings.METRICS_TOKEN.encode())


@never_cache
def metrics(request):
    """django-prometheus's metrics followed by ours; 404 unless METRICS_TOKEN is set, 403 without it."""
    if not settings.METRICS_TOKEN:
        raise Http404("Metrics are off (METRICS_TOKEN is not set).")
    if not _holds_token(request):
        return HttpResponseForbidden("A metrics token is required (Authorization: Bearer, X-Metrics-Token or ?token=).")
    registry = CollectorRegistry(auto_describe=False)
    registry.register(ScrapeTimeCollector())
    body = ExportToDjangoView(request).content + generate_latest(registry)
    return HttpResponse(body, content_type=CONTENT_TYPE_LATEST)
