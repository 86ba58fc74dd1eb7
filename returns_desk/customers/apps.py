from django.apps import AppConfig


class CustomersConfig(AppConfig):
    """What the desk knows about a customer before acting on their return: the allow, block and watch list."""

    name = "returns_desk.customers"
    verbose_name = "Customers"
