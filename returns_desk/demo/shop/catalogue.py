"""The demo shop itself: reference data, the desk's staff, products, customers' orders, and their payments."""

import datetime as dt
import random
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management import call_command

from returns_desk.core import clock
from returns_desk.demo.shop.canned import ensure_canned_responses
from returns_desk.demo.shop.example import order_line
from returns_desk.orders.models import Order, OrderLine, Product
from returns_desk.payments import gateway
from returns_desk.policies.models import ReasonCode
from returns_desk.staff.models import StaffProfile
from returns_desk.staff.services import second_factor_provision

DEMO_RECOVERY_CODES = 5  # topped up on every `make demo`
FIXTURES = [str(settings.BASE_DIR / "fixtures" / name) for name in ("groups.json", "policy.json", "reason_codes.json")]

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


def ensure_reference_data() -> None:
    """The default policy and reason codes once; the groups every time, so new permissions reach them; the
    canned responses the desk works with."""
    if not ReasonCode.objects.exists():
        call_command("loaddata", *FIXTURES, verbosity=0)
    else:
        call_command("loaddata", FIXTURES[0], verbosity=0)
    ensure_canned_responses()


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
    # Managers sign in with a second factor: the demo's has an authenticator app and recovery codes, one of which
    # `make demo` prints beside the logins (`manage.py demo_otp_code`).
    second_factor_provision(user=users["manager"], recovery_codes=DEMO_RECOVERY_CODES)
    return users


@dataclass
class ShopPlan:
    products: list[Product] = field(default_factory=list)
    orders: list[Order] = field(default_factory=list)
    lines: dict[int, list[OrderLine]] = field(default_factory=dict)  # order pk -> lines


def build_shop(rng: random.Random, *, orders: int, now: dt.datetime) -> ShopPlan:
    """Products in several categories and `orders` orders placed over the last 120 days (bulk inserts)."""
    plan = ShopPlan(products=_stock_products(rng))
    start_number = 100000 + Order.objects.count()
    placed = [_customer_order(rng, n, number=start_number + n, now=now, products=plan.products) for n in range(orders)]
    order_rows = [order for order, _ in placed]
    Order.objects.bulk_create(order_rows, batch_size=1000)
    saved = {o.number: o for o in Order.objects.filter(number__in=[o.number for o in order_rows])}
    all_lines = []
    for order, lines in placed:
        order.pk = saved[order.number].pk
        for line in lines:
            line.order_id = order.pk
            all_lines.append(line)
    OrderLine.objects.bulk_create(all_lines, batch_size=2000)
    for line in OrderLine.objects.filter(order__number__in=saved).order_by("id"):
        plan.lines.setdefault(line.order_id, []).append(line)
    plan.orders = [o for o in order_rows if o.delivered_at]
    return plan


def _stock_products(rng: random.Random) -> list[Product]:
    """Every product of the catalogue, sized where it has sizes; those already there are kept as they are."""
    existing = set(Product.objects.values_list("sku", flat=True))
    new_products = []
    for category, items in CATALOGUE.items():
        for title, price in items:
            sizes = SIZES if category in ("tops", "bottoms", "outerwear") else [""]
            for size in sizes:
                words = title.upper().split()
                style = f"{category[:3].upper()}-{words[0][:4]}{words[-1][:3]}"
                sku = f"{style}-{size or 'OS'}"
                if sku in existing:
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
    return list(Product.objects.order_by("sku"))


def _customer_order(
    rng: random.Random, n: int, *, number: int, now: dt.datetime, products: list[Product]
) -> tuple[Order, list[OrderLine]]:
    """The shop's `n`th order of this seeding (unsaved), with its lines: paid in full, delivered unless recent."""
    first, last = rng.choice(FIRST), rng.choice(LAST)
    placed = now - dt.timedelta(days=rng.uniform(0.5, 120))
    delivered = None
    if (now - placed).days >= 3 or rng.random() < 0.3:
        delivered = min(placed + dt.timedelta(days=rng.uniform(1.5, 6)), now - dt.timedelta(hours=2))
    picked = rng.sample(products, rng.randint(2, 5))
    lines = [
        order_line(product, quantity=rng.choice([1, 1, 1, 2, 2, 3]), final_sale=rng.random() < 0.07)
        for product in picked
    ]
    shipping = rng.choice([0, 0, 595])
    city, postcode = rng.choice(CITIES)
    order = Order(
        number=f"SO-{number}",
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
    return order, lines


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


def portal_example_order() -> Order | None:
    """A delivered order, still in its return window, with no return yet: something a visitor can return."""
    recent = clock.now() - dt.timedelta(days=20)
    return (
        Order.objects.filter(delivered_at__gte=recent, returns__isnull=True, lines__final_sale=False)
        .exclude(lines__category__in=["underwear", "gift-cards"])
        .order_by("number")
        .first()
    )
