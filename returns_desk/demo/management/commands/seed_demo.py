import contextlib
import logging
import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from returns_desk.demo import shop as demo
from returns_desk.demo.management.commands import run_localstripe
from returns_desk.orders.models import Order
from returns_desk.payments import gateway
from returns_desk.returns.models import ReturnRequest


class Command(BaseCommand):
    help = "Build a deterministic demo shop with returns in every state."

    def add_arguments(self, parser):
        parser.add_argument("--orders", type=int, default=400)
        parser.add_argument("--returns", type=int, default=600)
        parser.add_argument("--seed", type=int, default=7)
        parser.add_argument("--bulk", action="store_true", help="Bulk inserts even for small volumes.")
        parser.add_argument("--if-empty", action="store_true", help="Do nothing when orders already exist.")

    def handle(self, *args, orders, returns, seed, bulk, if_empty, verbosity, **options):
        if if_empty and Order.objects.exists():
            self.stdout.write("Demo data already present; nothing to do.")
            port = run_localstripe.local_port() if gateway.is_configured() else None
            if port and not run_localstripe.state_path().exists():
                self.stderr.write(
                    f"The demo data was not paid at the local Stripe server ({run_localstripe.state_path()} is "
                    "missing), so refunds of its orders will fail there. Delete the database (make clean) and run "
                    "make demo again to seed it with Stripe, or run make demo DEMO_STRIPE=0."
                )
            demo.ensure_reference_data()
            demo.ensure_demo_users()
            self._print_portal_example()
            return
        if orders < 1 or returns < 0:
            self.stderr.write("--orders must be at least 1 and --returns at least 0.")
            raise SystemExit(2)
        # Tasks run inline while seeding; their per-task INFO lines would drown the summary.
        logging.getLogger("django-q").setLevel(logging.WARNING)
        logging.getLogger("stripe").setLevel(logging.WARNING)  # and so would the Stripe client's, one per request
        started = time.perf_counter()
        with self._stripe_server(returns=returns, bulk=bulk or None):
            made = demo.seed(orders=orders, returns=returns, seed=seed, bulk=bulk or None)
        if verbosity < 1:
            return
        states = sorted(set(ReturnRequest.objects.values_list("status", flat=True)))
        self.stdout.write(
            self.style.SUCCESS(
                f"Seeded {made['orders']} orders and {made['returns']} returns "
                f"in {time.perf_counter() - started:.1f} s; "
                f"{len(states)} states present."
                + (f" (Asked for {returns}: the shop had nothing more to return.)" if made["returns"] < returns else "")
            )
        )
        if made["paid_at_stripe"]:
            self.stdout.write(
                f"{made['paid_at_stripe']} orders (every one with a return, and those still returnable) were paid "
                f"with Stripe's test card at {settings.STRIPE_API_BASE or 'Stripe'}; their refunds go through Stripe."
            )
        self._print_portal_example()

    def _stripe_server(self, *, returns: int, bulk: bool | None):
        """With Stripe configured, the service path pays orders there and sends refunds: when the app points at a
        local Stripe server that is not running yet (`make demo` seeds before starting it), run one meanwhile."""
        if not gateway.is_configured() or demo.takes_bulk_path(returns=returns, bulk=bulk):
            return contextlib.nullcontext()
        if not settings.STRIPE_SECRET_KEY.startswith(("sk_test_", "rk_test_")):
            raise CommandError("seed_demo pays demo orders with Stripe's test card: use a test key (sk_test_...).")
        port = run_localstripe.local_port()
        return run_localstripe.running(port) if port else contextlib.nullcontext()

    def _print_portal_example(self):
        example = demo.portal_example_order()
        if example:
            self.stdout.write(f"Try the customer portal at /returns/ with order {example.number} and {example.email}")
