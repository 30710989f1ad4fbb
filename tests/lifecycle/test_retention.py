"""Retention: each kind of row goes after its days (by the project clock), in batches,
once a day; the keys that guard against redelivery outlive the rows, so a late
redelivery of an event, a Stripe event or a schedule slot runs nothing twice."""

from __future__ import annotations

import json
import logging
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from shared import bootstrap, clock
from shared.cli import main
from shared.config import Settings
from shared.db import Database
from shared.events import triggers
from shared.events.dispatch import dispatch
from shared.events.envelope import Envelope
from shared.lifecycle import retention
from shared.scheduler.delivery import handle
from shared.scheduler.fire import Delivery, fire
from shared.treasury import service
from shared.workflows import store
from tests.lifecycle.conftest import new_user
from tests.treasury.stripe_payloads import invoice_paid


def days_ago(n: float) -> Any:
    return clock.now() - timedelta(days=n)


def insert(db: Database, sql: str, params: tuple[Any, ...]) -> Any:
    with db.transaction() as tx:
        return tx.scalar(sql, params)


def one(db: Database, sql: str, params: tuple[Any, ...]) -> Any:
    with db.transaction() as tx:
        return tx.one(sql, params)


def event_at(db: Database, user: str, age_days: float) -> str:
    return str(
        insert(
            db,
            "INSERT INTO usage_events (user_id, event_type, dispatch_status, created_at) "
            "VALUES (%s, 'kept.or.not', 'dispatched', %s) RETURNING id",
            (user, days_ago(age_days)),
        )
    )


def run_finished(db: Database, user: str, workflow: str, age_days: float) -> str:
    return str(
        insert(
            db,
            "INSERT INTO workflow_runs (workflow_id, user_id, trigger_type, status, input, "
            "step_results, started_at, finished_at) VALUES (%s, %s, 'manual', 'succeeded', "
            '\'{"secret": 1}\', \'[{"stepId": "a"}]\', %s, %s) RETURNING id',
            (workflow, user, days_ago(age_days), days_ago(age_days)),
        )
    )


def exists(db: Database, table: str, row_id: str) -> bool:
    return one(db, f"SELECT 1 AS x FROM {table} WHERE id = %s", (row_id,)) is not None


def workflow_of(user: str) -> str:
    return str(store.create(user, "kept", None, [], True)["id"])


def test_each_kind_goes_after_its_days_and_newer_rows_stay(
    db: Database, fixed_clock: clock.FixedClock, caplog: pytest.LogCaptureFixture
) -> None:
    user = new_user()
    workflow = workflow_of(user)
    old_event, new_event = event_at(db, user, 91), event_at(db, user, 89)
    stripped, gone, intact = (run_finished(db, user, workflow, d) for d in (91, 366, 89))
    old_rejection, new_rejection = (
        str(
            insert(
                db,
                "INSERT INTO rejected_deliveries (source, reason, created_at) "
                "VALUES ('test', 'bad', %s) RETURNING id",
                (days_ago(d),),
            )
        )
        for d in (31, 29)
    )

    with caplog.at_level(logging.INFO, logger="shared.lifecycle.retention"):
        counts = retention.purge()

    assert not exists(db, "usage_events", old_event) and exists(db, "usage_events", new_event)
    assert not exists(db, "workflow_runs", gone)
    kept = one(
        db, "SELECT input, step_results, status FROM workflow_runs WHERE id = %s", (stripped,)
    )
    assert kept == {"input": {}, "step_results": [], "status": "succeeded"}
    untouched = one(db, "SELECT input FROM workflow_runs WHERE id = %s", (intact,))
    assert untouched == {"input": {"secret": 1}}
    assert not exists(db, "rejected_deliveries", old_rejection)
    assert exists(db, "rejected_deliveries", new_rejection)
    assert counts["eventsPurged"] >= 1 and counts["runsPurged"] >= 1
    [logged] = [r for r in caplog.records if r.getMessage() == "retention purge"]
    assert logged.purged == counts  # type: ignore[attr-defined]


def test_the_cut_off_follows_the_project_clock(db: Database, fixed_clock: clock.FixedClock) -> None:
    user = new_user()
    event = event_at(db, user, 10)
    retention.purge()
    assert exists(db, "usage_events", event)

    fixed_clock.advance(timedelta(days=81))
    retention.purge()

    assert not exists(db, "usage_events", event)


