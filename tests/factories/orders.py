"""The shop's products, and its customers' orders and their lines."""

import datetime as dt

import factory
from django.utils import timezone

from returns_desk.orders.models import Order, OrderLine, Product


class ProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Product

    sku = factory.Sequence(lambda n: f"SKU-{n:04d}")
    title = factory.Sequence(lambda n: f"Product {n}")
    category = "tops"
    price = 1000
    stock = 5


class OrderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Order

    number = factory.Sequence(lambda n: f"T-{10000 + n}")
    email = factory.Sequence(lambda n: f"customer{n}@example.com")
    customer_name = "Casey Customer"
    placed_at = factory.LazyFunction(lambda: timezone.now() - dt.timedelta(days=8))
    delivered_at = factory.LazyFunction(lambda: timezone.now() - dt.timedelta(days=5))
    currency = "USD"
    shipping_paid = 0
    amount_paid = 1000
    payment_reference = factory.Sequence(lambda n: f"pi_test{n:020d}")


class OrderLineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OrderLine

    order = factory.SubFactory(OrderFactory)
    product = factory.SubFactory(ProductFactory)
    sku = factory.LazyAttribute(lambda line: line.product.sku)
    title = factory.LazyAttribute(lambda line: line.product.title)
    category = factory.LazyAttribute(lambda line: line.product.category)
    unit_price = 1000
    quantity = 1
