"""The one place that hands work to the django-q2 worker.

Work is enqueued when the surrounding transaction commits, never before: a task must not see, or
act on, a change that may still roll back. Each task goes to the queue settings.TASK_QUEUES names for its
module (money, email, documents), so that one slow dependency never holds up another's work.
"""

import contextlib
import contextvars
import datetime as dt
from collections.abc import Iterable, Iterator

from django.conf import settings
from django.db import transaction
from django.utils.module_loading import import_string
from django_q.tasks import async_task  # noqa: TID251 - this module is the sanctioned wrapper

from returns_desk.core import clock

# None: enqueue normally. A frozenset: run those tasks inline, skip the others (see run_tasks_inline).
_inline: contextvars.ContextVar[frozenset[str] | None] = contextvars.ContextVar("run_tasks_inline", default=None)


def queue_for(func_path: str) -> str:
    """The django-q2 cluster that runs `func_path`.

    Named even when it is the default cluster: django-q2 would otherwise put the task on the queue of the
    process enqueuing it, and a money worker would keep a task meant for the default one.
    """
    for prefix, queue in settings.TASK_QUEUES.items():
        if func_path.startswith(prefix):
            return queue
    return settings.Q_CLUSTER["name"]


def enqueue_on_commit(func_path: str, *args, **kwargs) -> None:
    """Queue `func_path(*args, **kwargs)` for the worker once the current transaction commits."""

    def send() -> None:
        inline = _inline.get()
        if inline is not None:
            if func_path in inline:
                import_string(func_path)(*args, **kwargs)
        else:
            async_task(func_path, *args, q_options={"cluster": queue_for(func_path)}, **kwargs)

    transaction.on_commit(send, robust=False)


def enqueue_later(func_path: str, *args, delay_seconds: float) -> None:
    """Run `func_path(*args)` once, about `delay_seconds` after the current transaction commits."""
    from django_q.models import Schedule  # django-q's model: loaded only once the app registry is

    def schedule() -> None:
        Schedule.objects.create(
            name=f"{func_path.rsplit('.', 1)[-1]}{args!r} at +{delay_seconds:g}s"[:100],
            func=func_path,
            args=repr(args),
            schedule_type=Schedule.ONCE,
            repeats=-1,  # a ONCE schedule with negative repeats is deleted after it ran
            next_run=clock.now() + dt.timedelta(seconds=delay_seconds),
            cluster=queue_for(func_path),  # that cluster's scheduler runs it, onto its own queue
        )

    transaction.on_commit(schedule, robust=False)


@contextlib.contextmanager
def run_tasks_inline(*, only: Iterable[str]) -> Iterator[None]:
    """Replay history (the demo seeder): run the tasks in `only` in this process at commit, skip the rest.

    The same task functions run, by a plain call instead of a trip through the broker. Skipped tasks
    are side effects that belong to the past being replayed (emails, documents): the caller records
    them its own way, or they happen lazily later.
    """
    token = _inline.set(frozenset(only))
    try:
        yield
    finally:
        _inline.reset(token)
