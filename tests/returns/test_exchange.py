import pytest

from returns_desk.core.actors import Actor
from returns_desk.core.errors import ServiceError
from returns_desk.orders.models import Order, Product
from returns_desk.payments import services as payments
from returns_desk.returns.models import ReturnRequest
from tests.factories import ProductFactory, return_in_state


def test_exchange_ships_a_zero_priced_order_and_takes_stock(agent):
    rr = return_in_state("inspected", unit_price=3000, quantity=2)
    product = rr.items.get().order_line.product
    Product.objects.filter(pk=product.pk).update(stock=5)
    rr = payments.return_ship_exchange(return_request=rr, by=Actor.staff(agent), carrier="DPD", tracking_number="EX1")
    replacement = Order.objects.get(pk=rr.exchange_order_id)
    assert (replacement.amount_paid, replacement.shipment_tracking_number) == (0, "EX1")
    assert list(replacement.lines.values_list("sku", "quantity", "unit_price")) == [(product.sku, 2, 0)]
    assert Product.objects.get(pk=product.pk).stock == 3
    assert rr.status == "resolved"


def test_exchange_for_another_size(agent):
    rr = return_in_state("inspected")
    other = ProductFactory(sku="TEE-L", title="Tee (L)", stock=1)
    item = rr.items.get()
    payments.return_ship_exchange(
        return_request=rr,
        by=Actor.staff(agent),
        carrier="DPD",
        tracking_number="EX2",
        replacement_skus={item.pk: "TEE-L"},
    )
    assert Product.objects.get(pk=other.pk).stock == 0
    assert ReturnRequest.objects.get(pk=rr.pk).exchange_order.lines.get().sku == "TEE-L"


def test_out_of_stock_exchange_is_refused_and_nothing_changes(agent):
    rr = return_in_state("inspected", quantity=3)
    product = rr.items.get().order_line.product
    Product.objects.filter(pk=product.pk).update(stock=2)
    with pytest.raises(ServiceError, match=r"Only 2 of .* in stock; 3 needed for the exchange"):
        payments.return_ship_exchange(return_request=rr, by=Actor.staff(agent), carrier="DPD", tracking_number="EX3")
    assert Product.objects.get(pk=product.pk).stock == 2
    assert not Order.objects.filter(number__endswith=f"-X{rr.pk}").exists()
    assert ReturnRequest.objects.get(pk=rr.pk).status == "inspected"
