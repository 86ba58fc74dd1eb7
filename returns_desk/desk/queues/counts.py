"""Every visible queue's count, from one SQL statement (a scalar subquery per queue).

The counts every user shares are cached for a few seconds, so a page view does not scan the table for each
queue; the user's own ("My open") are counted each time.
"""

from django.core.cache import cache
from django.db import connection
from django.db.models import QuerySet

from returns_desk.core import clock
from returns_desk.desk.queues.definitions import QUEUES, queues_for
from returns_desk.returns.models import ReturnRequest

COUNTS_CACHE_SECONDS = 10


def _shared_counts_key(now) -> str:
    """The cache key of the current window: counts cached in it are at most COUNTS_CACHE_SECONDS old."""
    return f"desk-queue-counts:{int(now.timestamp()) // COUNTS_CACHE_SECONDS}"


def _count_many(querysets: dict[str, QuerySet]) -> dict[str, int]:
    """Several COUNTs in one round trip: SELECT (SELECT COUNT(*) …), (SELECT COUNT(*) …), …"""
    if not querysets:
        return {}
    parts, params = [], []
    for qs in querysets.values():
        sql, qs_params = qs.order_by().values("pk").query.sql_with_params()
        parts.append(f"(SELECT COUNT(*) FROM ({sql}) AS counted)")  # noqa: S608 - Django-compiled SQL, params bound
        params.extend(qs_params)
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(parts), params)
        row = cursor.fetchone()
    return dict(zip(querysets, row, strict=True))


def queue_counts(user) -> dict[str, int]:
    """Each visible queue's count. Shared counts are cached briefly; "My open" is the user's own."""
    now = clock.now()
    visible = queues_for(user)
    shared_key = _shared_counts_key(now)
    shared = cache.get(shared_key)
    wanted = {}
    if shared is None:
        wanted.update(
            {q.key: ReturnRequest.objects.filter(q.condition(user, now)) for q in QUEUES.values() if not q.per_user}
        )
    wanted.update({q.key: ReturnRequest.objects.filter(q.condition(user, now)) for q in visible if q.per_user})
    counted = _count_many(wanted)
    if shared is None:
        shared = {k: v for k, v in counted.items() if not QUEUES[k].per_user}
        cache.set(shared_key, shared, COUNTS_CACHE_SECONDS * 2)
    return {q.key: counted.get(q.key, shared.get(q.key, 0)) for q in visible}


def invalidate_counts() -> None:
    """After a change the person who made it should see it counted: drop this window's cached counts."""
    cache.delete(_shared_counts_key(clock.now()))
