"""The model failing: every route that calls the model, with the real Gemini adapter
talking to the fake Gemini server while it answers 429, 500, too late, or garbage.
No route answers a 5xx it does not document (503 and 429 are, with a JSON error and,
for 429, Retry-After); the routes that degrade say so in their answer."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest

from shared import bootstrap
from shared.config import Settings
from shared.web.app import api_app
from shared.web.openapi import document
from tests.conftest import UserClient, test_settings
from tests.support.fake_gemini import FakeGemini

TIMEOUT = 0.5
Request = tuple[str, str, dict[str, Any] | None]


@pytest.fixture(scope="module")
def settings(db_url: str, fake_gemini_server: FakeGemini) -> Settings:
    """The Gemini adapter on the fake, one attempt per call and a short timeout."""
    s = fake_gemini_server.settings(
        test_settings(db_url), MODEL_MAX_ATTEMPTS=1, MODEL_TIMEOUT_SECONDS=TIMEOUT
    )
    bootstrap.configure(s)
    return s


def _user(api: Any) -> UserClient:
    return UserClient(api, f"model-{uuid.uuid4().hex[:8]}")


def _decompose(user: UserClient) -> Request:
    goal = user.post("/api/reasoning/goal", json={"title": "Grow the newsletter to 5k"})
    return "POST", f"/api/reasoning/goal/{goal.get_json()['goal']['id']}/decompose", None


def _analyze(user: UserClient) -> Request:
    for comment in ("far too long and rambling", "way too verbose again"):
        user.post(
            "/api/improve/feedback", json={"agentId": "scribe_01", "rating": 1, "comment": comment}
        )
    return "GET", "/api/improve/analyze/scribe_01", None


def _consolidate(user: UserClient) -> Request:
    for day in ("Monday", "Tuesday", "Wednesday"):
        user.post(
            "/api/memory/store",
            json={
                "type": "episodic",
                "content": f"Published the weekly newsletter on {day} about pricing",
                "agentId": "scribe_01",
                "interactionType": "generation",
            },
        )
    return "POST", "/api/memory/consolidate", None


def _agent_run(user: UserClient) -> Request:
    steps = [
        {
            "id": "draft",
            "type": "agent",
            "agentId": "scribe_01",
            "action": "generate",
            "config": {"topic": "pricing"},
        }
    ]
    wf = user.post("/api/workflow", json={"name": "draft", "steps": steps}).get_json()
    return "POST", f"/api/workflow/{wf['workflow']['id']}/run", {}


# every route that calls the model, with what it needs set up first
MODEL_ROUTES: dict[str, Callable[[UserClient], Request]] = {
    "auto-generate": lambda u: ("POST", "/api/goals/auto-generate", {"force": True}),
    "decompose": _decompose,
    "analyze": _analyze,
    "consolidate": _consolidate,
    "store": lambda u: (
        "POST",
        "/api/memory/store",
        {"type": "semantic", "content": "The audience is indie founders"},
    ),
    "recall": lambda u: ("POST", "/api/memory/recall", {"query": "who is the audience"}),
    "agent-step": _agent_run,
}
if any(r.path == "/api/oracle/evolve" for r in api_app().routes):  # once the Evolver is in
    MODEL_ROUTES["evolve"] = lambda u: (
        "POST",
        "/api/oracle/evolve",
        {"agentId": "scribe_01", "output": "A first draft about pricing for indie founders."},
    )
FAULTS: dict[str, Callable[[FakeGemini], None]] = {
    "429": lambda f: f.fail(429, times=20, retry_delay="7s"),
    "500": lambda f: f.fail(500, times=20),
    "timeout": lambda f: f.delay(TIMEOUT * 3, times=20),
    "garbage": lambda f: f.garbage(times=20),
}


def _documented(method: str, path: str) -> set[int]:
    doc = document(api_app().routes)
    for template, operations in doc["paths"].items():
        pattern = template.split("/")
        parts = path.split("/")
        same = len(pattern) == len(parts) and all(
            p == q or p.startswith("{") for p, q in zip(pattern, parts, strict=True)
        )
        if same and method.lower() in operations:
            return {int(code) for code in operations[method.lower()]["responses"]}
    raise AssertionError(f"{method} {path} is not documented")


def _call(user: UserClient, request: Request) -> Any:
    method, path, body = request
    return user.client.open(
        path, method=method, json=body, headers={"Authorization": _bearer(user.user)}
    )


def _bearer(user: str) -> str:
    from tests.conftest import auth

    return auth(user)["Authorization"]


@pytest.mark.parametrize("fault", list(FAULTS))
@pytest.mark.parametrize("route", list(MODEL_ROUTES))
def test_a_failing_model_never_causes_an_undocumented_error(
    route: str, fault: str, api: Any, fake_gemini: FakeGemini
) -> None:
    user = _user(api)
    request = MODEL_ROUTES[route](user)
    FAULTS[fault](fake_gemini)

    res = _call(user, request)

    assert res.status_code in _documented(request[0], request[1]), res.get_json()
    assert res.status_code < 500 or res.status_code == 503, res.get_json()
    body = res.get_json()
    assert body is not None
    if res.status_code >= 400:
        assert isinstance(body["error"], str) and body["error"]
    if res.status_code == 429:
        assert int(res.headers["Retry-After"]) >= 1


def test_goal_generation_without_the_model_answers_that_analysis_was_unavailable(
    api: Any, fake_gemini: FakeGemini
) -> None:
    user = _user(api)
    fake_gemini.fail(500, times=20)
    res = user.post("/api/goals/auto-generate", json={})
    assert res.status_code == 200
    assert res.get_json()["skipped"] == "analysis_unavailable"
    assert res.get_json()["createdGoals"] == []


def test_analysis_without_the_model_proposes_nothing_and_says_why(
    api: Any, fake_gemini: FakeGemini
) -> None:
    user = _user(api)
    request = _analyze(user)
    fake_gemini.garbage(times=20)
    body = _call(user, request).get_json()
    assert body["proposals"] == []
    assert "analysis unavailable" in body["note"]


def test_decomposition_when_the_model_is_rate_limited_is_429_with_its_retry_after(
    api: Any, fake_gemini: FakeGemini
) -> None:
    user = _user(api)
    request = _decompose(user)
    fake_gemini.fail(429, times=20, retry_delay="7s")
    res = _call(user, request)
    assert res.status_code == 429
    assert res.headers["Retry-After"] == "7"


def test_an_agent_step_whose_model_fails_fails_its_run_not_the_request(
    api: Any, fake_gemini: FakeGemini
) -> None:
    user = _user(api)
    request = _agent_run(user)
    fake_gemini.fail(500, times=20)
    res = _call(user, request)
    assert res.status_code == 200
    assert res.get_json()["run"]["status"] == "failed"
