"""The ``http`` step: one outbound call, with the guards a server-side fetcher needs.

A user-supplied URL runs inside our network, so before every connection (the first
and each redirect) the host is resolved and EVERY address it resolves to must be
global: loopback, link-local (the metadata server 169.254.169.254 included),
private, shared, multicast, reserved and unspecified addresses are refused unless
``HTTP_STEP_ALLOWLIST`` names the host (or address), optionally with a port. The
connection then goes to the address that was checked, not to a second lookup, so a
DNS answer that changes in between cannot slip past. Calls have a total deadline and
a response-size limit; a 4xx or 5xx answer fails the step with the answer recorded,
and so does a body the run could not store (``shared.storable``). A timeout, a failed
connection and a 408, 429 or 5xx answer are failures a later attempt may not meet
(``retryable``; a refused connection is a connect timeout to urllib3); the rest are
not."""

from __future__ import annotations

import contextlib
import ipaddress
import json
import socket
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin, urlsplit

import urllib3
from urllib3.exceptions import HTTPError, ProtocolError
from urllib3.exceptions import TimeoutError as CallTimedOut

from shared import storable
from shared.config import Settings
from shared.storable import Bounds
from shared.workflows.errors import StepFailed

MAX_REDIRECTS = 3
_REDIRECTS = {301, 302, 303, 307, 308}
_CHUNK = 16 * 1024
RETRYABLE_STATUS = frozenset({408, 429})
SENSITIVE_HEADERS = frozenset({"authorization", "cookie", "proxy-authorization", "x-api-key"})


@dataclass(frozen=True)
class AllowEntry:
    host: str
    port: int | None


