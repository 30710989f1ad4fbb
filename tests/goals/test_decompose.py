"""Decomposition: 2-7 children once, never twice, not for another user."""

from __future__ import annotations

import threading
from typing import Any

from shared.db import Database
from shared.goals.decompose import decompose
from tests.conftest import UserClient
from tests.goals.conftest import events, goals_of


def create(client: Any, **body: Any) -> dict[str, Any]:
    res = client.post("/api/reasoning/goal", json=body)
    assert res.status_code == 201
    goal: dict[str, Any] = res.get_json()["goal"]
    return goal


def test_decompose_stores_two_to_seven_children_of_the_goal(alice: Any) -> None:
    goal = create(alice, title="Launch a podcast")
    res = alice.post(f"/api/reasoning/goal/{goal['id']}/decompose")
    assert res.status_code == 200
    body = res.get_json()
    assert body["success"] is True
    subtasks = body["subtasks"]
    assert 2 <= len(subtasks) <= 7
    assert {s["parent_id"] for s in subtasks} == {goal["id"]}
    assert all(s["status"] == "pending" and s["user_id"] == "alice" for s in subtasks)


def test_steps_listed_in_the_description_become_children_in_order(alice: Any) -> None:
    goal = create(
        alice,
        title="Weekly video",
        description="Write the script, then record the video, then edit and upload it",
    )
    subtasks = alice.post(f"/api/reasoning/goal/{goal['id']}/decompose").get_json()["subtasks"]
    assert [s["title"] for s in subtasks] == [
        "Write the script",
        "record the video",
        "edit and upload it",
    ]


def test_a_listed_description_becomes_one_child_per_line(alice: Any) -> None:
    goal = create(alice, title="Newsletter", description="- Pick a tool\n- Draft issue one\n")
    subtasks = alice.post(f"/api/reasoning/goal/{goal['id']}/decompose").get_json()["subtasks"]
    assert [s["title"] for s in subtasks] == ["Pick a tool", "Draft issue one"]


def test_prose_gets_the_define_plan_do_review_template(alice: Any) -> None:
    goal = create(alice, title="Grow", description="Reach more people. Keep it fun.")
    subtasks = alice.post(f"/api/reasoning/goal/{goal['id']}/decompose").get_json()["subtasks"]
    assert [s["title"].split(" ")[0] for s in subtasks] == ["Define", "Plan", "Work", "Review"]


def test_decomposing_twice_returns_the_same_children(alice: Any, db: Database) -> None:
    goal = create(alice, title="Write an ebook")
    first = alice.post(f"/api/reasoning/goal/{goal['id']}/decompose").get_json()["subtasks"]
    second = alice.post(f"/api/reasoning/goal/{goal['id']}/decompose").get_json()["subtasks"]
    assert [s["id"] for s in second] == [s["id"] for s in first]
    children = [g for g in goals_of(db, "alice") if str(g["parent_id"]) == goal["id"]]
    assert len(children) == len(first)


def test_concurrent_decompositions_store_one_set_of_children(api: Any, db: Database) -> None:
    erin = UserClient(api, "erin-concurrent")
    goal = create(erin, title="Open an online shop")
    results: list[list[dict[str, Any]]] = []
    start = threading.Barrier(4)

    def run() -> None:
        start.wait()
        results.append(decompose("erin-concurrent", goal["id"]))

    threads = [threading.Thread(target=run) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    ids = {tuple(str(s["id"]) for s in r) for r in results}
    assert len(results) == 4 and len(ids) == 1
    children = [g for g in goals_of(db, "erin-concurrent") if g["parent_id"] is not None]
    assert len(children) == len(results[0])


def test_each_child_records_goal_created_with_its_parent(alice: Any, db: Database) -> None:
    goal = create(alice, title="Run a webinar")
    subtasks = alice.post(f"/api/reasoning/goal/{goal['id']}/decompose").get_json()["subtasks"]
    recorded = [e for e in events(db, "alice", "goal.created") if e["parentId"] == goal["id"]]
    assert sorted(e["goalId"] for e in recorded) == sorted(s["id"] for s in subtasks)


def test_a_closed_goal_is_not_decomposed(alice: Any) -> None:
    goal = create(alice, title="Abandoned idea")
    alice.put(f"/api/reasoning/goal/{goal['id']}", json={"status": "abandoned"})
    res = alice.post(f"/api/reasoning/goal/{goal['id']}/decompose")
    assert res.status_code == 409


def test_another_users_goal_is_not_decomposed(alice: Any, bob: Any, db: Database) -> None:
    goal = create(alice, title="Private plan")
    assert bob.post(f"/api/reasoning/goal/{goal['id']}/decompose").status_code == 404
    assert not [g for g in goals_of(db, "alice") if str(g["parent_id"]) == goal["id"]]
    assert not goals_of(db, "bob")
