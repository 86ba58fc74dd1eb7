from django.apps import AppConfig


class OrdersConfig(AppConfig):
    name = "returns_desk.orders"
    verbose_name = "Shop orders"
