"""``segp serve``: every function in one process on one port, the way Cloud Functions
would call them. ``/api/...`` goes to the ``api`` function with its path unchanged;
``/evolve``, ``/schedule-fire``, ``/event-dispatch``, ``/goal-generation`` and
``/treasury-webhook`` go to theirs. The local clock and bus post to these same paths."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

MAIN = str(Path(__file__).resolve().parents[2] / "main.py")

# mount path -> entry point in main.py; a target appears once its function exists
MOUNTS: dict[str, str] = {
    "/api": "api",
    "/evolve": "evolve",
    "/treasury-webhook": "treasury_webhook",
    "/goal-generation": "goal_generation",
    "/event-dispatch": "event_dispatch",
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

    apps = {}
    for mount, target in MOUNTS.items():
        app = functions_framework.create_app(target=target, source=MAIN)  # type: ignore[no-untyped-call]
        apps[mount] = app.wsgi_app
    return FunctionDispatcher(apps)
