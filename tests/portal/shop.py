"""A small shop for the portal's tests: one order whose lines show every kind of eligibility, made by the
demo's `example_order` (which the bench builds its orders with too)."""

import datetime as dt
import io
from dataclasses import dataclass

from django.utils import timezone
from PIL import Image

from returns_desk.demo.shop.example import Line, example_order
from returns_desk.orders.models import Order, OrderLine, Product

EMAIL = "casey@example.com"


@dataclass
class Shop:
    order: Order
    shirt: OrderLine  # 2 × shirt size M, returnable; size L and XL exist (XL out of stock)
    jeans: OrderLine  # returnable, no other size in stock
    final_sale: OrderLine
    gift_card: OrderLine  # a category the policy never takes back
    shirt_l: Product
    shirt_xl: Product


def _product(*, sku: str, **fields) -> Product:
    """Products are shared by the orders of one test (several orders, one catalogue)."""
    return Product.objects.get_or_create(sku=sku, defaults=fields)[0]


def build_shop(*, number: str = "100123", delivered_days_ago: int = 5) -> Shop:
    shirt_m = _product(
        sku="TOP-LIN-M",
        title="Linen shirt (M)",
        category="tops",
        price=4900,
        stock=3,
        style="TOP-LIN",
        variant="Size M",
    )
    shirt_l = _product(
        sku="TOP-LIN-L",
        title="Linen shirt (L)",
        category="tops",
        price=4900,
        stock=4,
        style="TOP-LIN",
        variant="Size L",
    )
    shirt_xl = _product(
        sku="TOP-LIN-XL",
        title="Linen shirt (XL)",
        category="tops",
        price=4900,
        stock=0,
        style="TOP-LIN",
        variant="Size XL",
    )
    jeans = _product(
        sku="BOT-JEAN-32",
        title="Selvedge jeans (32)",
        category="bottoms",
        price=11900,
        stock=0,
        style="BOT-JEAN",
        variant="32",
    )
    sale = _product(sku="ACC-SCARF", title="Silk scarf", category="accessories", price=4500, stock=2)
    card = _product(sku="GIFT-50", title="Gift card", category="gift-cards", price=5000, stock=99)
    made = example_order(
        number=number,
        email=EMAIL,
        customer_name="Casey Jones",
        shipping_address="1 Harbour Road\nBristol BS1 4DJ",
        delivered_at=timezone.now() - dt.timedelta(days=delivered_days_ago),  # placed three days before
        payment_reference="pi_portal_test",
        lines={
            "shirt": Line(shirt_m, quantity=2),
            "jeans": Line(jeans),
            "final_sale": Line(sale, final_sale=True),
            "gift_card": Line(card),
        },
    )
    return Shop(
        order=made.order,
        shirt=made.lines["shirt"],
        jeans=made.lines["jeans"],
        final_sale=made.lines["final_sale"],
        gift_card=made.lines["gift_card"],
        shirt_l=shirt_l,
        shirt_xl=shirt_xl,
    )


def image_bytes(fmt: str = "JPEG", size=(64, 48), *, exif: bool = False) -> bytes:
    image = Image.new("RGB", size, (200, 30, 30))
    out = io.BytesIO()
    kwargs = {}
    if exif:
        data = Image.Exif()
        data[0x010F] = "SpyCam"  # Make
        data[0x0131] = "secret-software"  # Software
        kwargs["exif"] = data.tobytes()
    image.save(out, format=fmt, **kwargs)
    return out.getvalue()
