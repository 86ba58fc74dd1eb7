"""A believable demo shop, built deterministically from a seed.

Small volumes go through the real services, each step replayed at the moment it happened, so every
timeline is true. Large volumes (benchmarks) take a bulk path that writes the same kind of rows with
bulk inserts, its timelines generated from the same state paths and the model's own transition table.
"""

import contextlib
import datetime as dt
import random
from collections.abc import Callable
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from returns_desk.core import clock
from returns_desk.core.actors import Actor
from returns_desk.core.money import percent_of
from returns_desk.core.request_memo import remembering
from returns_desk.core.tasks import run_tasks_inline
from returns_desk.notifications.services import emails_record_delivered
from returns_desk.orders.models import Order, OrderLine, Product
from returns_desk.payments import gateway, money_rule
from returns_desk.payments import services as payments
from returns_desk.payments.models import Refund, StoreCredit, new_store_credit_code
from returns_desk.payments.providers import provider_name_for
from returns_desk.policies.models import ReasonCode
from returns_desk.policies.quoted import QuotedTerms
from returns_desk.policies.selectors import active_policy
from returns_desk.returns import milestones, services, sla
from returns_desk.returns.models import (
    ReturnEvent,
    ReturnItem,
    ReturnRequest,
    ReturnStatus,
    SurveyResponse,
    new_customer_token,
)
from returns_desk.returns.transition_words import TRANSITION_WORDS
from returns_desk.staff.models import StaffProfile

S = ReturnStatus
FIXTURES = [str(settings.BASE_DIR / "fixtures" / name) for name in ("groups.json", "policy.json", "reason_codes.json")]

# The transitions that lead to each state (several ways for some). Every state is reachable.
PATHS: dict[str, list[list[str]]] = {
    S.REQUESTED: [[], ["request_info", "info_received"]],
    S.NEEDS_INFO: [["request_info"]],
    S.APPROVED: [["approve"]],
    S.IN_TRANSIT: [["approve", "mark_in_transit"]],
    S.RECEIVED: [["approve", "mark_in_transit", "receive"], ["approve", "receive"]],
    S.INSPECTED: [["approve", "mark_in_transit", "receive", "inspect"]],
    S.AWAITING_APPROVAL: [["approve", "mark_in_transit", "receive", "inspect", "request_refund_approval"]],
    S.REFUND_PENDING: [["approve", "mark_in_transit", "receive", "inspect", "issue_refund"]],
    S.REFUND_FAILED: [["approve", "mark_in_transit", "receive", "inspect", "issue_refund", "refund_failed"]],
    S.RESOLVED: [
        ["approve", "mark_in_transit", "receive", "inspect", "issue_refund", "refund_succeeded"],
        ["approve", "mark_in_transit", "receive", "inspect", "issue_store_credit"],
        ["approve", "mark_in_transit", "receive", "inspect", "ship_exchange"],
        [
            "approve",
            "mark_in_transit",
            "receive",
            "inspect",
            "request_refund_approval",
            "approve_refund",
            "refund_succeeded",
        ],
    ],
    S.REJECTED: [["reject"], ["request_info", "reject"]],
    S.CANCELLED: [["cancel"], ["approve", "expire"]],
    S.CLOSED: [
        ["approve", "mark_in_transit", "receive", "inspect", "issue_refund", "refund_succeeded", "close"],
        ["approve", "mark_in_transit", "receive", "inspect", "issue_store_credit", "close"],
        ["reject", "close"],
        ["cancel", "close"],
    ],
}

# How often each state appears in the demo: most returns are finished, every state is present.
STATE_WEIGHTS = {
    S.REQUESTED: 8,
    S.NEEDS_INFO: 4,
    S.APPROVED: 6,
    S.IN_TRANSIT: 6,
    S.RECEIVED: 4,
    S.INSPECTED: 3,
    S.AWAITING_APPROVAL: 2,
    S.REFUND_PENDING: 2,
    S.REFUND_FAILED: 1,
    S.RESOLVED: 14,
    S.REJECTED: 4,
    S.CANCELLED: 4,
    S.CLOSED: 42,
}
EARLY_STATES = {S.REQUESTED, S.NEEDS_INFO, S.APPROVED, S.IN_TRANSIT}

