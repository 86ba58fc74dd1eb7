"""The one place that hands work to the django-q2 worker.

Work is enqueued when the surrounding transaction commits, never before: a task must not see, or
act on, a change that may still roll back.
"""

import contextlib
import contextvars
import datetime as dt
from collections.abc import Iterator

from django.db import transaction
from django.utils.module_loading import import_string
from django_q.tasks import async_task  # noqa: TID251 - this module is the sanctioned wrapper

_inline: contextvars.ContextVar[bool] = contextvars.ContextVar("run_tasks_inline", default=False)


def enqueue_on_commit(func_path: str, *args, **kwargs) -> None:
    """Queue `func_path(*args, **kwargs)` for the worker once the current transaction commits."""

    def send() -> None:
        if _inline.get():
            import_string(func_path)(*args, **kwargs)
        else:
            async_task(func_path, *args, **kwargs)

    transaction.on_commit(send, robust=False)


def enqueue_later(func_path: str, *args, delay_seconds: float) -> None:
    """Run `func_path(*args)` once, about `delay_seconds` after the current transaction commits."""
    from django_q.models import Schedule

    from returns_desk.core import clock

    def schedule() -> None:
        Schedule.objects.create(
            name=f"{func_path.rsplit('.', 1)[-1]}{args!r} at +{delay_seconds:g}s"[:100],
            func=func_path,
            args=repr(args),
            schedule_type=Schedule.ONCE,
            repeats=-1,  # a ONCE schedule with negative repeats is deleted after it ran
            next_run=clock.now() + dt.timedelta(seconds=delay_seconds),
        )

    transaction.on_commit(schedule, robust=False)


@contextlib.contextmanager
def run_tasks_inline() -> Iterator[None]:
    """Run enqueued tasks in this process, by a plain call, at commit (the demo seeder).

    The same task function runs; only the trip through the broker is skipped.
    """
    token = _inline.set(True)
    try:
        yield
    finally:
        _inline.reset(token)
