"""Bearer JWTs as the Node.js NEXUS backend issues them: HS256 with ``JWT_SECRET``, the
user id in the ``id`` claim, else ``sub``. Only HS256 is accepted, so ``alg: none`` and
asymmetric-algorithm confusion are refused.

PyJWT is imported on first use: it loads ``cryptography`` when installed (about 0.1 s),
which functions that never read a token should not pay at cold start."""

from __future__ import annotations

from typing import Any

from shared import clock
from shared.errors import Unauthorized

ALGORITHM = "HS256"


def user_from_header(header: str | None, secret: str, *, leeway: int = 30) -> str:
    """The user id of a valid bearer token. ``leeway`` seconds of clock skew are allowed
    on ``exp``, ``nbf`` and ``iat``: the NEXUS server that signs tokens keeps its own
    clock, and a token it issued a moment "in the future" is still a fresh token."""
    if not header:
        raise Unauthorized("missing Authorization header (expected 'Bearer <token>')")
    scheme, _, token = header.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("malformed Authorization header (expected 'Bearer <token>')")
    import jwt

    try:
        # the signature and algorithm are PyJWT's to check; the time claims are checked
        # below against the project's clock (``shared.clock``), which PyJWT cannot take
        claims = jwt.decode(
            token.strip(),
            secret,
            algorithms=[ALGORITHM],
            options={"require": [], "verify_exp": False, "verify_nbf": False, "verify_iat": False},
        )
    except jwt.InvalidTokenError:
        raise Unauthorized("invalid token") from None
    if not isinstance(claims, dict):
        raise Unauthorized("invalid token")
    _check_times(claims, clock.epoch_seconds(), leeway)
    return _user_of(claims)


def _check_times(claims: dict[str, Any], now: int, leeway: int) -> None:
    times = {}
    for name in ("exp", "nbf", "iat"):
        value = claims.get(name)
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, int | float) or value != value:
            raise Unauthorized(f"invalid token: '{name}' must be a number of seconds")
        times[name] = value
    if "exp" in times and now > times["exp"] + leeway:
        raise Unauthorized("token expired")
    if "nbf" in times and times["nbf"] > now + leeway:
        raise Unauthorized("token not valid yet ('nbf' is in the future)")
    if "iat" in times and times["iat"] > now + leeway:
        raise Unauthorized("token issued in the future ('iat')")


def _user_of(claims: dict[str, Any]) -> str:
    user = claims.get("id") or claims.get("sub")
    if isinstance(user, int) and not isinstance(user, bool):
        user = str(user)
    if not isinstance(user, str) or not user.strip() or len(user) > 200:
        raise Unauthorized("token has no user id ('id' or 'sub' claim)")
    if "\x00" in user:
        raise Unauthorized("token's user id holds a NUL character")
    try:
        user.encode("utf-8")
    except UnicodeEncodeError:
        raise Unauthorized("token's user id is not valid Unicode") from None
    return user


def mint(user_id: str, secret: str, *, ttl_seconds: int = 30 * 24 * 3600) -> str:
    import jwt

    now = clock.epoch_seconds()
    claims: dict[str, Any] = {"id": user_id, "sub": user_id, "iat": now, "exp": now + ttl_seconds}
    return jwt.encode(claims, secret, algorithm=ALGORITHM)
