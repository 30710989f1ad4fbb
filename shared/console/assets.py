"""Serving the console's files. Only the files shipped in ``static/`` are ever
answered (a fixed table read once per instance, so no request path reaches the file
system), each with its ETag; the Content-Security-Policy admits nothing but this
origin, which keeps the page working offline and a pasted token away from any other
host."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from flask import Request, Response

from shared.config import get_settings
from shared.errors import NotFound
from shared.web.responses import error_response

PREFIX = "/console"
STATIC = Path(__file__).parent / "static"
TYPES = {
    ".html": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".svg": "image/svg+xml",
}
HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    # revalidated on each load (a 304 when unchanged): a deploy shows at once
    "Cache-Control": "no-cache",
}


@dataclass(frozen=True)
class Asset:
    body: bytes
    content_type: str
    etag: str


def is_console_path(path: str) -> bool:
    return path == PREFIX or path.startswith(PREFIX + "/")


@cache
def assets() -> dict[str, Asset]:
    """Every shipped file by its path under ``/console/``."""
    table = {}
    for path in sorted(STATIC.rglob("*")):
        if path.is_file() and path.suffix in TYPES:
            body = path.read_bytes()
            etag = hashlib.sha256(body).hexdigest()[:20]
            table[path.relative_to(STATIC).as_posix()] = Asset(body, TYPES[path.suffix], etag)
    return table


def total_bytes() -> int:
    return sum(len(asset.body) for asset in assets().values())


def serve(request: Request) -> Response:
    """One console file; a JSON 404 when the console is off or the file is unknown."""
    try:
        return _serve(request)
    except NotFound as exc:
        return error_response(exc)


def _serve(request: Request) -> Response:
    if not get_settings().console_enabled:
        raise NotFound("the console is not enabled here (CONSOLE_ENABLED)")
    if request.method not in ("GET", "HEAD"):
        raise NotFound(f"no route {request.method} {request.path} (it takes GET)")
    name = request.path[len(PREFIX) :].lstrip("/")
    if request.path == PREFIX:
        # relative, so it holds under any mount the function is reached through
        return Response(status=308, headers={"Location": "console/", **HEADERS})
    asset = assets().get(name or "index.html")
    if asset is None:
        raise NotFound(f"no console file {name!r}")
    if request.if_none_match.contains(asset.etag):
        return Response(status=304, headers={"ETag": f'"{asset.etag}"', **HEADERS})
    return Response(
        asset.body,
        content_type=asset.content_type,
        headers={"ETag": f'"{asset.etag}"', **HEADERS},
    )
