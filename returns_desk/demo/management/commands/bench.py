"""Performance figures named in the issues, printed as `name: value unit` lines.

Each phase runs in a child process on a scratch SQLite database (in a temporary folder), so the
figures are measured on the embedded database the targets name and your own data is never touched.
Pass --database-url to measure another database instead (it must be empty and disposable).
"""

import logging
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.db.models import Count
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from returns_desk.core import clock
from returns_desk.core.actors import Actor
from returns_desk.demo.shop.example import Line, example_order
from returns_desk.desk.models import DeskNotification
from returns_desk.documents import pdf, rendering
from returns_desk.documents.services import _return_for_documents
from returns_desk.orders.models import Product
from returns_desk.returns import services
from returns_desk.returns.models import ReturnRequest

TRANSACTION_CONTROL = ("SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK TO SAVEPOINT", "BEGIN")


def median_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


def logged_in(username: str) -> Client:
    """A test client signed in as one of the demo's staff, allowed to call this process's own pages."""
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    client = Client()
    user = get_user_model().objects.get(username=username)
    client.force_login(user)
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is not None:  # the demo manager signs in with a second factor: this session has given it
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()
    return client


def median_page_ms(client: Client, url: str, samples: int, what: str) -> float:
    """Median time to serve `url` once warm (a first request loads templates and caches)."""
    client.get(url)
    timings = []
    for _ in range(samples):
        started = time.perf_counter()
        response = client.get(url)
        timings.append(time.perf_counter() - started)
        if response.status_code != 200:
            raise CommandError(f"{what} answered {response.status_code}")
    return median_ms(timings)


