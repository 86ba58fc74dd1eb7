from django.apps import AppConfig


class DemoConfig(AppConfig):
    """Tools on the top floor: the demo shop, its seeder, the bench and the demo's local Stripe server.
    They may import any app; nothing imports them."""

    name = "returns_desk.demo"
    verbose_name = "Demo and bench"