def test_dry_run_prints_what_the_purge_then_deletes(
    db: Database,
    db_url: str,
    settings: Settings,
    fixed_clock: clock.FixedClock,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    user = new_user()
    events = [event_at(db, user, 100) for _ in range(5)]
    monkeypatch.setenv("SEGP_HOME", str(tmp_path))
    monkeypatch.setenv("DATABASE_URL", db_url)
    capsys.readouterr()
    try:
        assert main(["retention", "--dry-run"]) == 0
    finally:
        bootstrap.configure(settings)
    printed = dict(
        line.removeprefix("would purge ").split(": ")
        for line in capsys.readouterr().out.splitlines()
        if line.startswith("would purge ")
    )

    assert all(exists(db, "usage_events", e) for e in events)
    assert int(printed["eventsPurged"]) >= 5
    assert str(retention.purge()["eventsPurged"]) == printed["eventsPurged"]


def test_a_redelivered_event_after_its_row_and_run_were_purged_runs_nothing(
    db: Database, fixed_clock: clock.FixedClock
) -> None:
    user = new_user()
    workflow = workflow_of(user)
    triggers.create(user, "order.placed", workflow, None, None)
    envelope = Envelope.model_validate(
        {"eventId": str(uuid.uuid4()), "userId": user, "eventType": "order.placed"}
    )
    assert dispatch(envelope).status == "dispatched"
    with db.transaction() as tx:
        tx.execute(
            "UPDATE usage_events SET created_at = %s WHERE user_id = %s", (days_ago(400), user)
        )
        tx.execute(
            "UPDATE workflow_runs SET finished_at = %s WHERE user_id = %s", (days_ago(400), user)
        )
    retention.purge()
    assert insert(db, "SELECT count(*) FROM workflow_runs WHERE user_id = %s", (user,)) == 0

    assert dispatch(envelope).status == "duplicate"

    assert insert(db, "SELECT count(*) FROM workflow_runs WHERE user_id = %s", (user,)) == 0
    assert insert(db, "SELECT count(*) FROM usage_events WHERE user_id = %s", (user,)) == 0


def test_a_stripe_redelivery_after_its_payload_was_reduced_changes_nothing(
    db: Database, fixed_clock: clock.FixedClock
) -> None:
    user = new_user()
    payment = invoice_paid(900, user=user)
    with db.transaction() as tx:
        assert service.process(tx, payment["id"], payment["type"], payment).status == "recorded"
        tx.execute(
            "UPDATE stripe_events SET received_at = %s WHERE id = %s", (days_ago(31), payment["id"])
        )
    retention.purge()
    reduced = one(db, "SELECT payload FROM stripe_events WHERE id = %s", (payment["id"],))
    assert (
        "metadata" not in json.dumps(reduced)
        and "parent" not in reduced["payload"]["data"]["object"]
    )

    with db.transaction() as tx:
        assert service.process(tx, payment["id"], payment["type"], payment).status == "duplicate"

    assert insert(db, "SELECT count(*) FROM revenue_ledger WHERE user_id = %s", (user,)) == 1


def test_a_slot_redelivered_after_its_fire_history_was_purged_runs_nothing(
    db: Database, fixed_clock: clock.FixedClock
) -> None:
    user = new_user()
    workflow = workflow_of(user)
    task = insert(
        db,
        "INSERT INTO scheduled_tasks (user_id, workflow_id, name, cron_expression, next_run_at) "
        "VALUES (%s, %s, 'daily', '0 9 * * *', %s) RETURNING id",
        (user, workflow, clock.now()),
    )
    slot = clock.now()
    assert fire(Delivery(str(task), slot))["status"] == "fired"
    fixed_clock.advance(timedelta(days=200))
    retention.purge()
    assert insert(db, "SELECT count(*) FROM scheduled_task_runs WHERE task_id = %s", (task,)) == 0

    again = fire(Delivery(str(task), slot))

    assert again["status"] == "duplicate"
    assert insert(db, "SELECT count(*) FROM workflow_runs WHERE user_id = %s", (user,)) == 1


def test_the_per_minute_job_purges_once_a_day(db: Database, fixed_clock: clock.FixedClock) -> None:
    fixed_clock.advance(timedelta(days=1000))  # a day no other test has purged on
    user = new_user()
    first = event_at(db, user, 100)
    assert handle("tick")["retentionPurged"] >= 1
    assert not exists(db, "usage_events", first)

    later = event_at(db, user, 100)
    assert handle("tick")["retentionPurged"] == 0
    assert exists(db, "usage_events", later)

    fixed_clock.advance(timedelta(days=1))
    assert handle("tick")["retentionPurged"] >= 1
    assert not exists(db, "usage_events", later)


def test_a_run_summary_kept_shorter_than_its_payloads_is_a_configuration_error() -> None:
    from shared.config import Settings as Config
    from shared.errors import ConfigError

    env = {"RETENTION_RUNS_DAYS": "30", "RETENTION_RUN_PAYLOADS_DAYS": "90"}
    with pytest.raises(ConfigError, match="RETENTION_RUNS_DAYS must be at least"):
        Config.from_env(env, local=True)
