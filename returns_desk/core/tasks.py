"""The one place that hands work to the django-q2 worker.

Work is enqueued when the surrounding transaction commits, never before: a task must not see, or
act on, a change that may still roll back. Each task goes to the queue settings.TASK_QUEUES names for its
module (money, email, documents), so that one slow dependency never holds up another's work. A task carries the
request id (and RMA) of the request that enqueued it, and writes one log line per run (core.logging).
"""

import contextlib
import contextvars
import datetime as dt
import logging
import time
from collections.abc import Iterable, Iterator

from django.conf import settings
from django.db import transaction
from django.utils.module_loading import import_string
from django_q.signals import post_execute_in_worker, pre_enqueue, pre_execute
from django_q.tasks import async_task  # noqa: TID251 - this module is the sanctioned wrapper

from returns_desk.core import clock
from returns_desk.core import logging as log_context

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
    enqueued_by = log_context.current()  # the request (or task) asking, as it is now

    def send() -> None:
        inline = _inline.get()
        if inline is not None:
            if func_path in inline:
                import_string(func_path)(*args, **kwargs)
        else:
            with log_context.bound(enqueued_by):
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


# --- The request id travels with the task (issue 16): stored in the task's package when it is enqueued, restored
# around its run in the worker, which then writes the run's one log line. Signals, so that every task run is
# covered: enqueued here, by a schedule, or retried by the broker.


def _carry_log_context(sender, task: dict, **kwargs) -> None:
    context = log_context.current()
    if context:
        task["log_context"] = context


def _restore_log_context(sender, func, task: dict, **kwargs) -> None:
    context = dict(task.get("log_context") or {})
    func_path = task["func"] if isinstance(task["func"], str) else getattr(func, "__qualname__", repr(func))
    if func_path in settings.LOG_RMA_TASKS and task.get("args") and log_context.task_logger.isEnabledFor(logging.INFO):
        context["rma"] = log_context.rma_of_return(pk=task["args"][0]) or context.get("rma", "")
    # Popped when the run ends, before the task travels on to the result queue (a Token cannot be pickled).
    task["_log_run"] = (log_context.enter(context), func_path, time.perf_counter())


def _log_task_run(sender, func, task: dict, **kwargs) -> None:
    run = task.pop("_log_run", None)
    if run is None:
        return
    token, func_path, started = run
    try:
        # No "success" yet when a task failed in sync mode (tests): the worker re-raises before recording it.
        log_context.log_task_run(
            task=func_path, seconds=time.perf_counter() - started, success=task.get("success", False)
        )
    finally:
        log_context.leave(token)


pre_enqueue.connect(_carry_log_context, dispatch_uid="returns_desk.core.tasks.carry_log_context")
pre_execute.connect(_restore_log_context, dispatch_uid="returns_desk.core.tasks.restore_log_context")
post_execute_in_worker.connect(_log_task_run, dispatch_uid="returns_desk.core.tasks.log_task_run")
