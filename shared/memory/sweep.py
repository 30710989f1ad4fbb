"""The daily consolidation reaches each user as one ``memory.consolidation_requested``
event (recorded by the scheduler's ``{"consolidate": true}`` sweep); event dispatch
answers it here. Consolidation is idempotent, so a redelivered request changes nothing.
The same request builds the user's own HNSW indexes once a store passes the exact-scan
threshold (``shared/memory/user_index.py``), idempotent as well."""

from __future__ import annotations

from shared.db import get_database
from shared.events.handlers import Envelope, system_handler
from shared.logs import get
from shared.memory.consolidate import consolidate
from shared.memory.user_index import ensure

log = get(__name__)


@system_handler("memory.consolidation_requested")
def consolidate_requested(envelope: Envelope) -> None:
    report = consolidate(str(envelope["userId"]))
    built = ensure(get_database(), str(envelope["userId"]))
    log.info(
        "memory consolidated",
        extra={
            "userId": envelope["userId"],
            "archived": report.get("archived"),
            "degraded": report.get("degraded"),
            "indexesBuilt": built,
        },
    )
