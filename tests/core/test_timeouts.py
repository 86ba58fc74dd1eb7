"""Outbound calls have deadlines, and work is split into queues: a mail server that accepts a connection and never
answers holds up neither a refund nor the worker for ever."""

import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django_q.conf import Conf
from django_q.models import OrmQ, Schedule

from returns_desk.core.actors import Actor
from returns_desk.core.schedules import ensure_periodic_tasks
from returns_desk.core.tasks import enqueue_later, enqueue_on_commit, queue_for
from returns_desk.notifications import tasks as email_tasks
from returns_desk.notifications.models import OutboundEmail
from returns_desk.payments import services as payments
from returns_desk.payments.models import Refund
from tests.factories import OrderFactory, return_in_state
from tests.payments.conftest import stripe_payment
from tests.support import stripe as fake

ROOT = Path(__file__).resolve().parents[2]


@contextlib.contextmanager
def hung_smtp_server():
    """A local socket that accepts every connection and never says a word (no SMTP greeting, ever)."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    server.settimeout(0.2)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        while not stop.is_set():
            with contextlib.suppress(TimeoutError, OSError):
                held.append(server.accept()[0])

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield server.getsockname()[1], held
    finally:
        stop.set()
        thread.join(timeout=5)
        for conn in held:
            conn.close()
        server.close()


def queued_email(rr, key: str) -> OutboundEmail:
    # Written directly: through email_queue the test settings would send it at once, in this process.
    return OutboundEmail.objects.create(
        return_request=rr,
        event_key=key,
        kind="ship_reminder",
        to_email=rr.email,
        subject=f"A reminder to send your return [{rr.rma_number}]",
        text_body="Please send it.",
        message_id=f"<{key}@returns.local>",
    )


def wait_until(check, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.2)
    return False


# --- deadlines -------------------------------------------------------------------------------------------------


def test_smtp_has_a_deadline_by_default():
    assert settings.EMAIL_TIMEOUT and 0 < settings.EMAIL_TIMEOUT <= 30
    assert 0 < settings.STRIPE_TIMEOUT_SECONDS <= 30


@pytest.mark.django_db(transaction=True)  # the send runs in a thread of its own, with its own connection
def test_a_send_to_a_hung_mail_server_gives_up_at_the_deadline_and_is_retried_later(settings, reference_data):
    rr = return_in_state("approved")
    email = queued_email(rr, "hung-inline")
    with hung_smtp_server() as (port, held):
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", port, 1
        settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
        outcome = []
        sender = threading.Thread(target=lambda: outcome.append(email_tasks.send_email(email.pk)), daemon=True)
        started = time.monotonic()
        sender.start()
        sender.join(timeout=15)
        assert not sender.is_alive(), "the send to a silent mail server never gave up"
        assert time.monotonic() - started < 10
        assert held  # it did connect: the server accepted, then said nothing
    email.refresh_from_db()
    assert email.status != "sent" and "timed out" in email.last_error.lower()
    assert email.sending_until is None  # the lease is given back: a retry (or the sweep) sends it later


def test_redis_connections_have_deadlines():
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    env.update(REDIS_URL="redis://127.0.0.1:6399/3", DJANGO_SETTINGS_MODULE="returns_desk.settings.local")
    code = (
        "from django.conf import settings as s; "
        "print(s.CACHES['default']['OPTIONS']['socket_timeout']); print(s.Q_CLUSTER['redis'])"
    )
    command = [sys.executable, "manage.py", "shell", "-c", code]
    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    cache_timeout, broker_url = result.stdout.split()[-2:]
    assert float(cache_timeout) > 0
    assert broker_url.startswith("redis://127.0.0.1:6399/3?") and "socket_timeout=" in broker_url


# --- queues ----------------------------------------------------------------------------------------------------


def test_money_email_and_documents_each_have_a_queue_of_their_own():
    assert queue_for("returns_desk.payments.tasks.send_refund") == "money"
    assert queue_for("returns_desk.payments.tasks.reconcile_refunds") == "money"
    assert queue_for("returns_desk.notifications.tasks.send_email") == "email"
    assert queue_for("returns_desk.documents.tasks.render_documents") == "documents"
    assert queue_for("returns_desk.returns.tasks.close_finished") == settings.Q_CLUSTER["name"]
    assert set(settings.Q_CLUSTER["ALT_CLUSTERS"]) == {"money", "email", "documents"}


@pytest.mark.django_db(transaction=True)
def test_tasks_go_onto_their_queue_in_the_broker(monkeypatch):
    monkeypatch.setattr(Conf, "SYNC", False)
    monkeypatch.setattr(Conf, "ORM", "default")
    enqueue_on_commit("returns_desk.payments.tasks.send_refund", 1)
    enqueue_on_commit("returns_desk.notifications.tasks.send_email", 2)
    enqueue_on_commit("returns_desk.documents.tasks.render_documents", 3)
    enqueue_on_commit("returns_desk.returns.tasks.close_finished")
    assert sorted(OrmQ.objects.values_list("key", flat=True)) == sorted(
        ["money", "email", "documents", settings.Q_CLUSTER["name"]]
    )
    enqueue_later("returns_desk.payments.tasks.send_refund", 1, delay_seconds=30)
    assert Schedule.objects.get(func="returns_desk.payments.tasks.send_refund").cluster == "money"


@pytest.mark.django_db
def test_periodic_tasks_run_on_their_own_queue():
    ensure_periodic_tasks()
    clusters = dict(Schedule.objects.values_list("name", "cluster"))
    assert clusters["reconcile-refunds"] == "money"
    assert clusters["resend-lost-refunds"] == "money"
    assert clusters["send-due-emails"] == "email"
    assert clusters["close-finished"] == settings.Q_CLUSTER["name"]


# --- a hung mail server and a refund, in real worker processes --------------------------------------------------


def database_url() -> str:
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    return f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


@contextlib.contextmanager
def worker(queue: str, env: dict, log_path: Path):
    log = open(log_path, "wb")  # noqa: SIM115 - closed below
    process = subprocess.Popen(
        [sys.executable, "manage.py", "qcluster"],
        cwd=ROOT,
        env={**env, "Q_CLUSTER_NAME": queue},
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group: the cluster's children are stopped with it
    )
    try:
        yield process
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:  # a worker still inside a send does not stop on request
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)
        log.close()


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_refund_reaches_stripe_while_every_email_worker_hangs_on_a_silent_mail_server(
    settings, reference_data, agent, monkeypatch, tmp_path
):
    with fake.localstripe(tmp_path) as stripe_url, hung_smtp_server() as (smtp_port, held):
        if stripe_url is None:
            pytest.skip("localstripe did not start")
        settings.STRIPE_SECRET_KEY, settings.STRIPE_API_BASE = "sk_test_returns_desk", stripe_url
        order = OrderFactory(amount_paid=3300, payment_reference=stripe_payment(3300))
        rr = return_in_state("inspected", unit_price=3300, order=order)
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "returns_desk.settings.local",
            "DJANGO_DEBUG": "0",
            "DATABASE_URL": database_url(),
            "EMAIL_URL": f"smtp://127.0.0.1:{smtp_port}",
            "EMAIL_TIMEOUT": "60",  # longer than the test: the sends hang throughout
            "STRIPE_SECRET_KEY": "sk_test_returns_desk",
            "STRIPE_API_BASE": stripe_url,
            "Q_WORKERS_EMAIL": "2",
            "Q_WORKERS_MONEY": "1",
            "PYTHONUNBUFFERED": "1",
        }
        env.pop("REDIS_URL", None)
        if settings.REDIS_URL:  # the broker this run uses (the database, or Redis), as the test process does
            env["REDIS_URL"] = settings.REDIS_URL
        monkeypatch.setattr(Conf, "SYNC", False)  # tasks go to the broker, for the worker processes
        for n in range(3):  # more sends than email workers
            enqueue_on_commit("returns_desk.notifications.tasks.send_email", queued_email(rr, f"hung-{n}").pk)
        with worker("email", env, tmp_path / "email.log"), worker("money", env, tmp_path / "money.log"):
            email_hung = wait_until(lambda: len(held) >= 2, timeout=90)
            money_up = wait_until(lambda: b"running" in (tmp_path / "money.log").read_bytes(), timeout=90)
            logs = (tmp_path / "email.log").read_text(errors="replace")[-2000:]
            assert email_hung and money_up, f"the workers did not start:\n{logs}"

            issued = time.monotonic()
            payments.return_issue_refund(return_request=rr, by=Actor.staff(agent))
            refund = Refund.objects.get(return_request=rr)
            sent = wait_until(lambda: Refund.objects.get(pk=refund.pk).status == "succeeded", timeout=45)
            took = time.monotonic() - issued
            still_hanging = OutboundEmail.objects.filter(event_key__startswith="hung-", status="sending").count()
            for conn in held:  # the mail server hangs up: the stuck sends end, and the workers can stop
                conn.close()
        money_log = (tmp_path / "money.log").read_text(errors="replace")[-3000:]
    assert sent, f"the refund did not reach Stripe while the mail server hung:\n{money_log}"
    assert took < 30
    assert still_hanging >= 2  # the email workers were still stuck when the refund was done
    assert not OutboundEmail.objects.filter(event_key__startswith="hung-", status="sent").exists()
