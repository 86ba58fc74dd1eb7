"""The periodic tasks of settings.PERIODIC_TASKS, kept in django-q2's schedule table after every migrate."""

from django.conf import settings


def ensure_periodic_tasks(**kwargs) -> None:
    from django_q.models import Schedule

    for name, spec in settings.PERIODIC_TASKS.items():
        Schedule.objects.update_or_create(
            name=name,
            defaults={
                "func": spec["func"],
                "schedule_type": Schedule.MINUTES,
                "minutes": spec["minutes"],
                "repeats": -1,
            },
        )
