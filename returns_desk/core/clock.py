"""The time as services see it.

Services ask this module, not `timezone.now()`, so that the demo seeder can replay a return's history
at the moments it happened and its timeline stays true.
"""

import contextlib
import contextvars
import datetime as dt
from collections.abc import Iterator

from django.utils import timezone

_frozen: contextvars.ContextVar[dt.datetime | None] = contextvars.ContextVar("frozen_now", default=None)


def now() -> dt.datetime:
    return _frozen.get() or timezone.now()


def today() -> dt.date:
    return timezone.localdate(now())


@contextlib.contextmanager
def frozen_at(moment: dt.datetime) -> Iterator[None]:
    """Make `now()` answer `moment` inside the block (demo seeding and tests only)."""
    token = _frozen.set(moment)
    try:
        yield
    finally:
        _frozen.reset(token)
