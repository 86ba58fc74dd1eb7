"""Writes to shop data."""

from collections.abc import Sequence
from dataclasses import dataclass

from django.db import transaction
from django.db.models import F

from returns_desk.core import clock
from returns_desk.core.errors import ServiceError

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


def orders_import(*, orders: Sequence[OrderInput]) -> ImportResult:
    """Create or update orders by number, all in one transaction: the same file twice changes nothing more.

    Lines are matched by SKU: an existing line is updated, a new one added; a line missing from the
    import is kept (a return may point at it). Products are created for unknown SKUs with no stock.
    """
    result = ImportResult(created=[], updated=[])
    with transaction.atomic():
        known = {o.number: o for o in Order.objects.select_for_update().filter(number__in=[o.number for o in orders])}
        products = _products_for_import(orders)
        for data in orders:
            order, created = _create_or_update_order(data, known.get(data.number))
            (result.created if created else result.updated).append(order.number)
            _create_or_update_lines(order, data.lines, products)
    return result


def _products_for_import(orders: Sequence[OrderInput]) -> dict[str, Product]:
    """Every SKU the import names, with its product; an unknown SKU gets one from its first line, with no stock."""
    skus = {line.sku for order in orders for line in order.lines}
    products = {p.sku: p for p in Product.objects.filter(sku__in=skus)}
    for order in orders:
        for line in order.lines:
            if line.sku not in products:
                products[line.sku] = Product.objects.create(
                    sku=line.sku,
                    title=line.title,
                    category=line.category,
                    price=line.unit_price,
                    currency=order.currency,
                    stock=0,
                )
    return products


def _create_or_update_order(data: OrderInput, order: Order | None) -> tuple[Order, bool]:
    """The order as imported, and whether it is new; an existing order is saved only when a field changed."""
    fields = {
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
    if order is None:
        return Order.objects.create(number=data.number, **fields), True
    changed = [name for name, value in fields.items() if getattr(order, name) != value]
    for name in changed:
        setattr(order, name, fields[name])
    if changed:
        order.save(update_fields=changed)
    return order, False


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
