"""CORS for the NEXUS UI calling the ``api`` function from its own origin.

Only origins listed in ``CORS_ALLOWED_ORIGINS`` are admitted, each echoed back (never
``*``, never with credentials: the token travels in ``Authorization``, not a cookie).
A preflight is answered by the frame before any route runs, so it needs no token; one
from an origin not listed is 403, so the refusal is visible in the network log rather
than only as the browser's generic CORS failure. With the setting empty nothing here
runs and ``OPTIONS`` is an unknown route, as before."""

from __future__ import annotations

from collections.abc import Iterable

from flask import Request, Response

from shared.errors import Forbidden

ALLOWED_HEADERS = "Authorization, Content-Type, Idempotency-Key"
# what a page may read of a response besides the safelisted headers: the wait of a 429
# and the id to quote when reporting a failure
EXPOSED_HEADERS = "Retry-After, X-Request-Id"
MAX_AGE_SECONDS = 600  # browsers cap it anyway (Chromium at 7200)


def is_preflight(request: Request) -> bool:
    return (
        request.method == "OPTIONS"
        and "Origin" in request.headers
        and "Access-Control-Request-Method" in request.headers
    )


def preflight(request: Request, origins: frozenset[str], methods: Iterable[str]) -> Response:
    """The answer to a preflight for a path that takes ``methods``; 403 for an origin
    not listed."""
    origin = request.headers["Origin"]
    if origin not in origins:
        raise Forbidden(f"origin {origin} is not allowed (CORS_ALLOWED_ORIGINS)")
    response = Response(status=204)
    response.headers["Access-Control-Allow-Methods"] = ", ".join(sorted(methods))
    response.headers["Access-Control-Allow-Headers"] = ALLOWED_HEADERS
    response.headers["Access-Control-Max-Age"] = str(MAX_AGE_SECONDS)
    admit(request, response, origins)
    return response


def admit(request: Request, response: Response, origins: frozenset[str]) -> None:
    """Mark ``response`` readable by the request's origin when it is listed. Every
    response varies by ``Origin`` once CORS is on, so a cache never hands one origin's
    answer to another."""
    response.vary.add("Origin")
    origin = request.headers.get("Origin")
    if origin is not None and origin in origins:
        response.headers["Access-Control-Allow-Origin"] = origin
        response.headers["Access-Control-Expose-Headers"] = EXPOSED_HEADERS
