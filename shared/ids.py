"""Object ids in paths and bodies are uuids. A malformed one names no object, so it
is the same 404 as a missing one (and as another user's)."""

from __future__ import annotations

import re
import uuid

from shared.errors import NotFound


def object_id(value: object, what: str) -> str:
    """The canonical uuid string of ``value``, or ``NotFound("<what> not found")``."""
    try:
        return str(uuid.UUID(str(value)))
    except ValueError:
        raise NotFound(f"{what} not found") from None


# Agent ids are names ("scribe_01"), not uuids.
AGENT_ID_PATTERN = r"^[A-Za-z0-9_.:-]{1,100}$"
_AGENT = re.compile(AGENT_ID_PATTERN)


def agent_id(value: object) -> str:
    """An agent id from a path, or ``NotFound`` when it cannot name an agent."""
    text = str(value)
    if not _AGENT.match(text):
        raise NotFound("agent not found")
    return text
