"""Writes to shop data."""

from collections.abc import Sequence

from django.db import transaction
from django.db.models import F

from returns_desk.core import clock
from returns_desk.core.errors import ServiceError

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
