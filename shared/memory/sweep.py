"""The daily consolidation reaches each user as one ``memory.consolidation_requested``
event (recorded by the scheduler's ``{"consolidate": true}`` sweep); event dispatch
answers it here. Consolidation is idempotent, so a redelivered request changes nothing."""

from __future__ import annotations

from shared.events.handlers import Envelope, system_handler
from shared.logs import get
from shared.memory.consolidate import consolidate

log = get(__name__)


@system_handler("memory.consolidation_requested")
def consolidate_requested(envelope: Envelope) -> None:
    report = consolidate(str(envelope["userId"]))
    log.info(
        "memory consolidated",
        extra={
            "userId": envelope["userId"],
            "archived": report.get("archived"),
            "degraded": report.get("degraded"),
        },
    )
