"""What the swarm tests share: a swarm step, a draft as scribe_01 answers, and a way to
read a run's swarm step and the events it caused."""

from __future__ import annotations

from typing import Any

from shared.db import Database
from tests.events.conftest import fake_pubsub, published  # noqa: F401 (fixtures)

REFUSED = {"error": {"code": 400, "message": "refused", "status": "INVALID_ARGUMENT"}}


def swarm(
    *, count: int = 3, decide: str = "vote", quorum: int | None = None, **extra: Any
) -> list[dict[str, Any]]:
    """A workflow of one swarm step: ``count`` scribes generate a post on the input topic."""
    config: dict[str, Any] = {
        "members": [{"agentId": "scribe_01", "count": count}],
        "action": "generate",
        "config": {"topic": "{{input.topic}}"},
        "decide": decide,
        "voteKey": "title",
        **extra,
    }
    if quorum is not None:
        config["quorum"] = quorum
    return [{"id": "crowd", "type": "swarm", "retries": 0, "config": config}]


def draft(title: str) -> dict[str, Any]:
    """A scribe_01 answer (its ``Draft``) with this title."""
    return {"title": title, "content": f"All about {title}.", "notes": ["draft"]}


def critique(score: float) -> dict[str, Any]:
    return {
        "score": score,
        "shouldImprove": False,
        "issues": [],
        "suggestions": [],
        "voiceConsistency": score,
    }


def swarm_record(run: dict[str, Any]) -> dict[str, Any]:
    [record] = [s for s in run["step_results"] if s["id"] == "crowd"]
    return record


def decided_events(db: Database, run_id: str) -> list[dict[str, Any]]:
    with db.transaction() as tx:
        return tx.all(
            "SELECT user_id, event_data FROM usage_events WHERE event_type = 'swarm.decided' "
            "AND event_data->>'runId' = %s",
            (run_id,),
        )
