"""The /api/scheduler routes with the mirror off (the local shape): validation,
next_run_at in the task's zone, pause/resume/delete, history, and tenancy."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from shared.db import Database
from tests.scheduler.conftest import count, make_workflow

MISSING = "00000000-0000-4000-8000-000000000000"


@pytest.fixture(scope="module")
def wf(settings: Any) -> str:
    return make_workflow("alice")


def new_task(alice: Any, wf: str, **extra: Any) -> dict[str, Any]:
    body = {"name": "morning", "workflowId": wf, "cronExpression": "0 9 * * *", **extra}
    res = alice.post("/api/scheduler/tasks", json=body)
    assert res.status_code == 201, res.get_json()
    return dict(res.get_json()["task"])


def test_create_answers_201_with_the_task(alice: Any, wf: str) -> None:
    res = alice.post(
        "/api/scheduler/tasks",
        json={"name": "daily", "workflowId": wf, "cronExpression": "*/15 * * * *"},
    )
    body = res.get_json()
    assert res.status_code == 201 and body["success"] is True
    task = body["task"]
    assert task["timezone"] == "UTC" and task["is_active"] is True
    assert task["overlap_policy"] == "skip" and task["catchup_window_seconds"] == 600
    assert body["mirror"] == "off"


def test_next_run_is_computed_in_the_tasks_time_zone(alice: Any, wf: str) -> None:
    task = new_task(alice, wf, timezone="Asia/Tokyo")
    local = datetime.fromisoformat(task["next_run_at"]).astimezone(ZoneInfo("Asia/Tokyo"))
    assert (local.hour, local.minute) == (9, 0)
    assert datetime.fromisoformat(task["next_run_at"]) > datetime.now(UTC)


NEVER_FIRES = ["0 0 30 2 *", "0 0 31 4 *", "0 0 31 2,4,6 *"]


def refused_on_create(alice: Any, wf: str, db: Database, cron: Any) -> dict[str, Any]:
    """The 400 body of a create with ``cron``, checked to have stored nothing."""
    before = count(db, "SELECT count(*) FROM scheduled_tasks")
    res = alice.post(
        "/api/scheduler/tasks", json={"name": "x", "workflowId": wf, "cronExpression": cron}
    )
    assert res.status_code == 400
    assert count(db, "SELECT count(*) FROM scheduled_tasks") == before
    return dict(res.get_json())


@pytest.mark.parametrize("cron", ["0 9 * * * *", "every day", "0 25 * * *", 5, None])
def test_a_bad_cron_is_400_with_the_exact_contract_body(
    alice: Any, wf: str, db: Database, cron: Any
) -> None:
    body = refused_on_create(alice, wf, db, cron)
    assert body == {"success": False, "error": "Invalid cron expression"}


def never_fires(body: dict[str, Any]) -> bool:
    return body["success"] is False and "cronExpression never fires" in body["error"]


@pytest.mark.parametrize("cron", NEVER_FIRES)
def test_a_cron_that_never_fires_is_400_naming_it_and_creates_nothing(
    alice: Any, wf: str, db: Database, cron: str
) -> None:
    assert never_fires(refused_on_create(alice, wf, db, cron))


@pytest.mark.parametrize("cron", NEVER_FIRES)
def test_update_to_a_cron_that_never_fires_is_400_and_changes_nothing(
    alice: Any, wf: str, cron: str
) -> None:
    task = new_task(alice, wf)
    res = alice.put(f"/api/scheduler/{task['id']}", json={"cronExpression": cron, "name": "y"})
    assert res.status_code == 400 and never_fires(res.get_json())
    after = alice.get("/api/scheduler/tasks").get_json()
    assert next(t for t in after if t["id"] == task["id"]) == task


def test_an_unknown_time_zone_is_400_naming_the_field(alice: Any, wf: str) -> None:
    res = alice.post(
        "/api/scheduler/tasks",
        json={
            "name": "x",
            "workflowId": wf,
            "cronExpression": "0 9 * * *",
            "timezone": "Mars/Base",
        },
    )
    assert res.status_code == 400 and "timezone" in res.get_json()["error"]


def test_a_missing_name_is_rejected_naming_the_field(alice: Any, wf: str) -> None:
    res = alice.post("/api/scheduler/tasks", json={"workflowId": wf, "cronExpression": "0 9 * * *"})
    assert res.status_code == 422 and "name" in res.get_json()["error"]


def test_an_unknown_overlap_policy_is_rejected(alice: Any, wf: str) -> None:
    res = alice.post(
        "/api/scheduler/tasks",
        json={
            "name": "x",
            "workflowId": wf,
            "cronExpression": "0 9 * * *",
            "overlapPolicy": "queue",
        },
    )
    assert res.status_code == 422 and "overlapPolicy" in res.get_json()["error"]


def test_the_workflow_must_be_the_users(alice: Any, bob: Any, wf: str, db: Database) -> None:
    before = count(db, "SELECT count(*) FROM scheduled_tasks")
    for workflow_id in (wf, MISSING, "not-a-uuid"):
        res = bob.post(
            "/api/scheduler/tasks",
            json={"name": "x", "workflowId": workflow_id, "cronExpression": "0 9 * * *"},
        )
        assert res.status_code == 404 and "workflowId" in res.get_json()["error"]
    assert count(db, "SELECT count(*) FROM scheduled_tasks") == before


def test_list_shows_only_the_users_tasks(alice: Any, bob: Any, wf: str) -> None:
    task = new_task(alice, wf)
    assert task["id"] in {t["id"] for t in alice.get("/api/scheduler/tasks").get_json()}
    assert task["id"] not in {t["id"] for t in bob.get("/api/scheduler/tasks").get_json()}


def test_update_changes_cron_and_zone_and_recomputes_the_next_run(alice: Any, wf: str) -> None:
    task = new_task(alice, wf)
    res = alice.put(
        f"/api/scheduler/{task['id']}",
        json={"cronExpression": "30 18 * * *", "timezone": "Europe/Berlin", "name": "evening"},
    )
    updated = res.get_json()["task"]
    assert res.status_code == 200 and res.get_json()["success"] is True
    assert updated["name"] == "evening" and updated["cron_expression"] == "30 18 * * *"
    local = datetime.fromisoformat(updated["next_run_at"]).astimezone(ZoneInfo("Europe/Berlin"))
    assert (local.hour, local.minute) == (18, 30)


def test_update_with_a_bad_cron_changes_nothing(alice: Any, wf: str) -> None:
    task = new_task(alice, wf)
    res = alice.put(
        f"/api/scheduler/{task['id']}", json={"cronExpression": "* * * * * *", "name": "y"}
    )
    assert res.status_code == 400
    assert res.get_json() == {"success": False, "error": "Invalid cron expression"}
    after = alice.get("/api/scheduler/tasks").get_json()
    assert next(t for t in after if t["id"] == task["id"])["name"] == "morning"


def test_pause_clears_the_next_run_and_resume_sets_it(alice: Any, wf: str) -> None:
    task = new_task(alice, wf)
    paused = alice.post(f"/api/scheduler/{task['id']}/pause").get_json()
    assert paused["success"] is True
    assert paused["task"]["is_active"] is False and paused["task"]["next_run_at"] is None
    resumed = alice.post(f"/api/scheduler/{task['id']}/resume").get_json()["task"]
    assert resumed["is_active"] is True and resumed["next_run_at"] is not None


def test_delete_removes_the_task(alice: Any, wf: str, db: Database) -> None:
    task = new_task(alice, wf)
    res = alice.delete(f"/api/scheduler/{task['id']}")
    assert res.status_code == 200 and res.get_json()["success"] is True
    assert count(db, "SELECT count(*) FROM scheduled_tasks WHERE id = %s", (task["id"],)) == 0


def test_runs_of_a_new_task_are_empty(alice: Any, wf: str) -> None:
    task = new_task(alice, wf)
    res = alice.get(f"/api/scheduler/{task['id']}/runs")
    assert res.status_code == 200 and res.get_json() == []


def test_runs_limit_must_be_in_range(alice: Any, wf: str) -> None:
    task = new_task(alice, wf)
    res = alice.get(f"/api/scheduler/{task['id']}/runs?limit=0")
    assert res.status_code == 422 and "limit" in res.get_json()["error"]


def test_another_users_task_is_404_on_every_route_and_nothing_changes(
    alice: Any, bob: Any, wf: str, db: Database
) -> None:
    task = new_task(alice, wf)
    tid = task["id"]
    calls = [
        bob.put(f"/api/scheduler/{tid}", json={"name": "mine"}),
        bob.post(f"/api/scheduler/{tid}/pause"),
        bob.post(f"/api/scheduler/{tid}/resume"),
        bob.get(f"/api/scheduler/{tid}/runs"),
        bob.delete(f"/api/scheduler/{tid}"),
    ]
    assert [c.status_code for c in calls] == [404] * 5
    with db.transaction() as tx:
        row = tx.one(
            "SELECT name, is_active, updated_at FROM scheduled_tasks WHERE id = %s", (tid,)
        )
    assert row is not None and row["name"] == "morning" and row["is_active"] is True
    assert row["updated_at"].isoformat() == task["updated_at"]


@pytest.mark.parametrize("bad", ["not-a-uuid", "1", MISSING])
def test_a_malformed_or_unknown_id_is_404(alice: Any, bad: str) -> None:
    assert alice.put(f"/api/scheduler/{bad}", json={"name": "x"}).status_code == 404
    assert alice.post(f"/api/scheduler/{bad}/pause").status_code == 404
    assert alice.get(f"/api/scheduler/{bad}/runs").status_code == 404
    assert alice.delete(f"/api/scheduler/{bad}").status_code == 404