CATALOGUE = {
    "tops": [("Linen shirt", 4900), ("Merino tee", 3500), ("Cable-knit jumper", 8900), ("Oxford shirt", 5900)],
    "bottoms": [("Slim chinos", 6900), ("Selvedge jeans", 11900), ("Cord trousers", 7900)],
    "shoes": [("Trail runners", 12900), ("Leather boots", 18900), ("Canvas sneakers", 5900)],
    "outerwear": [("Rain shell", 14900), ("Down jacket", 24900), ("Wool overcoat", 29900)],
    "accessories": [("Leather belt", 3900), ("Wool beanie", 2500), ("Canvas tote", 1900), ("Silk scarf", 4500)],
    "underwear": [("Boxer briefs 3-pack", 2900), ("Ankle socks 5-pack", 1500)],
    "gift-cards": [("Gift card", 5000)],
}
SIZES = ["XS", "S", "M", "L", "XL"]
FIRST = [
    "Ana",
    "Ben",
    "Chloe",
    "Dev",
    "Emma",
    "Farid",
    "Grace",
    "Hugo",
    "Ines",
    "Jonas",
    "Kemi",
    "Liam",
    "Maya",
    "Noah",
    "Olga",
    "Priya",
    "Quinn",
    "Rosa",
    "Sam",
    "Tariq",
    "Uma",
    "Victor",
    "Wen",
    "Yusuf",
    "Zoe",
]
LAST = [
    "Silva",
    "Okafor",
    "Nguyen",
    "Schmidt",
    "Rossi",
    "Kowalski",
    "Haddad",
    "Tanaka",
    "Murphy",
    "Larsen",
    "Garcia",
    "Novak",
    "Dubois",
    "Ahmed",
    "Kim",
    "Moreau",
    "Walsh",
    "Costa",
    "Ivanova",
    "Brown",
]
STREETS = ["Harbour Road", "Mill Lane", "Station Street", "Elm Avenue", "King's Parade", "Quay Street"]
CITIES = [("Bristol", "BS1 4DJ"), ("Leeds", "LS1 3AB"), ("York", "YO1 7HH"), ("Bath", "BA1 1LT"), ("Derby", "DE1 2FS")]
DESCRIPTIONS = {
    "damaged": ["Seam split on the left sleeve.", "Box crushed and the sole is scuffed.", "Zip broke on first use."],
    "wrong-item": ["Ordered navy, received black.", "Size label says L, I ordered M."],
    "not-as-described": ["Colour is much darker than the photos.", "Fabric is thinner than described."],
    "doesnt-fit": ["Too tight across the shoulders.", "Runs a size small.", "Too long in the leg."],
    "changed-mind": ["Found something I like better.", "Bought two by mistake."],
    "arrived-late": ["Arrived after the event I needed it for."],
}
QUESTIONS = [
    "Could you send a photo of the damage, including the label?",
    "Is the item unworn with its tags still attached?",
]
REJECTIONS = [
    "The photos show wear beyond trying on; we can't accept this return.",
    "The item arrived without its tags and has been worn.",
]
FAILURES = ["The bank returned the transfer: account closed.", "Card issuer declined the refund: card expired."]
# The same failures as Stripe reports them (its failure codes), for orders paid through Stripe.
STRIPE_FAILURES = ["declined", "expired_or_canceled_card"]
CARRIERS = ["Royal Mail", "DPD", "Evri", "UPS"]
# SKUs the demo shop has real trouble with, so the insights page has something to prevent.
PROBLEM_SKUS = {
    "TOP-MERITEE-M": (
        "damaged",
        ["Seam split after the first wash.", "A hole by the seam already.", "Fabric pilled at once."],
    ),
    "BOT-SELVJEA-S": ("doesnt-fit", ["Runs a full size small.", "Waist far tighter than the size chart says."]),
}
SURVEY_COMMENTS = {
    5: ["Quick and easy, thank you!", "Refund arrived in days.", ""],
    4: ["Good, the label printing was simple.", ""],
    3: ["Took a while but it worked out.", ""],
    2: ["Slow to hear back.", "Had to chase twice."],
    1: ["Still waiting for my money.", "Nobody answered my emails."],
}


def describe(rng: random.Random, line, reason) -> str:
    """The customer's words: a problem SKU's own complaint when it comes back for its known reason."""
    known = PROBLEM_SKUS.get(line.sku)
    if known and known[0] == reason.code:
        return rng.choice(known[1])
    return rng.choice(DESCRIPTIONS.get(reason.code, [""]))


def ensure_reference_data() -> None:
    """The default policy and reason codes once; the groups every time, so new permissions reach them."""
    if not ReasonCode.objects.exists():
        call_command("loaddata", *FIXTURES, verbosity=0)
    else:
        call_command("loaddata", FIXTURES[0], verbosity=0)


def ensure_demo_users() -> dict[str, object]:
    User = get_user_model()
    users = {}
    specs = [
        ("manager", "Managers", True, "Morgan", "Reyes", None),
        ("agent", "Agents", False, "Alex", "Kim", None),
        ("ana", "Agents", False, "Ana", "Lopes", None),
        ("ben", "Agents", False, "Ben", "Adeyemi", 5000),  # a newer VA with a small refund limit
    ]
    for username, group, superuser, first, last, limit in specs:
        user, created = User.objects.get_or_create(
            username=username,
            defaults={
                "first_name": first,
                "last_name": last,
                "email": f"{username}@shop.example",
                "is_staff": True,
                "is_superuser": superuser,
            },
        )
        if created:
            if username in ("manager", "agent"):
                user.set_password(username)  # demo logins, printed by `make demo`
            else:
                user.set_unusable_password()
            user.save()
        user.groups.add(Group.objects.get(name=group))
        StaffProfile.objects.update_or_create(user=user, defaults={"refund_limit": limit})
        users[username] = user
    return users


@dataclass
class ShopPlan:
    products: list[Product] = field(default_factory=list)
    orders: list[Order] = field(default_factory=list)
    lines: dict[int, list[OrderLine]] = field(default_factory=dict)  # order pk -> lines


