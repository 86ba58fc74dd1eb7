"""The periodic tasks of settings.PERIODIC_TASKS, kept in django-q2's schedule table after every migrate."""

from django.conf import settings

from returns_desk.core.tasks import queue_for


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
                # Run by the scheduler of the task's own cluster (a refund sweep by the money workers).
                "cluster": queue_for(spec["func"]),
            },
        )