class Command(BaseCommand):
    help = "Measure the performance figures named in the issues (prints `name: value unit` lines)."

    def add_arguments(self, parser):
        parser.add_argument("--returns", type=int, default=100_000, help="Returns in the large data set.")
        parser.add_argument("--orders", type=int, default=None, help="Orders in the large data set (returns/3).")
        parser.add_argument("--skip-services-seed", action="store_true", help="Skip the 2,000-return services seed.")
        parser.add_argument("--database-url", default="", help="Measure on this (empty, disposable) database.")
        parser.add_argument("--phase", choices=["services", "large"], help="(internal) run one phase here.")

    def handle(self, *args, returns, orders, skip_services_seed, database_url, phase, **options):
        if phase:
            return self.run_phase(phase, returns=returns, orders=orders or max(returns // 3, 1))
        phases = ([] if skip_services_seed else ["services"]) + ["large"]
        with tempfile.TemporaryDirectory(prefix="returns-desk-bench-") as scratch:
            for name in phases:
                url = database_url or f"sqlite:///{Path(scratch) / f'{name}.sqlite3'}"
                env = {**os.environ, "DATABASE_URL": url, "DJANGO_DEBUG": "0"}
                command = [
                    sys.executable,
                    str(Path(settings.BASE_DIR) / "manage.py"),
                    "bench",
                    "--phase",
                    name,
                    "--returns",
                    str(returns),
                ]
                if orders:
                    command += ["--orders", str(orders)]
                result = subprocess.run(command, env=env, check=False)  # noqa: S603 - our own manage.py
                if result.returncode:
                    raise CommandError(f"bench phase {name} failed (exit {result.returncode})")

    def emit(self, name: str, value: float, unit: str) -> None:
        self.stdout.write(f"{name}: {value:.1f} {unit}" if isinstance(value, float) else f"{name}: {value} {unit}")
        self.stdout.flush()

    def run_phase(self, phase: str, *, returns: int, orders: int) -> None:
        logging.getLogger("django-q").setLevel(logging.WARNING)
        call_command("migrate", verbosity=0)
        if phase == "services":
            started = time.perf_counter()
            call_command("seed_demo", orders=1000, returns=2000, seed=7, verbosity=0)
            self.emit("seed_services_2000_s", time.perf_counter() - started, "s")
            return
        started = time.perf_counter()
        call_command("seed_demo", orders=orders, returns=returns, seed=7, bulk=True, verbosity=0)
        self.emit(f"seed_bulk_{returns}_s", time.perf_counter() - started, "s")

        self.emit("returns_in_database", ReturnRequest.objects.count(), "returns")
        self.emit("transition_approve_ms", self.time_approvals(), "ms")
        label, floor = self.time_label()
        self.emit("label_pdf_ms", label, "ms")
        self.emit("label_pdf_floor_ms", floor, "ms")  # issue 16: the label within 2x of this
        self.emit("portal_submit_ms", self.time_portal_submit(), "ms")
        self.emit("portal_steps_queries", self.count_portal_steps(), "queries")
        warm, cold = self.time_desk_queue()
        self.emit("desk_queue_ms", warm, "ms")
        self.emit("desk_queue_cold_counts_ms", cold, "ms")
        self.emit("desk_ticket_ms", self.time_desk_ticket(), "ms")
        self.emit("notifications_poll_ms", self.time_notifications_poll(), "ms")
        served, cold = self.time_insights()
        self.emit("insights_ms", served, "ms")
        self.emit("insights_cold_ms", cold, "ms")

    def time_label(self, samples: int = 25) -> tuple[float, float]:
        """Median warm render of one 4x6 label (data, barcode, QR code, PDF), as the render task does it, and
        WeasyPrint's floor in this process: a trivial 4x6 in page, rendered in turn with the label."""
        pk = ReturnRequest.objects.filter(status="approved").values_list("pk", flat=True).first()
        rr = _return_for_documents(pk)
        rendering.render(rr, "label")  # warm: fonts and templates loaded once per process
        pdf.write_trivial_page()
        timings, floor = [], []
        for _ in range(samples):
            started = time.perf_counter()
            rendering.render(rr, "label")
            timings.append(time.perf_counter() - started)
            started = time.perf_counter()
            pdf.write_trivial_page()
            floor.append(time.perf_counter() - started)
        return median_ms(timings), median_ms(floor)

    def count_portal_steps(self) -> int:
        """Queries of the portal's four steps for one two-item return (lookup; items, outcome, review: each
        page and its form), savepoints and BEGIN aside, as tests/portal/test_portal_queries.py counts them."""
        settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
        products = list(Product.objects.filter(style__gt="").order_by("sku")[:2])
        made = example_order(
            number="BENCH-QUERIES",
            email="bench-queries@example.com",
            customer_name="Bench Customer",
            lines={p.sku: Line(p) for p in products},
            payment_reference="pi_bench_queries",
        )
        client, lines = Client(), list(made.lines.values())
        items = {f"line-{line.pk}-{k}": v for line in lines for k, v in (("quantity", 1), ("reason", "damaged"))}
        steps = [
            ("/returns/", {"order_number": made.order.number, "email": made.order.email}),
            ("/returns/new/items/", None),
            ("/returns/new/items/", items),
            ("/returns/new/outcome/", None),
            ("/returns/new/outcome/", {f"outcome_{line.pk}": "refund" for line in lines}),
            ("/returns/new/review/", None),
            ("/returns/new/review/", {}),
        ]
        total = 0
        for url, form in steps:
            if form is not None and url != "/returns/":
                form = {"draft": client.session["portal_return_draft"]["key"], **form}
            with CaptureQueriesContext(connection) as queries:
                response = client.get(url) if form is None else client.post(url, form)
            if response.status_code not in (200, 302):
                raise CommandError(f"portal step {url} answered {response.status_code}")
            total += sum(1 for q in queries.captured_queries if not q["sql"].startswith(TRANSACTION_CONTROL))
        if not made.order.returns.exists():
            raise CommandError("the counted portal steps opened no return")
        return total

    def time_approvals(self, samples: int = 200) -> float:
        """Median time of one `approve` through its service, row lock and event included."""
        agent = Actor.staff(get_user_model().objects.get(username="agent"))
        pending = list(ReturnRequest.objects.filter(status="requested").order_by("pk")[:samples])
        timings = []
        for rr in pending:
            started = time.perf_counter()
            services.return_approve(return_request=rr, by=agent)
            timings.append(time.perf_counter() - started)
        return median_ms(timings)

    def time_portal_submit(self, samples: int = 60) -> float:
        """Median time of the customer's confirm POST for a two-item return, as the browser sends it:
        session, eligibility, quote, writes and the acknowledgement email queued (not sent)."""
        settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
        products = list(Product.objects.filter(style__gt="").order_by("sku")[:2])
        timings = []
        for n in range(samples):
            made = example_order(
                number=f"BENCH-{n:05d}",
                email=f"bench{n}@example.com",
                customer_name="Bench Customer",
                lines={p.sku: Line(p) for p in products},
                payment_reference=f"pi_bench_{n}",
            )
            order = made.order
            client = Client()
            client.post("/returns/", {"order_number": order.number, "email": order.email})
            items = {}
            for line in made.lines.values():
                items.update({f"line-{line.pk}-quantity": 1, f"line-{line.pk}-reason": "damaged"})
            draft = {"draft": client.session["portal_return_draft"]["key"]}  # each step's form carries its draft
            client.post("/returns/new/items/", {**draft, **items})
            outcomes = {f"outcome_{line.pk}": "refund" for line in made.lines.values()}
            client.post("/returns/new/outcome/", {**draft, **outcomes})
            started = time.perf_counter()
            response = client.post("/returns/new/review/", draft)
            timings.append(time.perf_counter() - started)
            if response.status_code != 302 or not order.returns.exists():
                raise CommandError(f"portal confirm failed: {response.status_code}")
        return median_ms(timings)

    def time_desk_queue(self, samples: int = 40) -> tuple[float, float]:
        """Median time of the queue page (All, newest first, 50 rows) for a logged-in VA: as used (counts
        cached for their few seconds) and with the counts recomputed on every view (the worst case)."""
        client = logged_in("agent")
        url = "/desk/?queue=all"
        client.get(url)
        warm, cold = [], []
        for _ in range(samples):
            started = time.perf_counter()
            response = client.get(url)
            warm.append(time.perf_counter() - started)
            if response.status_code != 200:
                raise CommandError(f"queue page answered {response.status_code}")
            cache.clear()
            started = time.perf_counter()
            client.get(url)
            cold.append(time.perf_counter() - started)
        return median_ms(warm), median_ms(cold)

    def time_notifications_poll(self, samples: int = 60) -> float:
        """Median time of one bell refresh (the header polls it) for a manager with a long list of notices:
        customers wrote on 200 unassigned returns, each noticed to every manager, half of them read."""
        manager = get_user_model().objects.get(username="manager")
        for rr in ReturnRequest.objects.filter(assignee__isnull=True).order_by("pk")[:200]:
            services.return_customer_reply(return_request=rr, body="Any news on my return?")
        notices = DeskNotification.objects.filter(user=manager).order_by("pk").values_list("pk", flat=True)
        DeskNotification.objects.filter(pk__in=list(notices[: len(notices) // 2])).update(read_at=clock.now())
        return median_page_ms(logged_in(manager.username), "/desk/notices/bell/", samples, "bell")

    def time_desk_ticket(self, samples: int = 40) -> float:
        """Median time of the ticket page for the return with the longest timeline (forms, policy panel,
        history and all), as a VA sees it."""
        busiest = (
            ReturnRequest.objects.filter(status="inspected")
            .annotate(n=Count("events"))
            .order_by("-n")
            .values_list("pk", flat=True)[:1]
            .get()
        )
        return median_page_ms(logged_in("agent"), f"/desk/returns/{busiest}/", samples, "ticket page")

    def time_insights(self, samples: int = 15) -> tuple[float, float]:
        """Median time of /desk/insights/ (the last 90 days) for a manager: as served (the report is worked out
        at most every few minutes, and warmed by a task) and worked out from the database on every view."""
        client = logged_in("manager")
        client.get("/desk/insights/")
        served, cold = [], []
        for _ in range(samples):
            started = time.perf_counter()
            response = client.get("/desk/insights/")
            served.append(time.perf_counter() - started)
            if response.status_code != 200:
                raise CommandError(f"insights page answered {response.status_code}")
            started = time.perf_counter()
            client.get("/desk/insights/?fresh=1")
            cold.append(time.perf_counter() - started)
        return median_ms(served), median_ms(cold)
