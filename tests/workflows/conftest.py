"""A real local HTTP server for the http step: it records what it receives and
answers per path (echo, large body, redirects, an error, errors then an answer, a
held answer, or a body a test serves)."""

from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.events.conftest import fake_pubsub, published  # noqa: F401 (fixtures)


@dataclass
class Endpoint:
    port: int
    received: list[dict[str, Any]] = field(default_factory=list)
    release: threading.Event = field(default_factory=threading.Event)
    served: dict[str, tuple[bytes, str]] = field(default_factory=dict)
    failures: dict[str, int] = field(default_factory=dict)  # per key, answered so far

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def serve(self, path: str, body: bytes, content_type: str = "application/json") -> str:
        """Answer ``path`` with this body from now on; returns its URL."""
        self.served[path] = (body, content_type)
        return self.url(path)


def _handler(endpoint: Endpoint) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def _answer(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            parts = urlsplit(self.path)
            query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
            seen = {
                "method": self.command,
                "path": parts.path,
                "headers": {k.lower(): v for k, v in self.headers.items()},
                "body": raw.decode(),
            }
            endpoint.received.append(seen)
            if parts.path in endpoint.served:
                self._send(200, *endpoint.served[parts.path])
            elif parts.path == "/big":
                self._send(200, b"x" * int(query.get("size", "4096")), "text/plain")
            elif parts.path == "/redirect":
                self.send_response(int(query.get("code", "302")))
                self.send_header("Location", query["to"])
                self.send_header("Content-Length", "0")
                self.end_headers()
            elif parts.path == "/status":
                self._send(int(query["code"]), b'{"error": "nope"}', "application/json")
            elif parts.path == "/busy":  # ?key=K&times=N: 503 the first N calls of K
                key, times = query["key"], int(query.get("times", "1"))
                endpoint.failures[key] = endpoint.failures.get(key, 0) + 1
                if endpoint.failures[key] <= times:
                    self._send(503, b'{"error": "busy"}', "application/json")
                else:
                    self._send(200, b'{"ok": true}', "application/json")
            elif parts.path == "/hold":
                endpoint.release.wait(10)
                self._send(200, b"late", "text/plain")
            else:
                self._send(200, json.dumps(seen).encode(), "application/json")

        def _send(self, status: int, body: bytes, content_type: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # caller gave up
                self.wfile.write(body)

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _answer

    return Handler


@pytest.fixture(scope="module")
def endpoint() -> Iterator[Endpoint]:
    ep = Endpoint(port=0)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(ep))
    ep.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield ep
    ep.release.set()
    server.shutdown()
    server.server_close()
