"""``DELETE /api/me`` and ``segp user erase``: every row of the user in every table (as
the catalog lists the tables, so a table added later is checked too), their Cloud
Scheduler jobs and pending events; the ledger kept under a tombstone."""

from __future__ import annotations

import json
import threading
from typing import Any

from shared.db import Database
from shared.events.dispatch import dispatch
from shared.events.envelope import Envelope
from shared.lifecycle import catalog
from shared.lifecycle.erasure import TOMBSTONE_PREFIX
from tests.conftest import UserClient
from tests.lifecycle.conftest import job_name, new_user, populate
from tests.support.fake_scheduler import FakeCloudScheduler


def tables(db: Database) -> list[str]:
    with db.transaction() as tx:
        return [
            r["table_name"]
            for r in tx.all(
                "SELECT table_name FROM information_schema.tables "
                "WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' "
                "ORDER BY table_name"
            )
        ]


def rows_holding(db: Database, user: str) -> dict[str, int]:
    """Per table, the rows whose text (every column) contains the user id anywhere."""
    found = {}
    with db.transaction() as tx:
        for table in tables(db):
            quoted = catalog.ident(table)
            n = tx.scalar(f"SELECT count(*) FROM {quoted} t WHERE strpos(t::text, %s) > 0", (user,))
            if n:
                found[table] = int(n)
    return found


def owned_tables_without_rows(db: Database, user: str) -> list[str]:
    with db.transaction() as tx:
        columns = catalog.user_columns(tx)
        return [
            table
            for table, names in columns.items()
            if not tx.scalar(
                f"SELECT count(*) FROM {catalog.ident(table)} WHERE "
                + " OR ".join(f"{catalog.ident(c)} = %s" for c in names),
                (user,) * len(names),
            )
        ]


def test_the_fixture_user_has_rows_in_every_table_that_holds_user_data(
    api: Any, db: Database
) -> None:
    user = new_user()
    populate(api, db, user)
    assert owned_tables_without_rows(db, user) == [], (
        "add a row of these tables to tests/lifecycle/conftest.py populate()"
    )


def test_erasure_leaves_no_row_of_any_table_holding_the_users_id(
    api: Any, db: Database, fake_scheduler: FakeCloudScheduler
) -> None:
    user, other = new_user(), new_user()
    ids = populate(api, db, user)
    populate(api, db, other)
    assert job_name(ids["task"]) in fake_scheduler.jobs
    with db.transaction() as tx:
        owned = set(catalog.user_columns(tx))
    assert set(rows_holding(db, user)) >= owned | {"rejected_deliveries"}
    before = rows_holding(db, other)

    res = UserClient(api, user).delete("/api/me")

    assert res.status_code == 200, res.get_json()
    body = res.get_json()
    assert body["runsCancelled"] == 2  # the running one and the waiting one
    assert body["schedulerJobsDeleted"] == 1
    assert body["anonymised"] == {"revenue_ledger": 1, "stripe_events": 1}
    assert rows_holding(db, user) == {}
    assert job_name(ids["task"]) not in fake_scheduler.jobs
    assert rows_holding(db, other) == before


def test_ledger_entries_are_kept_under_an_opaque_tombstone(api: Any, db: Database) -> None:
    user = new_user()
    ids = populate(api, db, user)

    UserClient(api, user).delete("/api/me")

    with db.transaction() as tx:
        entry = tx.one(
            "SELECT user_id, amount_minor FROM revenue_ledger WHERE stripe_event_id = %s",
            (ids["stripe_event"],),
        )
        event = tx.one(
            "SELECT user_id, payload FROM stripe_events WHERE id = %s", (ids["stripe_event"],)
        )
    assert entry is not None and event is not None
    assert entry["amount_minor"] == 2_500
    assert entry["user_id"].startswith(TOMBSTONE_PREFIX)
    assert event["user_id"] == entry["user_id"]
    assert "metadata" not in json.dumps(event["payload"])
    assert event["payload"]["data"]["object"]["amount_paid"] == 2_500


def test_erasing_twice_answers_2xx_with_nothing_to_do(api: Any, db: Database) -> None:
    user = new_user()
    populate(api, db, user)
    client = UserClient(api, user)
    assert client.delete("/api/me").get_json()["nothingToDo"] is False

    again = client.delete("/api/me")

    assert again.status_code == 200
    assert again.get_json()["nothingToDo"] is True
    assert rows_holding(db, user) == {}


def test_concurrent_erasures_erase_once_under_one_tombstone(api: Any, db: Database) -> None:
    user = new_user()
    populate(api, db, user)
    answers: list[Any] = []

    def erase() -> None:
        answers.append(UserClient(api, user).delete("/api/me"))

    threads = [threading.Thread(target=erase) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert [a.status_code for a in answers] == [200, 200, 200]
    assert sum(a.get_json()["anonymised"].get("revenue_ledger", 0) for a in answers) == 1
    assert rows_holding(db, user) == {}


def test_a_late_delivery_of_an_erased_event_recreates_nothing(api: Any, db: Database) -> None:
    user = new_user()
    ids = populate(api, db, user)
    UserClient(api, user).delete("/api/me")

    outcome = dispatch(
        Envelope.model_validate(
            {
                "eventId": ids["event"],
                "userId": user,
                "eventType": "lifecycle.tested",
                "payload": {},
            }
        )
    )

    assert outcome.status == "duplicate"
    assert rows_holding(db, user) == {}
