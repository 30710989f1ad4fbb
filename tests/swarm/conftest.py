"""What the swarm tests share: a swarm step, a draft as scribe_01 answers, a user
starting swarms whose members are handed off, and a way to read a run's swarm step
and the events it caused."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from shared.config import Settings
from shared.db import Database
from tests.conftest import UserClient, function_client
from tests.events.conftest import bus_settings, fake_pubsub, published  # noqa: F401 (fixtures)
from tests.events.helpers import make_workflow
from tests.support.fake_gemini import FakeGemini
from tests.support.fake_pubsub import FakePubSub, Published
from tests.workflows.test_handoff import hand_over, run_messages

REFUSED = {"error": {"code": 400, "message": "refused", "status": "INVALID_ARGUMENT"}}


def swarm(
    *, count: int = 3, decide: str = "vote", quorum: int | None = None, **extra: Any
) -> list[dict[str, Any]]:
    """A workflow of one swarm step: ``count`` scribes generate a post on the input topic."""
    config: dict[str, Any] = {
        "members": [{"agentId": "scribe_01", "count": count}],
        "action": "generate",
        "config": {"topic": "{{input.topic}}"},
        "decide": decide,
        "voteKey": "title",
        **extra,
    }
    if quorum is not None:
        config["quorum"] = quorum
    return [{"id": "crowd", "type": "swarm", "retries": 0, "config": config}]


def draft(title: str) -> dict[str, Any]:
    """A scribe_01 answer (its ``Draft``) with this title."""
    return {"title": title, "content": f"All about {title}.", "notes": ["draft"]}


def critique(score: float) -> dict[str, Any]:
    return {
        "score": score,
        "shouldImprove": False,
        "issues": [],
        "suggestions": [],
        "voiceConsistency": score,
    }


def swarm_record(run: dict[str, Any]) -> dict[str, Any]:
    [record] = [s for s in run["step_results"] if s["id"] == "crowd"]
    return record


def decided_events(db: Database, run_id: str) -> list[dict[str, Any]]:
    with db.transaction() as tx:
        return tx.all(
            "SELECT user_id, event_data FROM usage_events WHERE event_type = 'swarm.decided' "
            "AND event_data->>'runId' = %s",
            (run_id,),
        )


def handed_off(db_url: str, bus: FakePubSub, model: FakeGemini, **overrides: Any) -> Settings:
    """Settings under which runs and swarm members are handed off on the fake Pub/Sub
    and members call the fake Gemini (once per attempt)."""
    values: dict[str, Any] = {"RUNS_TOPIC": "segp-runs", "DB_POOL_SIZE": 12}
    return bus_settings(db_url, bus, **(values | model.env(MODEL_MAX_ATTEMPTS=1) | overrides))


@pytest.fixture
def slow_model(fake_gemini: FakeGemini) -> Iterator[FakeGemini]:
    """The fake Gemini holding every reply a while, so that calls overlap."""
    fake_gemini.latency = 0.2
    yield fake_gemini
    fake_gemini.latency = 0.0


@pytest.fixture(scope="module")
def runner(settings: Settings) -> Any:
    return function_client("workflow_run")


@dataclass
class Swarming:
    """A user starting swarms, the fake Pub/Sub their hand-offs go to, the
    ``workflow-run`` function delivering them, and the fake model members call."""

    user: UserClient
    bus: FakePubSub
    runner: Any
    model: FakeGemini

    def launch(self, steps: list[dict[str, Any]], *, lose: int = 0) -> tuple[str, list[Published]]:
        """Start a run and deliver it: the swarm step hands its members off and the
        run sleeps. The run's id and the members' messages, by member; with ``lose``,
        the first that many members' messages are lost on the way."""
        wid = make_workflow(self.user, steps)
        res = self.user.post(f"/api/workflow/{wid}/run", json={"input": {"topic": "tea"}})
        assert res.status_code == 202, res.get_json()
        [message] = run_messages(self.bus)
        self.bus.publisher.lose = lose
        hand_over(self.runner, message)
        members = sorted(run_messages(self.bus), key=lambda m: int(m.attributes["member"]))
        return res.get_json()["run"]["id"], members

    def deliver(self, *messages: Published) -> None:
        for message in messages:
            hand_over(self.runner, message)

    def run(self, run_id: str) -> dict[str, Any]:
        found: dict[str, Any] = self.user.get(f"/api/workflow/run/{run_id}").get_json()
        return found

    def calls(self) -> int:
        return len(self.model.of("generateContent"))


@pytest.fixture
def swarming(
    alice: UserClient,
    published: FakePubSub,  # noqa: F811 (the fixture imported above)
    runner: Any,
    fake_gemini: FakeGemini,
) -> Swarming:
    return Swarming(alice, published, runner, fake_gemini)
