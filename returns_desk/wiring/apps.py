from django.apps import AppConfig


class WiringConfig(AppConfig):
    """The top floor's switchboard: connects the floors that may not import one another (see `subscribers`)."""

    name = "returns_desk.wiring"
    verbose_name = "Wiring"

    def ready(self) -> None:
        # Inside ready(): the subscribers import every app's models, which the registry has only now loaded.
        from . import subscribers

        subscribers.connect()