def build_shop(rng: random.Random, *, orders: int, now: dt.datetime) -> ShopPlan:
    """Products in several categories and `orders` orders placed over the last 120 days (bulk inserts)."""
    plan = ShopPlan()
    existing_products = {p.sku: p for p in Product.objects.all()}
    new_products = []
    for category, items in CATALOGUE.items():
        for title, price in items:
            sizes = SIZES if category in ("tops", "bottoms", "outerwear") else [""]
            for size in sizes:
                words = title.upper().split()
                style = f"{category[:3].upper()}-{words[0][:4]}{words[-1][:3]}"
                sku = f"{style}-{size or 'OS'}"
                if sku in existing_products:
                    plan.products.append(existing_products[sku])
                    continue
                product = Product(
                    sku=sku,
                    title=f"{title}{f' ({size})' if size else ''}",
                    category=category,
                    price=price,
                    currency="USD",
                    stock=rng.randint(0, 40),
                    style=style if size else "",  # sized items can be exchanged for another size
                    variant=f"Size {size}" if size else "",
                )
                new_products.append(product)
    Product.objects.bulk_create(new_products, batch_size=500)
    plan.products = list(Product.objects.order_by("sku"))

    start_number = 100000 + Order.objects.count()
    order_rows, line_rows = [], []
    for n in range(orders):
        first, last = rng.choice(FIRST), rng.choice(LAST)
        placed = now - dt.timedelta(days=rng.uniform(0.5, 120))
        delivered = None
        if (now - placed).days >= 3 or rng.random() < 0.3:
            delivered = min(placed + dt.timedelta(days=rng.uniform(1.5, 6)), now - dt.timedelta(hours=2))
        picked = rng.sample(plan.products, rng.randint(2, 5))
        lines = []
        for product in picked:
            lines.append(
                OrderLine(
                    product=product,
                    sku=product.sku,
                    title=product.title,
                    category=product.category,
                    unit_price=product.price,
                    quantity=rng.choice([1, 1, 1, 2, 2, 3]),
                    final_sale=rng.random() < 0.07,
                )
            )
        shipping = rng.choice([0, 0, 595])
        city, postcode = rng.choice(CITIES)
        order = Order(
            number=f"SO-{start_number + n}",
            email=f"{first}.{last}{n}@example.com".lower(),
            customer_name=f"{first} {last}",
            shipping_address="\n".join(
                [
                    f"{first} {last}",
                    f"{rng.randint(1, 180)} {rng.choice(STREETS)}",
                    f"{city} {postcode}",
                    "United Kingdom",
                ]
            ),
            placed_at=placed,
            delivered_at=delivered if delivered and delivered >= placed else None,
            currency="USD",
            shipping_paid=shipping,
            amount_paid=sum(li.unit_price * li.quantity for li in lines) + shipping,
            payment_reference="pi_" + "".join(rng.choice("0123456789abcdefABCDEF") for _ in range(24)),
        )
        order_rows.append(order)
        line_rows.append(lines)
    Order.objects.bulk_create(order_rows, batch_size=1000)
    saved = {o.number: o for o in Order.objects.filter(number__in=[o.number for o in order_rows])}
    all_lines = []
    for order, lines in zip(order_rows, line_rows, strict=True):
        order.pk = saved[order.number].pk
        for line in lines:
            line.order_id = order.pk
            all_lines.append(line)
    OrderLine.objects.bulk_create(all_lines, batch_size=2000)
    for line in OrderLine.objects.filter(order__number__in=saved).order_by("id"):
        plan.lines.setdefault(line.order_id, []).append(line)
    plan.orders = [o for o in order_rows if o.delivered_at]
    return plan


@dataclass
class PlannedReturn:
    order: Order
    picks: list[tuple[OrderLine, int, ReasonCode]]
    state: str
    path: list[str]
    times: list[dt.datetime]  # creation, then one per transition
    resolution: str
    return_id: int | None = None  # set once written


def _order_with_returnable_lines(
    rng, pool: list[Order], shop: ShopPlan, remaining: dict[int, int], non_returnable: set[str]
) -> tuple[Order | None, list[OrderLine]]:
    """A random order from `pool` that still has lines to return; used-up orders leave the pool for good."""
    while pool:
        index = rng.randrange(len(pool))
        order = pool[index]
        candidates = [
            line
            for line in shop.lines[order.pk]
            if remaining[line.pk] > 0 and not line.final_sale and line.category not in non_returnable
        ]
        if candidates:
            return order, candidates
        pool[index] = pool[-1]
        pool.pop()
    return None, []


