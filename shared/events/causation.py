"""The causation chain of what a workflow run records: the chain of the event that
triggered the run, then the run's own workflow.

It is read from the database by run id, not from the run's template scope: a run's
trigger data is what its starter passed (a person's manual run may pass anything), and
only a run with ``trigger_type = 'event'`` was started by an event, whose row holds the
chain. Reading it at each step keeps it right for a run resumed by another process."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from shared.db import Tx, get_database
from shared.events import outbox


def of_run(tx: Tx, run_id: str, user_id: str) -> list[str]:
    run = tx.one(
        "SELECT workflow_id, trigger_type, trigger_data->>'eventId' AS event_id "
        "FROM workflow_runs WHERE id = %s AND user_id = %s",
        (run_id, user_id),
    )
    if run is None:
        return []
    chain: list[str] = []
    if run["trigger_type"] == "event" and _is_uuid(run["event_id"]):
        stored = tx.scalar(
            "SELECT chain FROM usage_events WHERE id = %s AND user_id = %s",
            (run["event_id"], user_id),
        )
        chain = [str(workflow_id) for workflow_id in stored or []]
    return [*chain, str(run["workflow_id"])]


@contextmanager
def on_behalf_of_run(run_id: str, user_id: str) -> Iterator[None]:
    """Events recorded inside the block (by an agent, the memory, the Evolver) carry
    the run's chain."""
    with get_database().transaction() as tx:
        chain = of_run(tx, run_id, user_id)
    with outbox.caused_by(chain):
        yield


def _is_uuid(value: object) -> bool:
    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return True
