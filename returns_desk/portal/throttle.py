"""Limits on the portal's two ways in, counted in Django's cache (Redis in production, shared by every worker).

Order lookups. Failed lookups are counted per client (its address, see `client_address`): after
`PORTAL_LOOKUP_LIMIT` in a window that client waits, whichever orders and addresses it tried, so one client
cannot guess widely. A stranger's failures count against the stranger's connection only and never lock the
owner out. Against guessing from many addresses at once, each order number and each email address also has
a far higher ceiling of failures from all clients together (`PORTAL_LOOKUP_TARGET_LIMIT`); past it nobody
looks that order up until the window ends, and its owner comes in by the emailed link instead.

A lookup is counted as a failure before it is made and taken back when it succeeds: the cache's increment
is atomic, so parallel guesses cannot slip past a limit between reading a count and writing it. A refused
attempt counts nowhere.

"Email me a link to my orders" has counts of its own, per email address and per client, against
mail-bombing; lookup failures never touch them.

Windows are fixed slots of the clock (15 minutes: :00–:15, :15–:30, …), so the wait a customer is told is exact.
"""

import contextlib
import ipaddress
import math
from dataclasses import dataclass, field

from django.conf import settings
from django.core.cache import cache
from django.utils.crypto import salted_hmac

from returns_desk.core import clock
from returns_desk.orders.selectors import canonical_order_number


@dataclass(frozen=True)
class Slowed:
    """Why an attempt was refused (`client`, `order` or `email`) and how long until it may be made again."""

    reason: str
    wait_seconds: int

    @property
    def wait_minutes(self) -> int:
        return max(1, math.ceil(self.wait_seconds / 60))


@dataclass(frozen=True)
class _Limit:
    scope: str
    value: str
    limit: int
    window: int
    reason: str


@dataclass
class LookupAttempt:
    """A lookup allowed to go ahead, counted as a failure until `succeeded` takes it back."""

    keys: list[str] = field(default_factory=list)

    def succeeded(self) -> None:
        _release(self.keys)


def client_address(request) -> str:
    """The client as the server saw it: REMOTE_ADDR, never a header a client could write (X-Forwarded-For).

    Behind a reverse proxy REMOTE_ADDR is the proxy unless the proxy passes the client's address on: with
    gunicorn, the PROXY protocol (`--proxy-protocol --proxy-allow-from <proxy address>`; HAProxy `send-proxy`,
    nginx `proxy_protocol on`). Without it every customer shares one count. An IPv6 client is its /64: one
    home or phone has a whole /64 to rotate through.
    """
    try:
        address = ipaddress.ip_address(request.META.get("REMOTE_ADDR", ""))
    except ValueError:
        return "unknown"
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    return str(address)


def lookup_begin(*, client: str, order_number: str, email: str) -> LookupAttempt | Slowed:
    """Count an order lookup as a failure before it is made; `Slowed` when a limit refuses it."""
    window = settings.PORTAL_LOOKUP_WINDOW_SECONDS
    target_limit, target_window = settings.PORTAL_LOOKUP_TARGET_LIMIT, settings.PORTAL_LOOKUP_TARGET_WINDOW_SECONDS
    limits = [
        _Limit("lookup-client", client, settings.PORTAL_LOOKUP_LIMIT, window, "client"),
        _Limit("lookup-order", canonical_order_number(order_number), target_limit, target_window, "order"),
        _Limit("lookup-email", email.strip().lower(), target_limit, target_window, "email"),
    ]
    keys, slowed = _take(limits)
    return slowed or LookupAttempt(keys)


def link_request_begin(*, client: str, email: str) -> Slowed | None:
    """Count a request for the orders link; `Slowed` when this client or this address asked too often."""
    window = settings.PORTAL_LINK_WINDOW_SECONDS
    limits = [
        _Limit("link-client", client, settings.PORTAL_LINK_LIMIT_PER_CLIENT, window, "client"),
        _Limit("link-email", email.strip().lower(), settings.PORTAL_LINK_LIMIT_PER_EMAIL, window, "email"),
    ]
    return _take(limits)[1]


def _take(limits: list[_Limit]) -> tuple[list[str], Slowed | None]:
    """Add one to each count in turn; if one goes over its limit, take back all of this attempt's and refuse."""
    taken: list[str] = []
    for limit in limits:
        key, wait = _slot(limit)
        taken.append(key)
        if _incr(key, timeout=wait) > limit.limit:
            _release(taken)
            return [], Slowed(limit.reason, wait)
    return taken, None


def _slot(limit: _Limit) -> tuple[str, int]:
    """The count's key in the current window, and the seconds until that window ends."""
    now = clock.now().timestamp()
    slot, into = divmod(now, limit.window)
    digest = salted_hmac("portal.throttle", limit.value).hexdigest()[:32]  # no addresses in the cache's keys
    return f"portal:{limit.scope}:{digest}:{limit.window}:{int(slot)}", math.ceil(limit.window - into)


def _incr(key: str, *, timeout: int) -> int:
    cache.add(key, 0, timeout=timeout + 5)  # the window's first attempt creates the count
    try:
        return cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=timeout + 5)
        return 1


def _release(keys: list[str]) -> None:
    for key in keys:
        with contextlib.suppress(ValueError):  # the window ended meanwhile: nothing left to take back
            cache.decr(key)
