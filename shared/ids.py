"""Object ids in paths and bodies are uuids. A malformed one names no object, so it
is the same 404 as a missing one (and as another user's)."""

from __future__ import annotations

import uuid

from shared.errors import NotFound


def object_id(value: object, what: str) -> str:
    """The canonical uuid string of ``value``, or ``NotFound("<what> not found")``."""
    try:
        return str(uuid.UUID(str(value)))
    except ValueError:
        raise NotFound(f"{what} not found") from None
