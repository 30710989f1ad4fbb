"""Lifecycle fixtures: settings with the Cloud Scheduler mirror pointed at the local
fake, and a user with rows in every table that holds user data."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest

from shared import bootstrap
from shared.config import Settings
from shared.db import Database
from shared.treasury import service
from tests.conftest import UserClient, test_settings
from tests.scheduler.conftest import PARENT, fake_scheduler, mirror_env  # noqa: F401 (fixture)
from tests.support.fake_scheduler import FakeCloudScheduler
from tests.treasury.stripe_payloads import invoice_paid, new_id


@pytest.fixture(scope="module")
def settings(db_url: str, request: pytest.FixtureRequest) -> Settings:
    fake: FakeCloudScheduler = request.getfixturevalue("fake_scheduler")
    # batches of two rows: every export and purge here spans several batches
    s = test_settings(
        db_url,
        RETENTION_BATCH_ROWS=2,
        EXPORT_BATCH_ROWS=2,
        RETENTION_FIRES_DAYS=180,
        **mirror_env(fake.address),
    )
    bootstrap.configure(s)
    return s


def job_name(task_id: str) -> str:
    return f"{PARENT}/jobs/segp-task-{task_id}"


def new_user() -> str:
    """A user id no other row of the database can contain by chance."""
    return f"lifecycle-{uuid.uuid4().hex}"


def _sql(db: Database, sql: str, params: tuple[Any, ...]) -> Any:
    with db.transaction() as tx:
        return tx.scalar(sql, params)


def populate(api: Any, db: Database, user: str) -> dict[str, str]:
    """Rows of ``user`` in every table that holds user data: through the API and the
    services where a row has one, inserted where it is written by a background job.
    Returns the ids the tests look for."""
    client = UserClient(api, user)
    res = client.post("/api/workflow", json={"name": "lifecycle", "steps": []})
    assert res.status_code == 201, res.get_json()
    workflow = res.get_json()["workflow"]["id"]
    res = client.post(
        "/api/scheduler/tasks",
        json={"name": "daily", "workflowId": workflow, "cronExpression": "0 9 * * *"},
    )
    assert res.status_code == 201, res.get_json()
    task = res.get_json()["task"]["id"]
    res = client.post(f"/api/workflow/{workflow}/webhook", json={})
    assert res.status_code == 201, res.get_json()
    res = client.post(
        "/api/events/triggers", json={"eventType": "lifecycle.tested", "workflowId": workflow}
    )
    assert res.status_code == 201, res.get_json()
    run = _sql(
        db,
        "INSERT INTO workflow_runs (workflow_id, user_id, trigger_type, status, lease_owner, "
        "lease_until, input) VALUES (%s, %s, 'manual', 'running', 'another-process', "
        "now() + interval '1 hour', %s::jsonb) RETURNING id",
        (workflow, user, json.dumps({"who": user})),
    )
    waiting = _sql(
        db,
        "INSERT INTO workflow_runs (workflow_id, user_id, trigger_type, status) "
        "VALUES (%s, %s, 'manual', 'waiting') RETURNING id",
        (workflow, user),
    )
    _sql(
        db,
        "INSERT INTO workflow_waits (run_id, user_id, step_id, event_type, began_at, timeout_at) "
        "VALUES (%s, %s, 'wait', 'lifecycle.awaited', now(), now() + interval '1 day') "
        "RETURNING run_id",
        (waiting, user),
    )
    _sql(
        db,
        "INSERT INTO swarm_members (run_id, step_id, member_index, user_id, agent_id, action) "
        "VALUES (%s, 'crowd', 0, %s, 'scribe_01', 'generate') RETURNING run_id",
        (waiting, user),
    )
    _sql(
        db,
        "INSERT INTO agent_pool_slots (holder, agent_id, user_id, expires_at) "
        "VALUES (%s, 'scribe_01', %s, now() + interval '1 hour') RETURNING holder",
        (f"{waiting}:crowd:0", user),
    )
    _sql(
        db,
        "INSERT INTO scheduled_task_runs (task_id, user_id, fire_key, status, workflow_run_id) "
        "VALUES (%s, %s, 'slot:lifecycle', 'fired', %s) RETURNING id",
        (task, user, run),
    )
    event = _sql(
        db,
        "INSERT INTO usage_events (user_id, event_type, event_data) "
        "VALUES (%s, 'lifecycle.tested', %s::jsonb) RETURNING id",
        (user, json.dumps({"note": "pending in the outbox"})),
    )
    memory = _sql(
        db,
        "INSERT INTO episodic_memories (user_id, content, context) VALUES (%s, 'met', '{}') "
        "RETURNING id",
        (user,),
    )
    for sql in (
        "INSERT INTO semantic_memories (user_id, content) VALUES (%s, 'likes tea') RETURNING id",
        "INSERT INTO procedural_memories (user_id, content) VALUES (%s, 'how') RETURNING id",
        "INSERT INTO digital_souls (user_id) VALUES (%s) RETURNING id",
        "INSERT INTO goals (user_id, title) VALUES (%s, 'grow') RETURNING id",
        "INSERT INTO goal_suggestions (user_id, title) VALUES (%s, 'grow more') RETURNING id",
        "INSERT INTO goal_generations (user_id, day) VALUES (%s, '2026-01-01') RETURNING day",
        "INSERT INTO evolver_settings (user_id, agent_id) VALUES (%s, 'scribe') RETURNING agent_id",
        "INSERT INTO agent_feedback (user_id, agent_id, rating) VALUES (%s, 'scribe', 4) "
        "RETURNING id",
        "INSERT INTO agent_metrics (user_id, agent_id, name, value) "
        "VALUES (%s, 'scribe', 'ctr', 0.1) RETURNING id",
        "INSERT INTO agent_improvements (user_id, agent_id, improvement) "
        "VALUES (%s, 'scribe', 'shorter') RETURNING id",
        "INSERT INTO rate_limits (user_id, bucket, window_start) VALUES (%s, 'model', now()) "
        "RETURNING bucket",
        "INSERT INTO revenue_thresholds (user_id, amount_minor, currency, period_days) "
        "VALUES (%s, 100, 'usd', 30) RETURNING id",
    ):
        _sql(db, sql, (user,))
    _sql(
        db,
        "INSERT INTO memory_user_indexes (user_id, store, index_name, rows_at_build, "
        "build_seconds) VALUES (%s, 'semantic_memories', 'none', 0, 0) RETURNING store",
        (user,),
    )
    _sql(
        db,
        "INSERT INTO memory_history (user_id, memory_type, memory_id, previous, reason) "
        "VALUES (%s, 'episodic', %s, '{}', 'merged') RETURNING id",
        (user, memory),
    )
    experiment = _sql(
        db,
        "INSERT INTO experiments (user_id, agent_id, name, variants) "
        "VALUES (%s, 'scribe', 'tone', '[\"a\", \"b\"]') RETURNING id",
        (user,),
    )
    _sql(
        db,
        "INSERT INTO experiment_observations (experiment_id, user_id, unit_id, variant, value, "
        "source) VALUES (%s, %s, 'u1', 'a', 1, 'feedback') RETURNING id",
        (experiment, user),
    )
    customer = new_id("cus")
    payment = invoice_paid(2_500, user=user, customer=customer)
    with db.transaction() as tx:
        outcome = service.process(tx, payment["id"], payment["type"], payment)
    assert outcome.status == "recorded"
    _sql(
        db,
        "INSERT INTO rejected_deliveries (source, reason, body) VALUES ('event-dispatch', "
        "'bad envelope', %s) RETURNING id",
        (json.dumps({"userId": user, "eventType": "x"}),),
    )
    return {
        "workflow": workflow,
        "task": task,
        "run": str(run),
        "event": str(event),
        "stripe_event": payment["id"],
    }
