import logging
import time

from django.core.management.base import BaseCommand

from returns_desk.core import demo
from returns_desk.orders.models import Order
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
            demo.ensure_reference_data()
            demo.ensure_demo_users()
            self._print_portal_example()
            return
        if orders < 1 or returns < 0:
            self.stderr.write("--orders must be at least 1 and --returns at least 0.")
            raise SystemExit(2)
        # Tasks run inline while seeding; their per-task INFO lines would drown the summary.
        logging.getLogger("django-q").setLevel(logging.WARNING)
        started = time.perf_counter()
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
        self._print_portal_example()

    def _print_portal_example(self):
        example = demo.portal_example_order()
        if example:
            self.stdout.write(f"Try the customer portal at /returns/ with order {example.number} and {example.email}")