def plan_returns(
    rng: random.Random,
    shop: ShopPlan,
    *,
    count: int,
    now: dt.datetime,
    window_days: int,
    non_returnable: set[str],
    reasons: list[ReasonCode],
) -> list[PlannedReturn]:
    """Choose, for each return, a target state, a path to it, an order, lines, reasons and moments."""
    states = list(STATE_WEIGHTS)
    weights = [STATE_WEIGHTS[s] for s in states]
    late_states = [s for s in states if s not in EARLY_STATES]
    late_weights = [STATE_WEIGHTS[s] for s in late_states]
    remaining = {line.pk: line.quantity for lines in shop.lines.values() for line in lines}
    recent = [o for o in shop.orders if (now - o.delivered_at).days < window_days - 6]
    older = [o for o in shop.orders if (now - o.delivered_at).days >= 12] or list(shop.orders)
    planned = []
    troubled_orders = {
        "recent": [o for o in recent if any(line.sku in PROBLEM_SKUS for line in shop.lines[o.pk])],
        "older": [o for o in older if any(line.sku in PROBLEM_SKUS for line in shop.lines[o.pk])],
    }
    for n in range(count):
        state = states[n] if n < len(states) else rng.choices(states, weights)[0]  # every state at least once
        pool = recent if state in EARLY_STATES else older
        order = None
        if rng.random() < 0.12:  # orders holding a problem SKU come back more often
            order, candidates = _order_with_returnable_lines(
                rng, troubled_orders["recent" if state in EARLY_STATES else "older"], shop, remaining, non_returnable
            )
        if order is None:
            order, candidates = _order_with_returnable_lines(rng, pool, shop, remaining, non_returnable)
        if order is None and state in EARLY_STATES:
            # Recent orders are used up (large volumes): older orders can still carry a finished return.
            state = rng.choices(late_states, late_weights)[0]
            order, candidates = _order_with_returnable_lines(rng, older, shop, remaining, non_returnable)
        if order is None:
            continue  # nothing returnable is left in the shop
        picks = []
        chosen = rng.sample(candidates, min(len(candidates), rng.choice([1, 1, 1, 2])))
        # A known problem SKU in the order is nearly always among what comes back, for its known reason.
        troubled = [line for line in candidates if line.sku in PROBLEM_SKUS and line not in chosen]
        if troubled and rng.random() < 0.9:
            chosen = [troubled[0], *chosen[:1]]
        by_code = {r.code: r for r in reasons}
        for line in chosen:
            quantity = rng.randint(1, remaining[line.pk])
            remaining[line.pk] -= quantity
            reason = rng.choice(reasons)
            if line.sku in PROBLEM_SKUS and rng.random() < 0.8 and PROBLEM_SKUS[line.sku][0] in by_code:
                reason = by_code[PROBLEM_SKUS[line.sku][0]]
            picks.append((line, quantity, reason))
        path = list(rng.choice(PATHS[state]))
        resolution = "refund"
        if "issue_store_credit" in path:
            resolution = "store_credit"
        elif "ship_exchange" in path:
            resolution = "exchange"
        # Moments: requested within the window after delivery; each step a few hours to days later.
        latest_start = min(order.delivered_at + dt.timedelta(days=window_days - 1), now - dt.timedelta(hours=1))
        if state in EARLY_STATES:
            earliest = max(order.delivered_at + dt.timedelta(hours=1), now - dt.timedelta(days=4))
        else:
            earliest = order.delivered_at + dt.timedelta(hours=6)
        earliest = min(earliest, latest_start)
        start = earliest + (latest_start - earliest) * rng.random() * (0.3 if state not in EARLY_STATES else 1)
        span = max(now - start, dt.timedelta(minutes=len(path) + 1))
        gaps = sorted(rng.random() for _ in path)
        step_limit = dt.timedelta(days=3)
        times = [start]
        for gap in gaps:
            times.append(max(times[-1] + dt.timedelta(minutes=1), min(start + span * gap, times[-1] + step_limit)))
        planned.append(PlannedReturn(order, picks, state, path, times, resolution))
    return planned


def _paid_through_stripe(order: Order) -> bool:
    return provider_name_for(order.payment_reference) == Refund.Provider.STRIPE


def _within_limit(act: Callable[[Actor], ReturnRequest], agent: Actor, manager: Actor) -> ReturnRequest:
    """The VA gives the money back; above their limit (the gate refuses, having written nothing) a manager
    does it instead, as on a real desk where managers work tickets too."""
    try:
        return act(agent)
    except money_rule.AboveLimit:
        return act(manager)


def _step(
    rr: ReturnRequest, action: str, rng: random.Random, staff: dict[str, object], owner, *, stripe: bool
) -> ReturnRequest:
    """Run one transition through its real service, as the person who would run it.

    `stripe`: the order was paid through Stripe, so its refunds go to Stripe (no reference); otherwise the
    money moved in the bank first and the refund is recorded with the bank's reference.
    """
    agent = Actor.staff(owner)  # the VA who picked the return up (a `staff` object: its groups are cached)
    manager = Actor.staff(staff["manager"])
    bank_reference = f"BANK-{rng.randrange(10**6, 10**7)}" if action in MONEY_REFERENCE_ACTIONS else ""
    reference = "" if stripe else bank_reference
    calls: dict[str, Callable[[], ReturnRequest]] = {
        "request_info": lambda: services.return_request_info(
            return_request=rr, by=agent, question=rng.choice(QUESTIONS)
        ),
        "info_received": lambda: services.return_info_received(
            return_request=rr, by=Actor.customer(), message="Photos attached; tags are still on."
        ),
        "approve": lambda: services.return_approve(return_request=rr, by=agent),
        "reject": lambda: services.return_reject(return_request=rr, by=agent, reason=rng.choice(REJECTIONS)),
        "cancel": lambda: services.return_cancel(return_request=rr, by=Actor.customer(), reason="No longer needed."),
        "expire": lambda: services.return_expire(return_request=rr),
        "mark_in_transit": lambda: services.return_mark_in_transit(
            return_request=rr,
            by=Actor.customer(),
            carrier=rng.choice(CARRIERS),
            tracking_number=f"TRK{rng.randrange(10**9, 10**10)}",
        ),
        "receive": lambda: services.return_receive(return_request=rr, by=agent),
        "inspect": lambda: services.return_inspect(
            return_request=rr,
            by=agent,
            results=[
                services.ItemInspection(
                    item.pk,
                    "accepted",
                    rng.choice(["new", "like_new", "used"]),
                    rng.choice(["restock", "restock", "restock", "vendor"]),
                )
                for item in rr.items.all()
            ],
        ),
        # A newer VA with a small limit asks a manager to approve the refund the inspection settled.
        "request_refund_approval": lambda: payments.return_request_refund_approval(
            return_request=rr,
            by=Actor.staff(staff["ben"]),
            outcome="refund",
            note="The customer is a regular; please confirm the amount.",
        ),
        "approve_refund": lambda: payments.return_approve_refund(return_request=rr, by=manager, reference=reference),
        "issue_refund": lambda: _within_limit(
            lambda by: payments.return_issue_refund(return_request=rr, by=by, reference=reference), agent, manager
        ),
        "issue_store_credit": lambda: _within_limit(
            lambda by: payments.return_issue_store_credit(return_request=rr, by=by), agent, manager
        ),
        "ship_exchange": lambda: _ship_exchange(rr, agent, manager, rng),
        "close": lambda: services.return_close(return_request=rr, by=Actor.system()),
    }
    if action == "refund_succeeded":
        refund = rr.refunds.order_by("-attempt").first()
        if refund.status == Refund.Status.SUCCEEDED:
            return rr  # confirmed when it was sent (a manual refund with its reference; Stripe's answer)
        if refund.provider == Refund.Provider.STRIPE:
            raise RuntimeError(
                f"Stripe has not confirmed the refund of {rr.rma_number} "
                f"({refund.last_error or 'it was not sent: tasks run on commit'})."
            )
        # Not sent: tasks run when a transaction commits, and a test's transaction never does.
        payments.refund_confirm_manual(refund=refund, by=agent, reference=bank_reference)
        return ReturnRequest.objects.get(pk=rr.pk)
    if action == "refund_failed":
        refund = rr.refunds.order_by("-attempt").first()
        failure = rng.randrange(len(FAILURES))
        if refund.provider == Refund.Provider.STRIPE:
            # What Stripe's webhook would report: the refund failed, with Stripe's own code.
            payments.refund_record_outcome(
                refund_id=refund.pk,
                status=Refund.Status.FAILED,
                by=Actor.stripe(),
                failure_reason=STRIPE_FAILURES[failure],
            )
        else:
            payments.refund_mark_failed_manual(refund=refund, by=agent, reason=FAILURES[failure])
        return ReturnRequest.objects.get(pk=rr.pk)
    return calls[action]()