def parse_allowlist(text: str) -> list[AllowEntry]:
    """``"127.0.0.1:8080, hooks.internal, [::1]:9000, ::1"`` -> entries."""
    entries = []
    for raw in (part.strip() for part in text.split(",")):
        if not raw:
            continue
        host, port = raw, None
        if raw.startswith("["):
            host, _, rest = raw[1:].partition("]")
            port = int(rest[1:]) if rest.startswith(":") else None
        elif raw.count(":") == 1:
            host, _, digits = raw.partition(":")
            port = int(digits)
        entries.append(AllowEntry(host.lower(), port))
    return entries


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str
    port: int
    path: str  # path and query, as sent

    @property
    def host_header(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        default = 443 if self.scheme == "https" else 80
        return host if self.port == default else f"{host}:{self.port}"


def target_of(url: str) -> Target:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise StepFailed(f"url must be http or https, not {parts.scheme or 'missing'!r}")
    if not parts.hostname:
        raise StepFailed("url has no host")
    if parts.username or parts.password:
        raise StepFailed("url must not carry credentials; use a header")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise StepFailed("url has an invalid port") from None
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return Target(parts.scheme, parts.hostname.lower(), port, path)


def _kind(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str | None:
    """Why an address is not a public destination, or None when it is."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    for kind, flag in (
        ("loopback", address.is_loopback),
        ("link-local", address.is_link_local),
        ("unspecified", address.is_unspecified),
        ("multicast", address.is_multicast),
        ("private", address.is_private),
        ("reserved", address.is_reserved),
    ):
        if flag:
            return kind
    return None if address.is_global else "non-global"


def checked_address(target: Target, allow: list[AllowEntry]) -> str:
    """Resolve the host, check every address, and return the one to connect to."""
    try:
        infos = socket.getaddrinfo(target.host, target.port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise StepFailed(f"cannot resolve {target.host}: {exc}") from None
    addresses = list(dict.fromkeys(str(info[4][0]).split("%")[0] for info in infos))
    if not addresses:
        raise StepFailed(f"cannot resolve {target.host}")
    for text in addresses:
        kind = _kind(ipaddress.ip_address(text))
        if kind and not _allowed(target, text, allow):
            raise StepFailed(
                f"refused: {target.host} resolves to {text}, a {kind} address; "
                "name it in HTTP_STEP_ALLOWLIST to allow it"
            )
    return addresses[0]


def _allowed(target: Target, address: str, allow: list[AllowEntry]) -> bool:
    return any(
        entry.host in (target.host, address) and entry.port in (None, target.port)
        for entry in allow
    )


def call(
    settings: Settings,
    method: str,
    url: str,
    headers: dict[str, str],
    body: Any,
    timeout: float | None = None,
) -> dict[str, Any]:
    """Make the call and return ``{status, headers, body}``; raise ``StepFailed``."""
    allow = parse_allowlist(settings.http_step_allowlist)
    limit = settings.http_step_max_response_bytes
    budget = min(timeout or settings.http_step_timeout_seconds, settings.http_step_timeout_seconds)
    deadline = time.monotonic() + budget
    payload, headers = _encode(body, dict(headers))
    for _ in range(MAX_REDIRECTS + 1):
        target = target_of(url)
        address = checked_address(target, allow)
        try:
            with _pool(target, address, deadline) as pool:
                response = _send(pool, target, method, headers, payload)
                location = response.headers.get("Location")
                if response.status in _REDIRECTS and location:
                    next_url = urljoin(url, location)
                    if urlsplit(next_url).hostname != target.host:
                        headers = {
                            k: v for k, v in headers.items() if k.lower() not in SENSITIVE_HEADERS
                        }
                    if response.status == 303 or (
                        response.status in (301, 302) and method not in ("GET", "HEAD")
                    ):
                        method, payload = "GET", None
                        headers = {k: v for k, v in headers.items() if k.lower() != "content-type"}
                    url = next_url
                    continue
                raw = _read(response, limit, deadline)
        except CallTimedOut:
            raise StepFailed(
                f"{target.host} did not answer within {budget:g}s", retryable=True
            ) from None
        except HTTPError as exc:
            raise StepFailed(
                f"request to {target.host} failed: {type(exc).__name__}",
                retryable=isinstance(exc, ProtocolError),  # the connection broke; TLS did not
            ) from None
        result = {
            "status": response.status,
            "headers": {"content-type": response.headers.get("Content-Type", "")},
            "body": _decode(raw, response.headers.get("Content-Type", ""), Bounds.of(settings)),
        }
        if response.status >= 400:
            raise StepFailed(
                f"{target.host} answered HTTP {response.status}",
                output=result,
                retryable=response.status >= 500 or response.status in RETRYABLE_STATUS,
            )
        return result
    raise StepFailed(f"more than {MAX_REDIRECTS} redirects")


def _encode(body: Any, headers: dict[str, str]) -> tuple[bytes | None, dict[str, str]]:
    names = {k.lower() for k in headers}
    if body is None:
        return None, headers
    if isinstance(body, str):
        if "content-type" not in names:
            headers["Content-Type"] = "text/plain; charset=utf-8"
        return body.encode(), headers
    if "content-type" not in names:
        headers["Content-Type"] = "application/json"
    return json.dumps(body, default=str).encode(), headers


def _pool(target: Target, address: str, deadline: float) -> urllib3.HTTPConnectionPool:
    """A one-connection pool to the checked address; TLS still verifies the host name."""
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise CallTimedOut("deadline passed")
    timeout = urllib3.Timeout(connect=remaining, read=remaining)
    if target.scheme == "https":
        return urllib3.HTTPSConnectionPool(
            address,
            target.port,
            timeout=timeout,
            retries=False,
            maxsize=1,
            server_hostname=target.host,
            assert_hostname=target.host,
        )
    return urllib3.HTTPConnectionPool(
        address, target.port, timeout=timeout, retries=False, maxsize=1
    )


def _send(
    pool: urllib3.HTTPConnectionPool,
    target: Target,
    method: str,
    headers: dict[str, str],
    payload: bytes | None,
) -> urllib3.BaseHTTPResponse:
    return pool.urlopen(
        method,
        target.path,
        body=payload,
        headers={**headers, "Host": target.host_header},
        redirect=False,
        retries=False,
        preload_content=False,
        assert_same_host=False,
    )


def _read(response: urllib3.BaseHTTPResponse, limit: int, deadline: float) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while True:
        if time.monotonic() > deadline:
            raise CallTimedOut("deadline passed")
        chunk = response.read(_CHUNK)
        if not chunk:
            return b"".join(chunks)
        size += len(chunk)
        if size > limit:
            raise StepFailed(f"response larger than {limit} bytes")
        chunks.append(chunk)


def _decode(raw: bytes, content_type: str, bounds: Bounds) -> Any:
    """The body as the run will store it: parsed JSON for a JSON type (text when it
    does not parse). A body past the JSON bounds, or holding what PostgreSQL cannot
    store, fails the step: the run's record could not keep it."""
    text = raw.decode("utf-8", "replace")
    try:
        body: Any = text
        if "json" in content_type.lower():
            with contextlib.suppress(ValueError):
                body = storable.loads(text, bounds, what="response body")
        storable.check(body, bounds, name="response body")
    except storable.Unstorable as exc:
        raise StepFailed(exc.message) from None
    return body
