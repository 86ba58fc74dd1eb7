"""Writes to shop data."""

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import F

from returns_desk.core import clock
from returns_desk.core.erasure import is_erased_email
from returns_desk.core.errors import ServiceError
from returns_desk.core.webhook_receipts import receipt_claim

from .importing import LineInput, OrderInput
from .models import Order, OrderLine, Product


def order_create_replacement(
    *, original: Order, items: Sequence[tuple[str, int]], number: str, carrier: str = "", tracking_number: str = ""
) -> Order:
    """A zero-priced order shipping `items` (sku, quantity) for an exchange; stock never goes below zero.

    Call inside the caller's transaction: the products are locked (in SKU order, so two exchanges never
    deadlock) until it commits.
    """
    if not items:
        raise ServiceError("Choose what to send as the exchange.")
    wanted: dict[str, int] = {}
    for sku, quantity in items:
        if quantity < 1:
            raise ServiceError("Exchange quantities must be at least 1.")
        wanted[sku] = wanted.get(sku, 0) + quantity
    with transaction.atomic():
        products = {p.sku: p for p in Product.objects.select_for_update().filter(sku__in=wanted).order_by("sku")}
        for sku, quantity in sorted(wanted.items()):
            product = products.get(sku)
            if product is None:
                raise ServiceError(f"There is no product {sku}.")
            if product.stock < quantity:
                raise ServiceError(
                    f"Only {product.stock} of {product.title} ({sku}) in stock; {quantity} needed for the exchange."
                )
        now = clock.now()
        replacement = Order.objects.create(
            number=number,
            email=original.email,
            customer_name=original.customer_name,
            shipping_address=original.shipping_address,
            placed_at=now,
            currency=original.currency,
            shipping_paid=0,
            amount_paid=0,
            payment_reference="",
            shipment_carrier=carrier,
            shipment_tracking_number=tracking_number,
        )
        OrderLine.objects.bulk_create(
            OrderLine(
                order=replacement,
                product=products[sku],
                sku=sku,
                title=products[sku].title,
                category=products[sku].category,
                unit_price=0,
                quantity=quantity,
            )
            for sku, quantity in sorted(wanted.items())
        )
        for sku, quantity in wanted.items():
            Product.objects.filter(pk=products[sku].pk).update(stock=F("stock") - quantity)
    return replacement


@dataclass
class ImportResult:
    created: list[str]
    updated: list[str]
    stale: list[str] = field(default_factory=list)  # dated before the order held: left as it was


def orders_import(*, orders: Sequence[OrderInput], dated: dt.datetime | None = None) -> ImportResult:
    """Create or update orders by number, all in one transaction: the same file twice changes nothing more.

    An order is dated by its `updated_at`, else by `dated` (when a push was signed); one dated before the
    order held is left as it was and named in `stale`, so a late or replayed push never rolls an order back.
    Undated orders (a file without `updated_at`) are applied. Lines are matched by SKU: an existing line is
    updated, a new one added; a line missing from the import is kept (a return may point at it). Products are
    created for unknown SKUs with no stock.

    Imports may run at once (the shop pushes while a file is imported): new products and orders are inserted
    with ON CONFLICT DO NOTHING, in SKU and then number order so that two imports never wait on each other in
    a circle, and the orders are then locked and updated one import at a time.
    """
    result = ImportResult(created=[], updated=[])
    with transaction.atomic():
        products = _products_for_import(orders)
        held, new = _orders_locked(orders, dated)
        for data in orders:
            order = held[data.number]
            when = data.updated_at or dated
            if when and order.shop_updated_at and when < order.shop_updated_at:
                result.stale.append(data.number)
                continue
            _update_order(order, data, when)
            (result.created if data.number in new else result.updated).append(order.number)
            _create_or_update_lines(order, data.lines, products)
    return result


def orders_import_push(*, orders: Sequence[OrderInput], signed_at: dt.datetime, signature: str) -> ImportResult:
    """The shop's signed push: accepted once (its signature is kept, `WebhookReplayed` the second time) and
    dated by when it was signed. A push that fails keeps nothing, so the shop may send it again."""
    with transaction.atomic():
        receipt_claim(source="shop", token=signature)
        return orders_import(orders=orders, dated=signed_at)


def _products_for_import(orders: Sequence[OrderInput]) -> dict[str, Product]:
    """Every SKU the import names, with its product; an unknown SKU gets one from its first line, with no stock."""
    first: dict[str, tuple[LineInput, str]] = {}
    for order in orders:
        for line in order.lines:
            first.setdefault(line.sku, (line, order.currency))
    known = set(Product.objects.filter(sku__in=first).values_list("sku", flat=True))
    Product.objects.bulk_create(
        [
            Product(sku=sku, title=line.title, category=line.category, price=line.unit_price, currency=cur, stock=0)
            for sku, (line, cur) in sorted(first.items())
            if sku not in known
        ],
        ignore_conflicts=True,  # another import created it meanwhile: theirs stands
    )
    return {p.sku: p for p in Product.objects.filter(sku__in=first)}


def _orders_locked(orders: Sequence[OrderInput], dated: dt.datetime | None) -> tuple[dict[str, Order], set[str]]:
    """The import's orders, locked, those not held before inserted first; and the numbers that were new."""
    numbers = sorted({data.number for data in orders})
    known = set(Order.objects.filter(number__in=numbers).values_list("number", flat=True))
    Order.objects.bulk_create(
        [
            Order(number=data.number, shop_updated_at=data.updated_at or dated, **_order_fields(data))
            for data in sorted(orders, key=lambda data: data.number)
            if data.number not in known
        ],
        ignore_conflicts=True,  # pushed at the same moment by another import: updated below, if newer
    )
    held = Order.objects.select_for_update().filter(number__in=numbers).order_by("number")
    return {order.number: order for order in held}, set(numbers) - known


def _order_fields(data: OrderInput) -> dict:
    return {
        "email": data.email,
        "customer_name": data.customer_name,
        "shipping_address": data.shipping_address,
        "placed_at": data.placed_at,
        "delivered_at": data.delivered_at,
        "currency": data.currency,
        "shipping_paid": data.shipping_paid,
        "amount_paid": data.amount_paid,
        "payment_reference": data.payment_reference,
    }


# What erasing a customer removed stays removed when the shop pushes the order again.
PERSONAL_FIELDS = ("email", "customer_name", "shipping_address")


def _update_order(order: Order, data: OrderInput, when: dt.datetime | None) -> None:
    """Save the fields the import changes (and its date, when it has one); an order as imported is left alone,
    and an erased customer's name and addresses are not brought back."""
    fields = _order_fields(data)
    if is_erased_email(order.email):
        for name in PERSONAL_FIELDS:
            fields.pop(name)
    if when is not None:
        fields["shop_updated_at"] = when
    changed = [name for name, value in fields.items() if getattr(order, name) != value]
    for name in changed:
        setattr(order, name, fields[name])
    if changed:
        order.save(update_fields=changed)


def _create_or_update_lines(order: Order, lines: Sequence[LineInput], products: dict[str, Product]) -> None:
    """Update the order's line with each imported SKU, or add it; lines the import leaves out are kept."""
    existing = {line.sku: line for line in order.lines.all()}
    for line in lines:
        values = {
            "product": products[line.sku],
            "title": line.title,
            "category": line.category,
            "unit_price": line.unit_price,
            "quantity": line.quantity,
            "final_sale": line.final_sale,
        }
        current = existing.get(line.sku)
        if current is None:
            OrderLine.objects.create(order=order, sku=line.sku, **values)
        else:
            for name, value in values.items():
                setattr(current, name, value)
            current.save()