# Steps that record a refund (a manual one needs the bank's reference) or confirm one.
MONEY_REFERENCE_ACTIONS = frozenset({"issue_refund", "approve_refund", "refund_succeeded"})
REFUND_SENDING_ACTIONS = frozenset({"issue_refund", "approve_refund"})


def _ship_exchange(rr: ReturnRequest, agent: Actor, manager: Actor, rng: random.Random) -> ReturnRequest:
    """Exchange for the same SKU; when the shelf is short, the demo supplier delivers first."""
    for item in rr.items.select_related("order_line__product"):
        product = item.order_line.product
        if product is not None and product.stock < item.quantity:
            Product.objects.filter(pk=product.pk).update(stock=F("stock") + item.quantity + rng.randint(0, 5))
    carrier, tracking = rng.choice(CARRIERS), f"EXC{rng.randrange(10**9, 10**10)}"
    return _within_limit(
        lambda by: payments.return_ship_exchange(return_request=rr, by=by, carrier=carrier, tracking_number=tracking),
        agent,
        manager,
    )


def seed_disputes(rng: random.Random, *, now: dt.datetime, count: int) -> int:
    """A few chargebacks, applied through the same service as Stripe's webhooks, where customers open them: on
    returns refused, or still on their way back, with no money given back yet (a lost one then leaves nothing
    to refund on that order, as the money rule says)."""
    waiting = [S.REJECTED, S.IN_TRANSIT, S.RECEIVED, S.INSPECTED]
    candidates = list(
        ReturnRequest.objects.filter(status__in=waiting, order__payment_reference__startswith="pi_")
        .exclude(order__refunds__isnull=False)
        .order_by("pk")
        .values_list("pk", "order__payment_reference", "order__amount_paid", "status_changed_at")[:400]
    )
    made = 0
    for n, (pk, payment, amount, settled) in enumerate(rng.sample(candidates, min(count, len(candidates)))):
        opened = min(max(settled + dt.timedelta(hours=1), now - dt.timedelta(days=rng.randint(1, 12))), now)
        status = ["needs_response", "needs_response", "under_review", "won", "lost"][n % 5]
        obj = {
            "id": f"dp_demo{pk}",
            "charge": f"ch_demo{pk}",
            "payment_intent": payment,
            "amount": amount,
            "currency": "usd",
            "reason": rng.choice(["product_not_received", "fraudulent", "product_unacceptable"]),
            "status": "needs_response",
            "evidence_details": {"due_by": int((opened + dt.timedelta(days=9)).timestamp())},
        }
        with clock.frozen_at(opened):
            payments.dispute_apply_stripe(obj=obj, event_created=opened, event_type="charge.dispute.created")
        if status != "needs_response":
            later = opened + dt.timedelta(hours=rng.randint(2, 48))
            kind = "charge.dispute.closed" if status in ("won", "lost") else "charge.dispute.updated"
            with clock.frozen_at(min(later, now)):
                payments.dispute_apply_stripe(
                    obj={**obj, "status": status}, event_created=min(later, now), event_type=kind
                )
        made += 1
    return made


