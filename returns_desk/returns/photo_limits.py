"""How many photos one client may send per window, counted in Django's cache (Redis in production, shared by
every worker), so one connection cannot keep the photo worker busy or fill the disk.

A batch is counted before it is stored: the cache's increment is atomic, so parallel uploads cannot slip past
the limit between a read and a write. A refused batch takes its count back, and so does a batch refused for
another reason afterwards (`PhotoAllowance.give_back`). Windows are fixed slots of the clock, so the wait a
customer is told is exact. The caller says who the client is (the portal: its address, `throttle.client_address`).
"""

import contextlib
import math
from collections.abc import Iterator
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.utils.crypto import salted_hmac

from returns_desk.core import clock
from returns_desk.core.errors import ServiceError


@dataclass
class PhotoAllowance:
    """Photos counted against a client's allowance, until given back."""

    key: str
    count: int

    def give_back(self) -> None:
        if self.count:
            with contextlib.suppress(ValueError):  # the window ended meanwhile: nothing left to take back
                cache.decr(self.key, self.count)
            self.count = 0


def _slot(client: str) -> tuple[str, int]:
    window = settings.PHOTO_UPLOAD_WINDOW_SECONDS
    slot, into = divmod(clock.now().timestamp(), window)
    digest = salted_hmac("returns.photo_limits", client).hexdigest()[:32]  # no addresses in the cache's keys
    return f"photos:client:{digest}:{window}:{int(slot)}", math.ceil(window - into)


def take(*, client: str, count: int) -> PhotoAllowance:
    """Count `count` photos for `client`; `ServiceError` saying how long to wait when that goes over the limit."""
    key, wait = _slot(client)
    if count <= 0:
        return PhotoAllowance(key, 0)
    cache.add(key, 0, timeout=wait + 5)  # the window's first upload creates the count
    try:
        total = cache.incr(key, count)
    except ValueError:  # expired between add and incr
        cache.set(key, count, timeout=wait + 5)
        total = count
    allowance = PhotoAllowance(key, count)
    if total > settings.PHOTO_UPLOAD_LIMIT_PER_CLIENT:
        allowance.give_back()
        minutes = max(1, math.ceil(wait / 60))
        raise ServiceError(
            f"You have sent as many photos as we take from one connection for now, so these were not added. "
            f"Please try again in {minutes} minute{'s' if minutes != 1 else ''}."
        )
    return allowance


@contextlib.contextmanager
def counted(*, client: str, count: int) -> Iterator[PhotoAllowance]:
    """Count a batch for the duration of storing it; given back if storing it is refused."""
    allowance = take(client=client, count=count)
    try:
        yield allowance
    except BaseException:
        allowance.give_back()
        raise
