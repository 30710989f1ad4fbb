"""Bearer JWTs as the Node.js NEXUS backend issues them: HS256 with ``JWT_SECRET``, the
user id in the ``id`` claim, else ``sub``. Only HS256 is accepted, so ``alg: none`` and
asymmetric-algorithm confusion are refused.

PyJWT is imported on first use: it loads ``cryptography`` when installed (about 0.1 s),
which functions that never read a token should not pay at cold start."""

from __future__ import annotations

import time
from typing import Any

from shared.errors import Unauthorized

ALGORITHM = "HS256"


def user_from_header(header: str | None, secret: str) -> str:
    if not header:
        raise Unauthorized("missing Authorization header (expected 'Bearer <token>')")
    scheme, _, token = header.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("malformed Authorization header (expected 'Bearer <token>')")
    import jwt

    try:
        claims = jwt.decode(token.strip(), secret, algorithms=[ALGORITHM], options={"require": []})
    except jwt.ExpiredSignatureError:
        raise Unauthorized("token expired") from None
    except jwt.InvalidTokenError:
        raise Unauthorized("invalid token") from None
    user = claims.get("id") or claims.get("sub")
    if isinstance(user, int) and not isinstance(user, bool):
        user = str(user)
    if not isinstance(user, str) or not user.strip() or len(user) > 200:
        raise Unauthorized("token has no user id ('id' or 'sub' claim)")
    return user


def mint(user_id: str, secret: str, *, ttl_seconds: int = 30 * 24 * 3600) -> str:
    import jwt

    now = int(time.time())
    claims: dict[str, Any] = {"id": user_id, "sub": user_id, "iat": now, "exp": now + ttl_seconds}
    return jwt.encode(claims, secret, algorithm=ALGORITHM)