def _record_claims(claims: list) -> None:
    """Each worked return was claimed by its VA just before their first action; written in bulk because
    replaying one assignment transaction per return would double the seeding time."""
    by_owner: dict[int, list[int]] = {}
    events = []
    for plan, owner in claims:
        rr_id = plan.return_id
        by_owner.setdefault(owner.pk, []).append(rr_id)
        events.append(
            ReturnEvent(
                return_request_id=rr_id,
                kind=ReturnEvent.Kind.ASSIGNMENT,
                actor_kind="staff",
                actor_user=owner,
                body=f"Assigned to {owner.get_username()}",
                created_at=plan.times[1] - dt.timedelta(minutes=1),
            )
        )
    for owner_id, ids in by_owner.items():
        ReturnRequest.objects.filter(pk__in=ids).update(assignee_id=owner_id)
    ReturnEvent.objects.bulk_create(events, batch_size=2000)


def seed_through_services(rng: random.Random, planned: list[PlannedReturn], staff: dict[str, object]) -> int:
    made = 0
    claims: list[tuple[PlannedReturn, object]] = []
    with run_tasks_inline(only=["returns_desk.payments.tasks.send_refund"]):
        for plan in planned:
            # The VA who picks the return up first keeps it, as on a real desk.
            owner = rng.choice([staff["agent"], staff["ana"]])
            if plan.path:
                claims.append((plan, owner))
            with transaction.atomic(), clock.frozen_at(plan.times[0]):
                rr = services.return_create(
                    order=plan.order,
                    resolution=plan.resolution,
                    by=Actor.customer(),
                    items=[
                        services.RequestedItem(line.pk, qty, reason.code, describe(rng, line, reason))
                        for line, qty, reason in plan.picks
                    ],
                )
            plan.return_id = rr.pk
            stripe = _paid_through_stripe(plan.order)
            # Each step commits on its own, so tasks queued on commit (refunds) run before the next step.
            for n, (action, moment) in enumerate(zip(plan.path, plan.times[1:], strict=True)):
                following = plan.path[n + 1] if n + 1 < len(plan.path) else ""
                # A refund whose answer is not part of this return's story yet (pending, or failing later)
                # is recorded but not sent: the provider would confirm it at once.
                held = action in REFUND_SENDING_ACTIONS and following != "refund_succeeded"
                with clock.frozen_at(moment), run_tasks_inline(only=()) if held else contextlib.nullcontext():
                    rr = _step(rr, action, rng, staff, owner, stripe=stripe)

            # The return's emails were delivered as they were written; record that in one go.
            emails_record_delivered(return_request=rr)
            made += 1
    _record_claims(claims)
    return made


def _transition_table() -> dict[tuple[str, str], str]:
    """(source state, transition name) -> target state, read from the model itself."""
    status = ReturnRequest._meta.get_field("status")
    return {(t.source, t.name): t.target for t in status.get_all_transitions(ReturnRequest)}


def _bulk_targets() -> dict[tuple[str, str], str]:
    """The transition table, with the one transition whose target depends on the row: the demo's managers
    approve refunds (the outcome its VAs ask for), which are then sent."""
    table = _transition_table()
    table[(S.AWAITING_APPROVAL, "approve_refund")] = S.REFUND_PENDING
    return table


def _refused(plan: PlannedReturn, rma: str, ledger: list[int], mine: list[int], amount: int, what: str) -> None:
    """The order's money rule on the figures held in memory (`money_rule.refusal`, the rule itself)."""
    order = plan.order
    position = money_rule.MoneyPosition(
        currency=order.currency,
        paid=order.amount_paid,
        withdrawn=0,  # chargebacks come after the returns in the demo
        order_lines_returned=ledger[0],
        order_given=ledger[1],
        return_lines_returned=mine[0],
        return_refunds=mine[1],
        return_credit=mine[2],
        return_exchange=mine[3],
    )
    why = money_rule.refusal(position, amount, what=what)
    if why:
        raise money_rule.MoneyRuleRefused(f"{rma} ({order.number}): {why}")


