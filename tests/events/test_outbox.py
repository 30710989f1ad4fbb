from __future__ import annotations

import pytest

from shared.db import Database
from shared.errors import Invalid
from shared.events import outbox


def test_an_event_is_recorded_in_the_callers_transaction_and_announced_after_commit(
    db: Database,
) -> None:
    announced: list[list[str]] = []
    outbox.after_commit_hooks.append(announced.append)
    try:
        with db.transaction() as tx:
            first = outbox.record(tx, "u1", "memory.stored", {"id": 1})
            second = outbox.record(tx, "u1", "soul.updated", depth=2)
            assert announced == []
        assert announced == [[first, second]]
        with db.transaction() as tx:
            row = tx.one("SELECT * FROM usage_events WHERE id = %s", (second,))
        assert row is not None
        assert row["user_id"] == "u1" and row["depth"] == 2
    finally:
        outbox.after_commit_hooks.remove(announced.append)


def test_an_event_of_a_rolled_back_change_is_neither_stored_nor_announced(db: Database) -> None:
    announced: list[list[str]] = []
    outbox.after_commit_hooks.append(announced.append)

    def fail_after_recording() -> str:
        with db.transaction() as tx:
            event_id = outbox.record(tx, "u1", "goal.created")
            raise RuntimeError(event_id)

    try:
        with pytest.raises(RuntimeError) as err:
            fail_after_recording()
        with db.transaction() as tx:
            assert tx.one("SELECT 1 FROM usage_events WHERE id = %s", (str(err.value),)) is None
        assert announced == []
    finally:
        outbox.after_commit_hooks.remove(announced.append)


@pytest.mark.parametrize("bad", ["", "single", "Upper.Case", "a..b", "a.b-c", "x." * 60])
def test_malformed_event_types_are_refused(bad: str) -> None:
    with pytest.raises(Invalid):
        outbox.check_type(bad)
