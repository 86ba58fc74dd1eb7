from django.apps import AppConfig, apps
from django.db.models.signals import post_migrate


class CoreConfig(AppConfig):
    name = "returns_desk.core"
    verbose_name = "Core"

    def ready(self) -> None:
        from .schedules import ensure_periodic_tasks

        # post_migrate is sent once per app with models; the schedule table is django_q's, so listen for it.
        post_migrate.connect(
            ensure_periodic_tasks, sender=apps.get_app_config("django_q"), dispatch_uid="returns_desk.periodic"
        )