def seed_bulk(rng: random.Random, planned: list[PlannedReturn], staff: dict[str, object], *, batch: int = 5000) -> int:
    """Write planned returns with bulk inserts: same rows the services would write, timelines included.

    Every refund, store credit and exchange written here passes the order's money rule, applied to the figures
    this function holds for each order (`ledger`: paid for the lines of its live returns, given back so far).
    """
    table = _bulk_targets()
    policy = active_policy()
    bonus_percent = float(policy.store_credit_bonus_percent)
    agents = [staff["agent"], staff["ana"]]
    asker, approver = staff["ben"], staff["manager"]
    targets = sla.Targets.from_policy(policy)
    terms_for: dict[frozenset[str], dict] = {}  # the frozen terms, per set of reasons given

    def sla_due(status: str, entered: dt.datetime) -> dt.datetime | None:
        # A bulk row's last stay: its clock as the services would have started it (needs_info: paused).
        return sla.clock_after(
            to_state=status, from_state="", now=entered, current=sla.Clock(None, None), targets=targets
        ).due_at

    ledgers: dict[int, list[int]] = {}  # order pk -> [paid for lines of live returns, base given back]
    next_id = (ReturnRequest.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1
    made = 0
    for start in range(0, len(planned), batch):
        chunk = planned[start : start + batch]
        returns, items, events, refunds, credits, exchanges = [], [], [], [], [], []
        for plan in chunk:
            pk = next_id
            next_id += 1
            subtotal = sum(line.unit_price * qty for line, qty, _ in plan.picks)
            status = S.REQUESTED
            for action in plan.path:
                status = table[(status, action)]
            # The settlement (no store credit bonus: that is added, and accounted apart, when credit is issued).
            refund_amount = subtotal if "inspect" in plan.path else None
            codes = frozenset(reason.code for _, _, reason in plan.picks)
            terms = terms_for.get(codes)
            if terms is None:
                terms = terms_for[codes] = QuotedTerms.from_policy(policy, [r for _, _, r in plan.picks]).as_json()
            ledger = ledgers.get(plan.order.pk)
            if ledger is None:
                ledger = ledgers[plan.order.pk] = [0, 0]
            live = status not in money_rule.DEAD_RETURN_STATUSES
            if live:
                ledger[0] += subtotal
            mine = [subtotal if live else 0, 0, 0, 0]  # lines, refunds, credit base, exchange
            last = plan.times[-1]
            rr = ReturnRequest(
                pk=pk,
                rma_number=services.rma_for(pk),
                order=plan.order,
                email=plan.order.email,
                customer_name=plan.order.customer_name,
                status=status,
                resolution=plan.resolution,
                currency=plan.order.currency,
                quoted_amount=subtotal,
                refund_amount=refund_amount,
                terms=terms,
                customer_token=new_customer_token(),
                created_at=plan.times[0],
                updated_at=last,
                status_changed_at=last,
                sla_due_at=sla_due(status, last),
                assignee=rng.choice(agents) if status not in (S.REQUESTED,) else None,
            )
            returns.append(rr)
            accepted = "inspect" in plan.path
            for line, qty, reason in plan.picks:
                items.append(
                    ReturnItem(
                        return_request_id=pk,
                        order_line=line,
                        quantity=qty,
                        reason=reason,
                        condition_description=describe(rng, line, reason),
                        outcome="accepted" if accepted else "",
                        grade="like_new" if accepted else "",
                        disposition="restock" if accepted else "",
                        refundable_amount=line.unit_price * qty if accepted else 0,
                    )
                )
            events.append(
                ReturnEvent(
                    return_request_id=pk,
                    kind="transition",
                    actor_kind="customer",
                    to_state=S.REQUESTED,
                    visible_to_customer=True,
                    created_at=plan.times[0],
                )
            )
            state = S.REQUESTED
            attempt = 0
            for action, moment in zip(plan.path, plan.times[1:], strict=True):
                target = table[(state, action)]
                actor_kind = (
                    "customer"
                    if action in ("mark_in_transit", "cancel", "info_received")
                    else ("system" if action in ("expire", "close", "refund_succeeded") else "staff")
                )
                if action == "request_refund_approval":
                    actor = asker
                elif action == "approve_refund":
                    actor = approver
                else:
                    actor = rng.choice(agents) if actor_kind == "staff" else None
                events.append(
                    ReturnEvent(
                        return_request_id=pk,
                        kind="transition",
                        actor_kind=actor_kind,
                        actor_user=actor,
                        transition=action,
                        from_state=state,
                        to_state=target,
                        visible_to_customer=not TRANSITION_WORDS[action].internal,
                        created_at=moment,
                    )
                )
                if action == "request_refund_approval":
                    _refused(plan, rr.rma_number, ledger, mine, refund_amount, "ask for refund of")
                    rr.requested_outcome, rr.requested_amount = "refund", refund_amount
                    rr.requested_reason = "The customer is a regular; please confirm the amount."
                    rr.requested_by, rr.requested_at, rr.requested_from = asker, moment, state
                elif action in ("issue_refund", "approve_refund"):
                    _refused(plan, rr.rma_number, ledger, mine, refund_amount, "refund")
                    ledger[1] += refund_amount
                    mine[1] += refund_amount
                    attempt += 1
                    refunds.append(
                        Refund(
                            return_request_id=pk,
                            order=plan.order,
                            attempt=attempt,
                            amount=refund_amount,
                            currency=plan.order.currency,
                            provider=Refund.Provider.MANUAL,
                            # Made in the bank first, then recorded with the bank's reference.
                            provider_refund_id=f"BANK-{rng.randrange(10**6, 10**7)}",
                            idempotency_key=f"refund-{rr.rma_number}-attempt-{attempt}",
                            status=Refund.Status.PENDING,
                            requested_by=actor,
                            created_at=moment,
                            updated_at=moment,
                        )
                    )
                elif action == "refund_succeeded":
                    refunds[-1].status = Refund.Status.SUCCEEDED
                elif action == "refund_failed":
                    refunds[-1].status, refunds[-1].failure_reason = Refund.Status.FAILED, rng.choice(FAILURES)
                    refunds[-1].failure_code = "manual"
                    ledger[1] -= refunds[-1].amount  # a failed refund gave nothing back
                    mine[1] -= refunds[-1].amount
                elif action == "ship_exchange":
                    value = subtotal  # like for like: what was paid for each line, times the quantity
                    _refused(plan, rr.rma_number, ledger, mine, value, "exchange for")
                    ledger[1] += value
                    mine[3] += value
                    rr.exchange_value = value
                    replacement = Order(
                        number=f"{plan.order.number}-X{pk}",
                        email=plan.order.email,
                        customer_name=plan.order.customer_name,
                        shipping_address=plan.order.shipping_address,
                        placed_at=moment,
                        currency=plan.order.currency,
                        amount_paid=0,
                        shipment_carrier=rng.choice(CARRIERS),
                        shipment_tracking_number=f"EXC{rng.randrange(10**9, 10**10)}",
                    )
                    exchanges.append((rr, replacement, [(line, qty) for line, qty, _ in plan.picks]))
                elif action == "issue_store_credit":
                    base = refund_amount
                    _refused(plan, rr.rma_number, ledger, mine, base, "issue as store credit")
                    ledger[1] += base
                    mine[2] += base
                    bonus = percent_of(base, bonus_percent)
                    credits.append(
                        StoreCredit(
                            email=plan.order.email,
                            kind=StoreCredit.Kind.ISSUE,
                            amount=base + bonus,
                            bonus=bonus,
                            currency=plan.order.currency,
                            code=new_store_credit_code(),
                            return_request_id=pk,
                            expires_on=(moment + dt.timedelta(days=365)).date(),
                            created_at=moment,
                        )
                    )
                milestones.stamp(rr, action=action, to_state=target, moment=moment)
                state = target
        with transaction.atomic():
            Order.objects.bulk_create([replacement for _, replacement, _ in exchanges], batch_size=1000)
            replacement_lines = []
            for rr, replacement, picked in exchanges:
                rr.exchange_order = replacement
                replacement_lines += [
                    OrderLine(
                        order=replacement,
                        product_id=line.product_id,
                        sku=line.sku,
                        title=line.title,
                        category=line.category,
                        unit_price=0,
                        quantity=qty,
                    )
                    for line, qty in picked
                ]
            OrderLine.objects.bulk_create(replacement_lines, batch_size=2000)
            ReturnRequest.objects.bulk_create(returns, batch_size=1000)
            ReturnItem.objects.bulk_create(items, batch_size=2000)
            ReturnEvent.objects.bulk_create(events, batch_size=2000)
            Refund.objects.bulk_create(refunds, batch_size=2000)
            StoreCredit.objects.bulk_create(credits, batch_size=2000)
        made += len(chunk)
    _reset_sequences()
    return made


def _reset_sequences() -> None:
    """Explicit primary keys leave PostgreSQL's sequences behind; move them on."""
    if connection.vendor != "postgresql":
        return
    from django.core.management.color import no_style

    with connection.cursor() as cursor:
        for sql in connection.ops.sequence_reset_sql(no_style(), [ReturnRequest]):
            cursor.execute(sql)


def seed_surveys(rng: random.Random) -> int:
    """About half of the finished returns got a rating, a few days after they were resolved."""
    finished = ReturnRequest.objects.filter(status__in=[S.RESOLVED, S.CLOSED]).exclude(
        pk__in=SurveyResponse.objects.values("return_request_id")
    )
    rows = []
    for pk, resolved_at, status_changed_at, rejected in finished.values_list(
        "pk", "resolved_at", "status_changed_at", "rejection_reason"
    ).order_by("pk"):
        if rng.random() > 0.5:
            continue
        weights = [1, 1, 2, 4, 6] if not rejected else [5, 3, 2, 1, 1]
        score = rng.choices([1, 2, 3, 4, 5], weights)[0]
        moment = (resolved_at or status_changed_at) + dt.timedelta(days=rng.uniform(1, 5))
        rows.append(
            SurveyResponse(
                return_request_id=pk,
                score=score,
                comment=rng.choice(SURVEY_COMMENTS[score]),
                created_at=min(moment, timezone.now()),
            )
        )
    SurveyResponse.objects.bulk_create(rows, batch_size=2000)
    return len(rows)


def pay_at_stripe(orders: list[Order]) -> int:
    """Pay each order (once) with Stripe's test card at the Stripe server in use — the local one in the demo —
    and keep the PaymentIntent as its payment reference, so that refunds of it go through Stripe."""
    key = settings.STRIPE_SECRET_KEY
    if not key.startswith(("sk_test_", "rk_test_")):
        raise ValueError("The demo pays its orders with Stripe's test card: STRIPE_SECRET_KEY must be a test key.")
    unique = list({order.pk: order for order in orders}.values())
    client = gateway.client()
    for order in unique:
        intent = client.v1.payment_intents.create(
            params={
                "amount": order.amount_paid,
                "currency": order.currency.lower(),
                "payment_method": "pm_card_visa",
                "payment_method_types": ["card"],
                "confirm": True,
                "metadata": {"order": order.number},
            }
        )
        order.payment_reference = intent.id
    Order.objects.bulk_update(unique, ["payment_reference"], batch_size=1000)
    return len(unique)


# Up to this many returns go through the real services; more take the bulk path.
SERVICES_UP_TO = 5000


def takes_bulk_path(*, returns: int, bulk: bool | None) -> bool:
    return bulk if bulk is not None else returns > SERVICES_UP_TO


def seed(*, orders: int, returns: int, seed: int, bulk: bool | None = None) -> dict[str, int]:
    """Build the demo shop; returns counts of what was made."""
    with remembering():  # the policy is read once, not at every transition of thousands
        return _seed(orders=orders, returns=returns, seed=seed, bulk=bulk)


def _seed(*, orders: int, returns: int, seed: int, bulk: bool | None) -> dict[str, int]:
    rng = random.Random(seed)
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
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")  # after a bulk load, so SQLite's planner knows the tables' shapes
    return {
        "products": len(shop.products),
        "orders": orders,
        "returns": made,
        "disputes": disputes,
        "surveys": surveys,
        "paid_at_stripe": paid_at_stripe,
    }


def portal_example_order() -> Order | None:
    """A delivered order, still in its return window, with no return yet: something a visitor can return."""
    recent = clock.now() - dt.timedelta(days=20)
    return (
        Order.objects.filter(delivered_at__gte=recent, returns__isnull=True, lines__final_sale=False)
        .exclude(lines__category__in=["underwear", "gift-cards"])
        .order_by("number")
        .first()
    )
