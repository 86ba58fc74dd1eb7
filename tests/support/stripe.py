"""Local stand-ins for Stripe's network: localstripe itself, and servers that fail the ways Stripe can."""

import contextlib
import hashlib
import hmac
import json
import os
import socket
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

WEBHOOK_SECRET = "whsec_test_returns_desk"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, timeout: float = 20) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
        time.sleep(0.1)
    return False


@contextlib.contextmanager
def localstripe(state_dir: Path):
    """Run localstripe in a child process; yields its base URL, or None if it could not start."""
    port = free_port()
    env = {**os.environ, "LOCALSTRIPE_STATE": str(state_dir / "localstripe.pickle")}
    launcher = Path(__file__).with_name("localstripe_server.py")
    log = open(state_dir / "localstripe.log", "wb")  # noqa: SIM115 - closed below
    process = subprocess.Popen([sys.executable, str(launcher), str(port)], env=env, stdout=log, stderr=log)  # noqa: S603
    try:
        yield f"http://127.0.0.1:{port}" if wait_for_port(port) else None
    finally:
        process.terminate()
        process.wait(timeout=10)
        log.close()


class _FaultHandler(BaseHTTPRequestHandler):
    status = 500

    def _answer(self):
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(length)
        body = json.dumps({"error": {"type": "api_error", "message": f"Simulated {self.status}"}}).encode()
        self.send_response(self.status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        if self.status == 429:
            self.send_header("Retry-After", "1")
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = _answer

    def log_message(self, *args):
        pass


@contextlib.contextmanager
def failing_stripe(kind: str):
    """A base URL where Stripe fails: 'unreachable', 'timeout' (never answers), '500' or '429'."""
    if kind == "unreachable":
        yield f"http://127.0.0.1:{free_port()}"
        return
    if kind == "timeout":
        listener = socket.socket()
        listener.bind(("127.0.0.1", 0))
        listener.listen(16)  # accepts connections, never answers
        try:
            yield f"http://127.0.0.1:{listener.getsockname()[1]}"
        finally:
            listener.close()
        return
    handler = type("Handler", (_FaultHandler,), {"status": int(kind)})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


class RecordingStripe:
    """A minimal Stripe disputes endpoint (localstripe has none) that records what the client sent."""

    def __init__(self, status: int = 200):
        self.requests: list[tuple[str, str, str]] = []
        self.status = status
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length).decode()
                outer.requests.append((self.command, self.path, body))
                dispute_id = self.path.rstrip("/").rsplit("/", 1)[-1]
                if outer.status == 200:
                    payload = {"id": dispute_id, "object": "dispute", "status": "under_review"}
                else:
                    payload = {"error": {"type": "invalid_request_error", "message": "Evidence is closed"}}
                data = json.dumps(payload).encode()
                self.send_response(outer.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def signed(payload: dict | str, *, secret: str = WEBHOOK_SECRET, timestamp: int | None = None) -> tuple[bytes, str]:
    """Body and Stripe-Signature header, computed by Stripe's documented scheme (HMAC-SHA256 of 't.body')."""
    body = payload if isinstance(payload, str) else json.dumps(payload)
    t = int(time.time()) if timestamp is None else timestamp
    signature = hmac.new(secret.encode(), f"{t}.{body}".encode(), hashlib.sha256).hexdigest()
    return body.encode(), f"t={t},v1={signature}"
