"""A real `manage.py qcluster` process runs a task and a schedule outside the test process.

It uses whichever broker this run is configured with: the database (pass 1) or Redis (pass 2).
"""

import datetime as dt
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone
from django_q.models import Schedule
from django_q.tasks import async_task  # noqa: TID251 - the test must put a task on the real broker

from returns_desk.notifications.models import OutboundEmail
from returns_desk.returns.models import ReturnRequest
from tests.factories import return_in_state

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]
ROOT = Path(__file__).resolve().parents[2]


def database_url() -> str:
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    return f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


def wait_until(check, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.5)
    return False


def test_worker_process_runs_a_task_and_a_schedule(reference_data, tmp_path):
    resolved = return_in_state("resolved")
    ReturnRequest.objects.filter(pk=resolved.pk).update(status_changed_at=timezone.now() - dt.timedelta(days=30))
    Schedule.objects.create(
        name="close-now",
        func="returns_desk.returns.tasks.close_finished",
        schedule_type=Schedule.ONCE,
        repeats=-1,
        next_run=timezone.now() - dt.timedelta(seconds=1),
    )
    # Written directly: through email_queue the test settings would send it inline, in this process.
    approved = return_in_state("approved")
    email = OutboundEmail.objects.create(
        return_request=approved,
        event_key="worker-test",
        kind="ship_reminder",
        to_email=approved.email,
        subject=f"A reminder to send your return [{approved.rma_number}]",
        text_body="Please send it.",
        message_id="<worker-test@returns.local>",
    )
    async_task("returns_desk.notifications.tasks.send_email", email.pk, sync=False)

    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "returns_desk.settings.local",
        "DJANGO_DEBUG": "0",
        "DATABASE_URL": database_url(),
        "EMAIL_URL": "consolemail://",
        "Q_WORKERS": "1",
        "PYTHONUNBUFFERED": "1",
    }
    if settings.REDIS_URL:
        env["REDIS_URL"] = settings.REDIS_URL
    log = open(tmp_path / "qcluster.log", "wb")  # noqa: SIM115 - closed below
    worker = subprocess.Popen(
        [sys.executable, "manage.py", "qcluster"],
        cwd=ROOT,
        env=env,
        stdout=log,  # noqa: S603
        stderr=subprocess.STDOUT,
    )
    try:
        sent = wait_until(lambda: OutboundEmail.objects.get(pk=email.pk).status == "sent", timeout=30)
        closed = wait_until(lambda: ReturnRequest.objects.get(pk=resolved.pk).status == "closed", timeout=60)
    finally:
        worker.terminate()
        worker.wait(timeout=30)
        log.close()
    output = (tmp_path / "qcluster.log").read_text(errors="replace")
    assert sent, f"the worker did not send the queued email:\n{output[-3000:]}"
    assert closed, f"the worker's scheduler did not run the schedule:\n{output[-3000:]}"
    assert "A reminder to send your return" in output  # the console mail backend printed it in the worker
    assert ReturnRequest.objects.get(pk=resolved.pk).events.filter(transition="close", actor_kind="system").exists()
