"""A step that fails for a reason a retry can fix is attempted again with backoff (a
short wait within the run, a longer one as a sleeping run the per-minute job wakes);
one a retry cannot fix fails at once; a sleep step sleeps the run; a sleeping run can
be cancelled; the bounds are checked when the workflow is saved."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from shared import clock
from shared.workflows.runs import UNFINISHED
from tests.conftest import UserClient, function_client
from tests.support.fake_gemini import FakeGemini
from tests.workflows.conftest import Endpoint
from tests.workflows.test_run_control import create, local_calls  # noqa: F401 (fixture)


def run(client: UserClient, wid: str) -> dict[str, Any]:
    """The run as the request answered it: 200 once it finished, 202 while it sleeps."""
    res = client.post(f"/api/workflow/{wid}/run", json={})
    run = res.get_json()["run"]
    assert res.status_code == (202 if run["status"] in UNFINISHED else 200), res.get_json()
    return dict(run)


def hits(endpoint: Endpoint, path: str, key: str) -> int:
    return len([r for r in endpoint.received if r["path"] == path and key in str(r)])


def busy(endpoint: Endpoint, key: str, times: int, **policy: Any) -> dict[str, Any]:
    url = endpoint.url(f"/busy?key={key}&times={times}")
    return {"id": "call", "type": "http", "config": {"method": "GET", "url": url}, **policy}


def tick() -> dict[str, Any]:
    res = function_client("schedule_fire").post("/", json={"tick": True})
    assert res.status_code == 200, res.get_json()
    return dict(res.get_json())


def test_an_http_step_answered_503_is_retried_until_it_succeeds(
    alice: UserClient, endpoint: Endpoint
) -> None:
    wid = create(alice, [busy(endpoint, "k503", 2, backoffSeconds=0.1)])
    done = run(alice, wid)
    assert done["status"] == "succeeded"
    [call] = done["step_results"]
    assert call["output"]["body"] == {"ok": True}
    assert [a["error"] for a in call["attempts"]] == [
        "127.0.0.1 answered HTTP 503",
        "127.0.0.1 answered HTTP 503",
        None,
    ]
    assert endpoint.failures["k503"] == 3


def test_a_4xx_answer_fails_the_step_at_once(alice: UserClient, endpoint: Endpoint) -> None:
    url = endpoint.url("/status?code=404")
    wid = create(alice, [{"id": "call", "type": "http", "config": {"url": url}, "retries": 5}])
    before = hits(endpoint, "/status", "/status")
    done = run(alice, wid)
    assert done["status"] == "failed"
    assert "attempts" not in done["step_results"][0]
    assert hits(endpoint, "/status", "/status") == before + 1


def test_the_retries_run_out_and_the_last_failure_fails_the_run(
    alice: UserClient, endpoint: Endpoint
) -> None:
    wid = create(alice, [busy(endpoint, "kout", 9, retries=1, backoffSeconds=0.1)])
    done = run(alice, wid)
    assert done["status"] == "failed"
    assert len(done["step_results"][0]["attempts"]) == 2
    assert endpoint.failures["kout"] == 2


def test_an_agent_step_is_retried_when_the_model_is_overloaded(
    api: Any, fake_gemini: FakeGemini
) -> None:
    user = UserClient(api, "retry-agent")
    step = {
        "id": "draft",
        "type": "agent",
        "agentId": "scribe_01",
        "action": "generate",
        "config": {"topic": "craft"},
        "backoffSeconds": 0.1,
    }
    wid = create(user, [step])
    fake_gemini.configure(MODEL_MAX_ATTEMPTS=1)
    error = {"error": {"code": 503, "message": "overloaded", "status": "UNAVAILABLE"}}
    fake_gemini.script_reply(error, status=503, times=2)
    done = run(user, wid)
    assert done["status"] == "succeeded", done
    attempts = done["step_results"][0]["attempts"]
    assert len(attempts) == 3 and "overloaded" in attempts[0]["error"]
    assert attempts[2]["error"] is None


def test_a_long_backoff_sleeps_the_run_and_the_tick_wakes_it(
    alice: UserClient, endpoint: Endpoint, fixed_clock: clock.FixedClock
) -> None:
    wid = create(alice, [busy(endpoint, "ksleep", 1, backoffSeconds=60)])
    slept = run(alice, wid)
    assert slept["status"] == "sleeping" and slept["wake_at"] is not None
    [waiting] = slept["step_results"]
    assert waiting["status"] == "waiting" and len(waiting["attempts"]) == 1
    assert waiting["nextAttemptAt"] is not None
    shown = alice.get(f"/api/workflow/run/{slept['id']}").get_json()
    assert shown["status"] == "sleeping" and shown["wake_at"] == slept["wake_at"]

    fixed_clock.advance(timedelta(seconds=20))  # before the earliest wake time
    tick()
    assert alice.get(f"/api/workflow/run/{slept['id']}").get_json()["status"] == "sleeping"
    fixed_clock.advance(timedelta(seconds=50))
    assert tick()["runsWoken"] == 1

    woken = alice.get(f"/api/workflow/run/{slept['id']}").get_json()
    assert woken["status"] == "succeeded"
    [call] = woken["step_results"]
    assert [a["error"] is None for a in call["attempts"]] == [False, True]
    assert "nextAttemptAt" not in call
    assert endpoint.failures["ksleep"] == 2


def test_a_sleep_step_sleeps_the_run_until_the_tick_after_its_time(
    alice: UserClient, endpoint: Endpoint, fixed_clock: clock.FixedClock
) -> None:
    after = {"id": "after", "type": "http", "config": {"method": "GET", "url": endpoint.url("/zz")}}
    wid = create(alice, [{"id": "nap", "type": "sleep", "config": {"seconds": 3600}}, after])
    slept = run(alice, wid)
    wake = clock.now() + timedelta(hours=1)
    assert slept["status"] == "sleeping"
    assert slept["step_results"][0]["nextAttemptAt"] == wake.isoformat()

    fixed_clock.advance(timedelta(minutes=59))
    tick()
    assert hits(endpoint, "/zz", "/zz") == 0
    fixed_clock.advance(timedelta(minutes=2))
    tick()

    done = alice.get(f"/api/workflow/run/{slept['id']}").get_json()
    assert done["status"] == "succeeded"
    assert done["step_results"][0]["output"] == {"sleptUntil": wake.isoformat()}
    assert hits(endpoint, "/zz", "/zz") == 1


def test_a_sleep_until_that_renders_to_no_time_fails_the_step(alice: UserClient) -> None:
    step = {"id": "nap", "type": "sleep", "config": {"until": "{{input.when}}"}}
    done = run(alice, create(alice, [step]))
    assert done["status"] == "failed"
    assert "not an RFC 3339 time" in done["step_results"][0]["error"]


def test_a_sleeping_run_can_be_cancelled(
    alice: UserClient, endpoint: Endpoint, fixed_clock: clock.FixedClock
) -> None:
    after = {"id": "after", "type": "http", "config": {"url": endpoint.url("/never-woken")}}
    wid = create(alice, [{"id": "nap", "type": "sleep", "config": {"seconds": 120}}, after])
    slept = run(alice, wid)
    res = alice.post(f"/api/workflow/run/{slept['id']}/cancel")
    assert res.status_code == 200, res.get_json()
    fixed_clock.advance(timedelta(minutes=5))
    tick()

    final = alice.get(f"/api/workflow/run/{slept['id']}").get_json()
    assert final["status"] == "cancelled" and final["wake_at"] is None
    assert [(s["id"], s["status"], s["reason"]) for s in final["step_results"]] == [
        ("nap", "skipped", "run cancelled"),
        ("after", "skipped", "run cancelled"),
    ]
    assert hits(endpoint, "/never-woken", "/never-woken") == 0


@pytest.mark.parametrize(
    ("step", "message"),
    [
        ({"retries": 11}, "retries"),
        ({"retries": -1}, "retries"),
        ({"backoffSeconds": 0}, "backoffSeconds"),
        ({"type": "sleep", "config": {"seconds": 31 * 86400}}, "seconds"),
        ({"type": "sleep", "config": {"seconds": 0}}, "seconds"),
        ({"type": "sleep", "config": {"until": "tomorrow"}}, "RFC 3339"),
        ({"type": "sleep", "config": {"until": "2026-11-27T09:00:00"}}, "offset"),
        ({"type": "sleep", "config": {"until": "2099-01-01T00:00:00Z"}}, "30 days"),
        ({"type": "sleep", "config": {"seconds": 5, "until": "{{input.t}}"}}, "exactly one"),
    ],
)
def test_out_of_bounds_retries_backoff_and_sleeps_are_refused_when_saved(
    alice: UserClient, fixed_clock: clock.FixedClock, step: dict[str, Any], message: str
) -> None:
    base = {"id": "bad", "type": "emit", "config": {"eventType": "test.x"}}
    res = alice.post("/api/workflow", json={"name": "bad", "steps": [base | step]})
    assert res.status_code == 422, res.get_json()
    error = res.get_json()["error"]
    assert error.startswith("step 'bad' (#1)") and message in error
