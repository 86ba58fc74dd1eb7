"""JSON logs and Prometheus metrics (issue 16), kept beside base.py, which installs them with `observe()`.

LOG_FORMAT=json: every log line is one JSON object carrying the request id (and the RMA of the return it is
about), plus one line per request (`returns_desk.requests`) and one per task run (`returns_desk.tasks`), the tasks
carrying the id of the request that enqueued them (core.logging, core.tasks). The plain default is as before: those
two loggers stay quiet.
"""

import environ

__all__ = ["LOG_FORMAT", "LOG_RMA_FIELD", "LOG_RMA_ROUTES", "LOG_RMA_TASKS", "METRICS_OLDEST_AGES", "METRICS_TOKEN"]

env = environ.Env()

LOG_FORMAT = env("LOG_FORMAT", default="plain")
# Which return a request or task is about: by the route's argument (route prefix → URL argument, model field),
# and the tasks whose first argument is a return's id; core.logging looks the RMA up when it logs a line.
LOG_RMA_FIELD = "returns.ReturnRequest.rma_number"
LOG_RMA_ROUTES = {
    "desk/returns/<int:pk>/": ("pk", "pk"),
    "returns/status/<str:token>/": ("token", "customer_token"),
}
LOG_RMA_TASKS = ["returns_desk.documents.tasks.render_documents"]

# /metrics (django-prometheus, plus the gauges of core.metrics) answers only a caller with this token
# (X-Metrics-Token header or ?token=); unset, /metrics is 404. With several gunicorn workers set
# PROMETHEUS_MULTIPROC_DIR (an empty directory) so that every process's counters are added up.
METRICS_TOKEN = env("METRICS_TOKEN", default="")
# Gauges worked out at scrape time: seconds since the oldest row still waiting was created (an indexed MIN each).
METRICS_OLDEST_AGES = {
    "returns_desk_oldest_pending_refund_age_seconds": {
        "help": "Seconds since the oldest refund still pending at the provider was recorded (0: none).",
        "model": "payments.Refund",
        "filter": {"status": "pending"},
        "field": "created_at",
    },
    "returns_desk_oldest_queued_email_age_seconds": {
        "help": "Seconds since the oldest email not yet sent (queued or sending) was written (0: none).",
        "model": "notifications.OutboundEmail",
        "filter": {"status__in": ["queued", "sending"]},
        "field": "created_at",
    },
}

_QUIET_UNLESS_JSON = ("returns_desk.requests", "returns_desk.tasks")


def observe(installed_apps: list[str], middleware: list[str], logging: dict) -> None:
    """Add the request id, the JSON format and django-prometheus to base.py's settings (changed in place)."""
    installed_apps.append("django_prometheus")
    # Prometheus's timer outermost, then the request id, whose line's duration covers every other middleware.
    middleware[:0] = [
        "django_prometheus.middleware.PrometheusBeforeMiddleware",
        "returns_desk.core.logging.RequestIdMiddleware",
    ]
    # Just before axes, which stays last (base.py), so that its lockout answers are counted too.
    after = "django_prometheus.middleware.PrometheusAfterMiddleware"
    if "axes.middleware.AxesMiddleware" in middleware:
        middleware.insert(middleware.index("axes.middleware.AxesMiddleware"), after)
    else:
        middleware.append(after)
    logging.setdefault("filters", {})["request_context"] = {"()": "returns_desk.core.logging.RequestContextFilter"}
    logging["handlers"]["console"].setdefault("filters", []).append("request_context")
    level = "INFO" if LOG_FORMAT == "json" else "WARNING"
    logging.setdefault("loggers", {}).update({name: {"level": level} for name in _QUIET_UNLESS_JSON})
    if LOG_FORMAT == "json":
        logging.setdefault("formatters", {})["json"] = {"()": "returns_desk.core.logging.JsonFormatter"}
        logging["handlers"]["console"]["formatter"] = "json"
