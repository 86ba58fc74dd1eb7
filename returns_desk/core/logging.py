"""Structured logs for several machines: a request id on every line, one JSON line per request and per task run.

With LOG_FORMAT=json (settings) each log record is one JSON object on one line. Every request gets an id (the
caller's `X-Request-ID` when it is sane, else a new one), echoed in the response; the tasks a request enqueues
carry that id into the worker (core.tasks), so one grep follows a click from the web process to the email it sent.
The return a request or task is about is named by its RMA number.

The request and task lines go to the loggers `returns_desk.requests` and `returns_desk.tasks`, at INFO; the plain
text default keeps them quiet (settings), so nothing changes unless JSON logs are asked for.
"""

import contextlib
import json
import logging
import re
import time
import uuid
from collections.abc import Iterator
from contextvars import ContextVar, Token
from typing import Any

from django.apps import apps
from django.conf import settings

request_logger = logging.getLogger("returns_desk.requests")
task_logger = logging.getLogger("returns_desk.tasks")

# What the current request or task is about: its id and, once known, the return's RMA. A dict, so that a view
# binding the RMA deep inside a request is seen by the middleware writing the request's line.
_context: ContextVar[dict[str, str] | None] = ContextVar("log_context", default=None)

# A caller's id is kept only when it could not be mistaken for anything else in a log line.
_SANE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{8,128}$")

# LogRecord's own attributes: everything else on a record came from `extra=` and belongs in the JSON.
_RECORD_ATTRIBUTES = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}


def current() -> dict[str, str]:
    """The request id and RMA of the request or task running now (empty outside both)."""
    return dict(_context.get() or {})


def bind_rma(rma: str) -> None:
    """Name the return the current request or task is about; its lines, and the tasks it enqueues, carry it."""
    context = _context.get()
    if context is not None and rma:
        context["rma"] = rma


def enter(values: dict[str, str]) -> Token:
    """From now on, be part of the request or task `values` names (`request_id`, `rma`); `leave` undoes it."""
    return _context.set({key: str(value) for key, value in values.items() if value})


def leave(token: Token) -> None:
    _context.reset(token)


@contextlib.contextmanager
def bound(values: dict[str, str]) -> Iterator[dict[str, str]]:
    """Run a block as part of the request or task `values` names."""
    token = enter(values)
    try:
        yield _context.get() or {}
    finally:
        leave(token)


def rma_of_return(**lookup: Any) -> str:
    """The RMA number of the return matching `lookup` (one indexed query), or "" when there is none.

    The model is named in settings.LOG_RMA_FIELD so that this floor imports nothing above it.
    """
    label, field = settings.LOG_RMA_FIELD.rsplit(".", 1)
    model = apps.get_model(label)
    try:
        return model._default_manager.filter(**lookup).values_list(field, flat=True).first() or ""
    except (ValueError, TypeError):  # a URL argument of the wrong shape names no return
        return ""


class RequestContextFilter(logging.Filter):
    """Adds `request_id` and `rma` of the request or task running now to every record (empty when none)."""

    def filter(self, record: logging.LogRecord) -> bool:
        context = _context.get() or {}
        if not context and hasattr(record, "request"):
            # django.request writes its 4xx/5xx line once the middleware is done: the request still knows its id.
            context = getattr(record.request, "log_context", {})
        for key in ("request_id", "rma"):
            if not getattr(record, key, None):
                setattr(record, key, context.get(key, ""))
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, the record's extra fields, and any traceback."""

    converter = time.gmtime  # type: ignore[assignment]  # times in UTC, marked Z

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S") + f".{int(record.msecs):03d}Z",
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in _RECORD_ATTRIBUTES and not key.startswith("_") and value not in ("", None):
                entry[key] = value
        if record.exc_info:
            entry["exc_info"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


def _request_id_from(request) -> str:
    given = request.headers.get("X-Request-ID", "")
    return given if _SANE_REQUEST_ID.match(given) else uuid.uuid4().hex


def _rma_from_url(request) -> str:
    """The RMA of the return the URL names (settings.LOG_RMA_ROUTES), looked up only when it will be logged."""
    match = getattr(request, "resolver_match", None)
    if match is None or not request_logger.isEnabledFor(logging.INFO):
        return ""
    for prefix, (argument, field) in settings.LOG_RMA_ROUTES.items():
        if match.route.startswith(prefix) and argument in match.kwargs:
            return rma_of_return(**{field: match.kwargs[argument]})
    return ""


class RequestIdMiddleware:
    """Gives each request its id (echoed as `X-Request-ID`) and writes its one line to `returns_desk.requests`."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        with bound({"request_id": _request_id_from(request)}) as context:
            request.request_id = context["request_id"]
            request.log_context = context  # the same dict: an RMA bound later shows there too
            response = self.get_response(request)
            response["X-Request-ID"] = context["request_id"]
            self._log(request, response, context, time.perf_counter() - started)
        return response

    def process_view(self, request, view_func, view_args, view_kwargs):
        """Before the view runs, so that the tasks it enqueues carry the RMA too."""
        bind_rma(_rma_from_url(request))

    @staticmethod
    def _log(request, response, context: dict[str, str], seconds: float) -> None:
        if not request_logger.isEnabledFor(logging.INFO):
            return
        user = getattr(request, "user", None)
        fields = {
            "method": request.method,
            "path": request.path,
            "status": response.status_code,
            "duration_ms": round(seconds * 1000, 1),
            # Only staff sign in, so a signed-in user is someone on the desk; customers are never named.
            "user_id": user.pk if user is not None and user.is_authenticated else None,
        }
        request_logger.info("%s %s %s", request.method, request.path, response.status_code, extra=fields)


def log_task_run(*, task: str, seconds: float, success: bool) -> None:
    """The one line a finished task run writes (core.tasks calls it in the worker)."""
    task_logger.info(
        "task %s %s",
        task,
        "succeeded" if success else "failed",
        extra={"task": task, "duration_ms": round(seconds * 1000, 1), "outcome": "success" if success else "failure"},
    )
