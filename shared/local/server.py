"""``segp serve``: every function in one process on one port, the way Cloud Functions
would call them. ``/api/...`` goes to the ``api`` function with its path unchanged;
``/console`` to the same function (its static files); ``/evolve``, ``/schedule-fire``,
``/event-dispatch``, ``/workflow-run``, ``/goal-generation`` and ``/treasury-webhook`` go
to theirs. The local clock and bus post to these same paths."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from http import HTTPStatus
from pathlib import Path
from typing import Any

from werkzeug.serving import WSGIRequestHandler

from shared import logs
from shared.web.responses import dumps

log = logs.get(__name__)

MAIN = str(Path(__file__).resolve().parents[2] / "main.py")

# mount path -> entry point in main.py; a target appears once its function exists
MOUNTS: dict[str, str] = {
    "/api": "api",
    "/console": "api",
    "/evolve": "evolve",
    "/treasury-webhook": "treasury_webhook",
    "/goal-generation": "goal_generation",
    "/event-dispatch": "event_dispatch",
    "/workflow-run": "workflow_run",
    "/schedule-fire": "schedule_fire",
}

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class FunctionDispatcher:
    """Routes by path prefix without rewriting the path (no 308 to a trailing slash)."""

    def __init__(self, apps: dict[str, WSGIApp]) -> None:
        self._apps = sorted(apps.items(), key=lambda kv: -len(kv[0]))

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "") or "/"
        for prefix, app in self._apps:
            if path == prefix or path.startswith(prefix + "/"):
                return app(environ, start_response)
        body = b'{"error": "no function is mounted at this path"}'
        start_response(
            "404 Not Found",
            [("Content-Type", "application/json"), ("Content-Length", str(len(body)))],
        )
        return [body]


def build_wsgi() -> FunctionDispatcher:
    import functions_framework

    # one app per function, whatever number of paths it is mounted at
    by_target: dict[str, WSGIApp] = {}
    for target in dict.fromkeys(MOUNTS.values()):
        app = functions_framework.create_app(target=target, source=MAIN)  # type: ignore[no-untyped-call]
        by_target[target] = app.wsgi_app
    return FunctionDispatcher({mount: by_target[target] for mount, target in MOUNTS.items()})


class RequestHandler(WSGIRequestHandler):
    """Requests the HTTP server refuses before any function sees them (a header line
    over http.server's 64 KiB: 431; a malformed request line: 400) are the client's
    fault: a warning without traceback and a JSON ``{"error": ...}`` like every other
    refusal, where werkzeug would log an error and answer an HTML page."""

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        try:
            phrase = HTTPStatus(code).phrase
        except ValueError:
            phrase = "error"
        reason = f"{phrase}: {message}" if message else phrase
        log.warning("request refused by the server: %d %s", code, reason)
        body = dumps({"error": reason}).encode()
        self.close_connection = True
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def log_error(self, format: str, *args: Any) -> None:
        """http.server's own complaints (a client that timed out) are warnings too."""
        log.warning("http server: " + format, *args)
