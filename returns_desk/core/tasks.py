"""The one place that hands work to the django-q2 worker.

Work is enqueued when the surrounding transaction commits, never before: a task must not see, or
act on, a change that may still roll back.
"""

import contextlib
import contextvars
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
