"""A local Stripe test server for `make demo`: localstripe, with its state kept in a file and Stripe's webhooks
sent to the desk, so the demo's refunds travel the production path (Stripe client, webhook, reconciliation)
without an account or a network.

localstripe keeps its objects in memory and writes all of them to a hard-coded /tmp file after every change.
Here they live in a file beside the demo database (`LOCALSTRIPE_STATE` to move it), written at most once a
second and when the server stops, so a restart of `make demo` finds the payments its orders were paid with.
Like Stripe, it tells the webhook endpoint about each refund it makes (`refund.created`), which localstripe
alone does not.
"""

import asyncio
import contextlib
import logging
import os
import pickle
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

from django.conf import settings
from django.core.management.base import BaseCommand

DEFAULT_PORT = 8420
WEBHOOK_ID = "returns-desk"


def state_path() -> Path:
    """Where the server keeps its state: `LOCALSTRIPE_STATE`, else beside the SQLite database it belongs to."""
    if os.environ.get("LOCALSTRIPE_STATE"):
        return Path(os.environ["LOCALSTRIPE_STATE"])
    database = settings.DATABASES["default"]
    if database["ENGINE"] == "django.db.backends.sqlite3" and str(database["NAME"]) != ":memory:":
        return Path(f"{database['NAME']}-localstripe.pickle")
    return Path(settings.BASE_DIR) / "tmp" / "localstripe.pickle"


def local_port() -> int | None:
    """The port of the local Stripe server the app is pointed at (STRIPE_API_BASE on this machine), or None."""
    base = urlsplit(settings.STRIPE_API_BASE or "")
    if base.scheme == "http" and base.hostname in ("127.0.0.1", "localhost"):
        return base.port or 80
    return None


def is_listening(port: int) -> bool:
    with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.5):
        return True
    return False


@contextlib.contextmanager
def running(port: int, *, timeout: float = 30):
    """Make sure a local Stripe server answers on `port` for the duration: the one already there, or one
    started here (without webhooks) and stopped afterwards, its state saved for the next start."""
    if is_listening(port):
        yield
        return
    command = [sys.executable, str(Path(settings.BASE_DIR) / "manage.py"), "run_localstripe"]
    process = subprocess.Popen([*command, "--port", str(port), "--no-webhook", "--quiet"])  # noqa: S603
    try:
        deadline = time.monotonic() + timeout
        while not is_listening(port):
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"The local Stripe server did not start on port {port}.")
            time.sleep(0.1)
        yield
    finally:
        process.terminate()  # it saves its state as it stops
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _index_by_kind(resources, *, on_change) -> None:
    """localstripe lists a kind of object (a charge's refunds, say) by scanning every object it holds, a dozen
    times per payment: seeding slows down with each order paid. Keep the objects indexed by kind instead."""
    by_kind: dict[str, dict] = {}

    def kind(key: str) -> str | None:
        return key.split(":", 1)[0] if ":" in key else None  # "balance" is a singleton, never listed

    def setitem(store, key, value):
        dict.__setitem__(store, key, value)
        if kind(key):
            by_kind.setdefault(kind(key), {})[key] = value
        on_change()

    def delitem(store, key):
        dict.__delitem__(store, key)
        by_kind.get(kind(key) or "", {}).pop(key, None)
        on_change()

    def clear(store):
        dict.clear(store)
        by_kind.clear()
        on_change()

    def list_all(cls, url, limit=None, starting_after=None, **kwargs):
        if kwargs:
            raise resources.UserError(400, "Unexpected " + ", ".join(kwargs.keys()))
        found = resources.List(url, limit=limit, starting_after=starting_after)
        found._list = list(by_kind.get(cls.object, {}).values())
        return found

    resources.Store.__setitem__, resources.Store.__delitem__, resources.Store.clear = setitem, delitem, clear
    resources.StripeObject._api_list_all = classmethod(list_all)


class Command(BaseCommand):
    help = "Run a local Stripe test server (localstripe) for the demo, with its state in a file."

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=None, help="Default: STRIPE_API_BASE's port, else 8420.")
        parser.add_argument("--state", default="", help="State file (default: beside the SQLite database).")
        parser.add_argument(
            "--webhook-url", default="", help="Where Stripe's events go (default: SITE_URL + /webhooks/stripe/)."
        )
        parser.add_argument("--no-webhook", action="store_true", help="Send no events (while seeding).")
        parser.add_argument("--quiet", action="store_true", help="No request log.")

    def handle(self, *args, port, state, webhook_url, no_webhook, quiet, **options):
        from aiohttp import web
        from localstripe import resources, server, webhooks

        port = port or local_port() or DEFAULT_PORT
        path = Path(state) if state else state_path()
        path.parent.mkdir(parents=True, exist_ok=True)
        store = resources.store
        dirty = asyncio.Event()

        def load():
            try:
                with open(path, "rb") as f:
                    saved = pickle.load(f)  # noqa: S301 - the file this command wrote
            except FileNotFoundError:
                return
            store.clear()
            for key, value in saved.items():
                store[key] = value

        def save():
            partial = path.with_name(path.name + ".partial")
            with open(partial, "wb") as f:
                pickle.dump(dict(store), f, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(partial, path)
            dirty.clear()

        # Every change marks the store; a background task writes it at most once a second.
        resources.Store.dump_to_disk = lambda self: dirty.set()
        _index_by_kind(resources, on_change=dirty.set)

        create_refund = resources.Refund._api_create.__func__

        def refund_then_tell(cls, **data):
            refund = create_refund(cls, **data)
            webhooks.schedule_webhook(resources.Event("refund.created", refund))
            return refund

        resources.Refund._api_create = classmethod(refund_then_tell)

        async def keep_saving(app):
            async def loop():
                while True:
                    await dirty.wait()
                    save()
                    await asyncio.sleep(1)

            # Ctrl-C reaches every process of `make demo`, then honcho sends SIGTERM: the first signal stops the
            # server, a second must not cut its last save short.
            running_loop = asyncio.get_running_loop()

            def stop():
                for each in (signal.SIGINT, signal.SIGTERM):
                    running_loop.add_signal_handler(each, lambda: None)
                raise web.GracefulExit()

            for each in (signal.SIGINT, signal.SIGTERM):
                running_loop.add_signal_handler(each, stop)
            task = asyncio.ensure_future(loop())
            yield
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            save()

        load()
        server.app.cleanup_ctx.append(keep_saving)
        secret = settings.STRIPE_WEBHOOK_SECRET
        url = webhook_url or settings.SITE_URL.rstrip("/") + "/webhooks/stripe/"
        if secret and not no_webhook:
            webhooks.register_webhook(WEBHOOK_ID, url, secret, None)
        access = logging.getLogger("aiohttp.access")
        access.setLevel(logging.WARNING if quiet else logging.INFO)
        access.addHandler(logging.StreamHandler(sys.stdout))
        access.propagate = False  # once, whatever the project's logging says
        if not quiet:
            if no_webhook or not secret:
                events = "no events sent" + ("" if no_webhook else " (STRIPE_WEBHOOK_SECRET is not set)")
            else:
                events = f"events to {url}"
            self.stdout.write(f"Local Stripe test server on http://127.0.0.1:{port} (state {path}); {events}")
            self.stdout.flush()
        web.run_app(
            server.app,
            host="127.0.0.1",
            port=port,
            access_log=access,
            access_log_format='"%r" %s',
            print=None,
            shutdown_timeout=5,
        )
