"""JSON logs (LOG_FORMAT=json): one line per request and per task run, joined by the request's id."""

import io
import json
import logging

import pytest

from returns_desk.core import logging as log_context
from returns_desk.core.tasks import enqueue_on_commit
from returns_desk.returns.models import ReturnStatus
from tests.factories.returns import return_in_state


@pytest.fixture
def json_lines():
    """The request and task loggers at INFO, written as LOG_FORMAT=json writes them; returns the parsed lines."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(log_context.JsonFormatter())
    handler.addFilter(log_context.RequestContextFilter())
    loggers = [logging.getLogger(name) for name in ("returns_desk.requests", "returns_desk.tasks", "django.request")]
    before = [(lg.level, lg.propagate) for lg in loggers]
    for lg in loggers:
        lg.addHandler(handler)
        lg.setLevel(logging.INFO)
        lg.propagate = False

    def read(*, clear: bool = False) -> list[dict]:
        lines = [json.loads(line) for line in stream.getvalue().splitlines()]
        if clear:
            stream.seek(0)
            stream.truncate()
        return lines

    yield read
    for lg, (level, propagate) in zip(loggers, before, strict=True):
        lg.removeHandler(handler)
        lg.setLevel(level)
        lg.propagate = propagate


def explode_task():
    raise RuntimeError("provider down")


# Real commits: the tasks are enqueued when the view's transaction commits, inside the request, as in production.
@pytest.mark.django_db(transaction=True)
def test_a_request_and_the_tasks_it_enqueued_log_one_line_each_with_the_same_request_id(client, manager, json_lines):
    rr = return_in_state(ReturnStatus.REQUESTED)
    client.force_login(manager)
    json_lines(clear=True)  # the return's acknowledgement email ran before the request: no request id, as it should
    response = client.post(f"/desk/returns/{rr.pk}/act/approve/", headers={"X-Request-ID": "req-from-the-proxy-1"})
    assert response.status_code in (200, 302)
    assert response["X-Request-ID"] == "req-from-the-proxy-1"
    lines = json_lines()
    requests = [line for line in lines if line["logger"] == "returns_desk.requests"]
    assert len(requests) == 1
    (line,) = requests
    assert line["request_id"] == "req-from-the-proxy-1"
    assert line["method"] == "POST"
    assert line["path"] == f"/desk/returns/{rr.pk}/act/approve/"
    assert line["status"] == response.status_code
    assert line["user_id"] == manager.pk
    assert line["rma"] == rr.rma_number
    assert isinstance(line["duration_ms"], float)
    tasks = [line for line in lines if line["logger"] == "returns_desk.tasks"]
    names = {task["task"] for task in tasks}
    # Approval queues the label's rendering and the customer's email (run in-process: sync mode).
    assert "returns_desk.documents.tasks.render_documents" in names
    assert "returns_desk.notifications.tasks.send_email" in names
    for task in tasks:
        assert task["request_id"] == "req-from-the-proxy-1"
        assert task["rma"] == rr.rma_number
        assert task["outcome"] == "success"
        assert task["duration_ms"] >= 0


def test_a_request_without_a_sane_id_gets_a_new_one_echoed_in_the_response(client, db, json_lines):
    response = client.get("/healthz/", headers={"X-Request-ID": 'bad id" {"level": "forged"}'})
    given = response["X-Request-ID"]
    assert given != 'bad id" {"level": "forged"}'
    assert len(given) == 32
    (line,) = json_lines()
    assert line["request_id"] == given
    assert line["path"] == "/healthz/"
    assert line["status"] == 200
    assert "user_id" not in line  # nobody signed in
    assert "rma" not in line  # the health check names no return


def test_djangos_own_line_about_a_refused_request_carries_the_request_id(client, db, json_lines, settings):
    settings.METRICS_TOKEN = ""
    response = client.get("/metrics", headers={"X-Request-ID": "req-not-found-1"})
    assert response.status_code == 404
    by_logger = {line["logger"]: line for line in json_lines()}
    assert by_logger["django.request"]["message"] == "Not Found: /metrics"
    assert by_logger["django.request"]["request_id"] == "req-not-found-1"  # written after the middleware finished
    assert by_logger["returns_desk.requests"]["status"] == 404


def test_a_failing_task_logs_its_failure_with_the_request_id_it_was_given(
    db, json_lines, django_capture_on_commit_callbacks
):
    # Sent at "commit", once the request's block is over: the task still runs (sync mode: here, re-raising)
    # under the id of the request that enqueued it.
    with pytest.raises(RuntimeError), django_capture_on_commit_callbacks(execute=True):
        with log_context.bound({"request_id": "req-failing-task"}):
            enqueue_on_commit("tests.core.test_json_logs.explode_task")
        assert log_context.current() == {}
    (line,) = json_lines()
    assert line["task"] == "tests.core.test_json_logs.explode_task"
    assert line["outcome"] == "failure"
    assert line["request_id"] == "req-failing-task"


def test_plain_logs_stay_quiet_about_requests_and_tasks(settings):
    """The default is unchanged: the two new loggers are held at WARNING unless LOG_FORMAT=json."""
    from returns_desk.settings import base

    assert base.LOG_FORMAT == "plain"
    assert base.LOGGING["loggers"]["returns_desk.requests"]["level"] == "WARNING"
    assert base.LOGGING["loggers"]["returns_desk.tasks"]["level"] == "WARNING"
