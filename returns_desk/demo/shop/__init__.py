"""A believable demo shop, built deterministically from a seed.

Small volumes go through the real services (`through_services`), each step replayed at the moment it happened,
so every timeline is true. Large volumes (benchmarks) take a bulk path (`bulk`) that writes the same kind of rows
with bulk inserts, its timelines generated from the same planned paths (`plans`) and the model's own transition
table. `example` builds one customer's order for the bench and the tests.
"""

import datetime as dt
import random

from django.db import connection
from django.utils import timezone

from returns_desk.core.request_memo import remembering
from returns_desk.demo.shop.bulk import seed_bulk
from returns_desk.demo.shop.catalogue import (
    FIXTURES,
    build_shop,
    ensure_demo_users,
    ensure_reference_data,
    pay_at_stripe,
    portal_example_order,
)
from returns_desk.demo.shop.plans import PlannedReturn, plan_returns
from returns_desk.demo.shop.surveys import seed_surveys
from returns_desk.demo.shop.through_services import seed_disputes, seed_through_services
from returns_desk.payments import gateway
from returns_desk.policies.models import ReasonCode
from returns_desk.policies.selectors import active_policy
from returns_desk.returns import sla

__all__ = [
    "FIXTURES",
    "SERVICES_UP_TO",
    "PlannedReturn",
    "ensure_demo_users",
    "ensure_reference_data",
    "portal_example_order",
    "seed",
    "seed_bulk",
    "takes_bulk_path",
]

# Up to this many returns go through the real services; more take the bulk path.
SERVICES_UP_TO = 5000


def takes_bulk_path(*, returns: int, bulk: bool | None) -> bool:
    return bulk if bulk is not None else returns > SERVICES_UP_TO


def seed(*, orders: int, returns: int, seed: int, bulk: bool | None = None) -> dict[str, int]:
    """Build the demo shop; returns counts of what was made."""
    with remembering():  # the policy is read once, not at every transition of thousands
        return _seed(orders=orders, returns=returns, seed=seed, bulk=bulk)


def _seed(*, orders: int, returns: int, seed: int, bulk: bool | None) -> dict[str, int]:
    rng = random.Random(seed)  # noqa: S311 (demo data wants a seeded PRNG: the same shop for the same seed)
    now = timezone.now().replace(microsecond=0)
    ensure_reference_data()
    staff = ensure_demo_users()
    policy = active_policy()
    shop = build_shop(rng, orders=orders, now=now)
    reasons = list(ReasonCode.objects.filter(is_active=True).order_by("position"))
    planned = plan_returns(
        rng,
        shop,
        count=returns,
        now=now,
        window_days=policy.return_window_days,
        non_returnable=set(policy.non_returnable_categories),
        reasons=reasons,
        targets=sla.Targets.from_policy(policy),
    )
    use_bulk = takes_bulk_path(returns=returns, bulk=bulk)
    paid_at_stripe = 0
    if gateway.is_configured() and not use_bulk:
        # Refunds of these orders go through the Stripe client, as in production: first, they are paid there.
        window = dt.timedelta(days=policy.return_window_days)
        returnable = [o for o in shop.orders if now - o.delivered_at < window]
        paid_at_stripe = pay_at_stripe([plan.order for plan in planned] + returnable)
    made = seed_bulk(rng, planned, staff) if use_bulk else seed_through_services(rng, planned, staff)
    disputes = seed_disputes(rng, now=now, count=max(2, min(12, returns // 100)))
    surveys = seed_surveys(rng)
    with connection.cursor() as cursor:
        # After a bulk load, on every database: without statistics PostgreSQL's planner guessed the queue counts
        # 5x slower at 300,000 returns (issue 16), and SQLite's has none until asked.
        cursor.execute("ANALYZE")
    return {
        "products": len(shop.products),
        "orders": orders,
        "returns": made,
        "disputes": disputes,
        "surveys": surveys,
        "paid_at_stripe": paid_at_stripe,
    }
