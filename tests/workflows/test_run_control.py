"""A user steers runs: cancel a running run (it stops after the step in flight),
retry a failed run from its failed step (the completed steps' outputs kept, not run
again), and page through a workflow's runs."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

from shared import bootstrap
from shared.config import Settings
from tests.conftest import UserClient, test_settings
from tests.workflows.conftest import Endpoint


@pytest.fixture(scope="module", autouse=True)
def local_calls(db_url: str, settings: Settings) -> Iterator[None]:
    bootstrap.configure(test_settings(db_url, HTTP_STEP_ALLOWLIST="127.0.0.1"))
    yield
    bootstrap.configure(settings)


def create(client: UserClient, steps: list[dict[str, Any]]) -> str:
    res = client.post("/api/workflow", json={"name": "control", "steps": steps})
    assert res.status_code == 201, res.get_json()
    return str(res.get_json()["workflow"]["id"])


def http(step_id: str, url: str) -> dict[str, Any]:
    return {"id": step_id, "type": "http", "config": {"method": "GET", "url": url}}


def hits(endpoint: Endpoint, path: str) -> int:
    return len([r for r in endpoint.received if r["path"] == path])


def test_a_cancelled_run_stops_after_the_step_in_flight(
    alice: UserClient, endpoint: Endpoint
) -> None:
    wid = create(alice, [http("slow", endpoint.url("/hold")), http("after", endpoint.url("/c1"))])
    endpoint.release.clear()
    held = hits(endpoint, "/hold")
    answer: dict[str, Any] = {}
    runner = threading.Thread(
        target=lambda: answer.update(res=alice.post(f"/api/workflow/{wid}/run", json={}))
    )
    runner.start()
    try:
        deadline = time.monotonic() + 10
        while hits(endpoint, "/hold") == held:
            assert time.monotonic() < deadline
            time.sleep(0.05)
        (run,) = alice.get(f"/api/workflow/{wid}/runs").get_json()["runs"]
        cancelled = alice.post(f"/api/workflow/run/{run['id']}/cancel")
    finally:
        endpoint.release.set()
        runner.join(15)

    assert cancelled.status_code == 200 and cancelled.get_json()["run"]["status"] == "cancelled"
    final = alice.get(f"/api/workflow/run/{run['id']}").get_json()
    assert final["status"] == "cancelled"
    assert [(s["id"], s["status"]) for s in final["step_results"]] == [
        ("slow", "succeeded"),
        ("after", "skipped"),
    ]
    assert final["step_results"][1]["reason"] == "run cancelled"
    assert hits(endpoint, "/c1") == 0
    assert answer["res"].get_json()["run"]["status"] == "cancelled"


def test_only_a_running_run_can_be_cancelled(alice: UserClient, endpoint: Endpoint) -> None:
    wid = create(alice, [http("one", endpoint.url("/c2"))])
    run = alice.post(f"/api/workflow/{wid}/run", json={}).get_json()["run"]
    res = alice.post(f"/api/workflow/run/{run['id']}/cancel")
    assert res.status_code == 409 and "succeeded" in res.get_json()["error"]


def test_a_failed_run_retried_continues_from_its_failed_step(
    alice: UserClient, endpoint: Endpoint
) -> None:
    flaky = endpoint.serve("/flaky", b'{"answer": NaN}')  # JSON no database can store
    gate = {
        "id": "gate",
        "type": "condition",
        "config": {"subject": {"path": "{{steps.first.output.body.path}}"}, "conditions": {}},
    }
    wid = create(alice, [http("first", endpoint.url("/r1")), http("flaky", flaky), gate])
    failed = alice.post(f"/api/workflow/{wid}/run", json={}).get_json()["run"]
    assert failed["status"] == "failed"
    assert [s["status"] for s in failed["step_results"]] == ["succeeded", "failed", "skipped"]

    endpoint.serve("/flaky", b'{"answer": 42}')
    res = alice.post(f"/api/workflow/run/{failed['id']}/retry")

    assert res.status_code == 200
    body = res.get_json()
    run = body["run"]
    assert body["success"] is True and run["id"] == failed["id"]
    assert [s["status"] for s in run["step_results"]] == ["succeeded"] * 3
    assert run["step_results"][0] == failed["step_results"][0]  # kept, not run again
    assert run["step_results"][2]["input"]["subject"] == {"path": "/r1"}
    assert hits(endpoint, "/r1") == 1 and hits(endpoint, "/flaky") == 2


def test_only_a_failed_run_can_be_retried(alice: UserClient, endpoint: Endpoint) -> None:
    wid = create(alice, [http("one", endpoint.url("/r2"))])
    run = alice.post(f"/api/workflow/{wid}/run", json={}).get_json()["run"]
    res = alice.post(f"/api/workflow/run/{run['id']}/retry")
    assert res.status_code == 409 and "only a failed run" in res.get_json()["error"]


def test_a_workflows_runs_are_paged_newest_first_and_filtered(
    alice: UserClient, endpoint: Endpoint
) -> None:
    wid = create(alice, [http("one", endpoint.url("/p1"))])
    made = [alice.post(f"/api/workflow/{wid}/run", json={}).get_json()["run"]["id"] for _ in "abc"]

    first = alice.get(f"/api/workflow/{wid}/runs?limit=2").get_json()
    second = alice.get(f"/api/workflow/{wid}/runs?limit=2&cursor={first['next_cursor']}")

    assert [r["id"] for r in first["runs"]] == made[::-1][:2]
    assert second.get_json() == {"runs": [second.get_json()["runs"][0]], "next_cursor": None}
    assert second.get_json()["runs"][0]["id"] == made[0]
    failed = alice.get(f"/api/workflow/{wid}/runs?status=failed").get_json()
    assert failed == {"runs": [], "next_cursor": None}
    assert alice.get(f"/api/workflow/{wid}/runs?status=bogus").status_code == 422
    assert alice.get(f"/api/workflow/{wid}/runs?cursor=nope").status_code == 422


def test_a_users_runs_of_every_workflow_are_paged_newest_first_and_filtered(
    api: Any, endpoint: Endpoint
) -> None:
    carol, dave = UserClient(api, "carol"), UserClient(api, "dave")
    calls = create(carol, [http("one", endpoint.url("/u1"))])
    naps = create(carol, [{"id": "nap", "type": "sleep", "config": {"seconds": 3600}}])
    made = [
        carol.post(f"/api/workflow/{wid}/run", json={}).get_json()["run"]["id"]
        for wid in (calls, naps, calls)
    ]

    first = carol.get("/api/workflow/runs?limit=2").get_json()
    second = carol.get(f"/api/workflow/runs?limit=2&cursor={first['next_cursor']}").get_json()
    assert [r["id"] for r in first["runs"] + second["runs"]] == made[::-1]
    assert second["next_cursor"] is None
    sleeping = carol.get("/api/workflow/runs?status=sleeping").get_json()["runs"]
    assert [(r["id"], r["workflow_id"]) for r in sleeping] == [(made[1], naps)]
    of_calls = carol.get(f"/api/workflow/runs?workflowId={calls}&status=succeeded").get_json()
    assert [r["id"] for r in of_calls["runs"]] == [made[2], made[0]]
    # another user's runs are never listed, even when asked for by their workflow
    assert dave.get("/api/workflow/runs").get_json() == {"runs": [], "next_cursor": None}
    assert dave.get(f"/api/workflow/runs?workflowId={calls}").get_json()["runs"] == []


def test_the_runs_list_leaves_the_workflow_routes_beside_it_alone(
    alice: UserClient, endpoint: Endpoint
) -> None:
    wid = create(alice, [http("one", endpoint.url("/u2"))])
    assert alice.get(f"/api/workflow/{wid}").get_json()["id"] == wid
    assert alice.get("/api/workflow/runs/").status_code == 200
    for method in ("put", "delete"):  # "runs" is no workflow id: the workflow routes' 404
        res = getattr(alice, method)("/api/workflow/runs", json={"name": "x"})
        assert res.status_code == 404 and "workflow" in res.get_json()["error"]
    for bad in ("status=bogus", "workflowId=nope", "limit=0", "limit=101", "cursor=nope"):
        res = alice.get(f"/api/workflow/runs?{bad}")
        assert res.status_code == 422 and bad.split("=")[0] in res.get_json()["error"], bad
