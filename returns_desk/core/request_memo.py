"""Values worth reading once per web request (the active policy): remembered until the response is sent.

Outside a request (tasks, commands, tests calling services) nothing is remembered, so a change is seen
at once.
"""

from collections.abc import Callable
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TypeVar

T = TypeVar("T")
_memo: ContextVar[dict | None] = ContextVar("request_memo", default=None)


def remembered(key: str, compute: Callable[[], T]) -> T:
    store = _memo.get()
    if store is None:
        return compute()
    if key not in store:
        store[key] = compute()
    return store[key]


@contextmanager
def remembering():
    """Remember within a block too: a long job (demo seeding) that knows the policy will not change meanwhile."""
    token = _memo.set({})
    try:
        yield
    finally:
        _memo.reset(token)


class RequestMemoMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = _memo.set({})
        try:
            return self.get_response(request)
        finally:
            _memo.reset(token)
