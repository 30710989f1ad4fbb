"""Loop protection by causation: an event carries the workflows whose runs led to it,
and a trigger whose workflow is among them is recorded as ``cycle``, not run, unless
it allows recursion; then the depth limit stops the loop."""

from __future__ import annotations

from typing import Any

from shared.config import Settings
from shared.db import Database
from tests.conftest import UserClient
from tests.events.conftest import deliver, envelope_of
from tests.events.helpers import event_row, make_trigger, make_workflow, runs_of
from tests.support.fake_pubsub import FakePubSub


def emits(event_type: str) -> dict[str, Any]:
    return {
        "id": "again",
        "type": "emit",
        "config": {"eventType": event_type, "payload": {"seed": "{{trigger.payload.seed}}"}},
    }


def deliver_until_quiet(
    published: FakePubSub, dispatch_client: Any, rounds: int
) -> list[dict[str, Any]]:
    """Deliver what was published, and what that published, until nothing is left."""
    envelopes: list[dict[str, Any]] = []
    for _ in range(rounds):
        messages = published.publisher.take()
        if not messages:
            break
        for message in messages:
            envelopes.append(envelope_of(message))
            assert deliver(dispatch_client, message).status_code == 200
    return envelopes


def test_a_workflow_that_emits_what_triggers_it_runs_once_and_the_next_event_shows_cycle(
    db: Database, alice: UserClient, dispatch_client: Any, published: FakePubSub
) -> None:
    workflow = make_workflow(alice, [emits("self.tick")])
    trigger = make_trigger(alice, "self.tick", workflow)
    res = alice.post("/api/events", json={"eventType": "self.tick", "payload": {"seed": "s"}})
    assert res.status_code == 202

    envelopes = deliver_until_quiet(published, dispatch_client, rounds=5)

    assert [e["chain"] for e in envelopes] == [[], [workflow]]
    assert len(runs_of(db, workflow)) == 1
    second, first = alice.get("/api/events/log?eventType=self.tick").get_json()
    assert first["chain"] == [] and first["triggered"][0]["runId"]
    assert second["chain"] == [workflow] and second["dispatch_status"] == "dispatched"
    assert second["triggered"] == [
        {"triggerId": trigger, "workflowId": workflow, "status": "cycle", "chain": [workflow]}
    ]
    assert second["runs"] == []


def test_a_cycle_through_two_workflows_stops_where_it_comes_back(
    db: Database, alice: UserClient, dispatch_client: Any, published: FakePubSub
) -> None:
    ping = make_workflow(alice, [emits("pair.pong")])
    pong = make_workflow(alice, [emits("pair.ping")])
    make_trigger(alice, "pair.ping", ping)
    make_trigger(alice, "pair.pong", pong)
    alice.post("/api/events", json={"eventType": "pair.ping", "payload": {"seed": "s"}})

    envelopes = deliver_until_quiet(published, dispatch_client, rounds=6)

    assert [(e["eventType"], e["chain"]) for e in envelopes] == [
        ("pair.ping", []),
        ("pair.pong", [ping]),
        ("pair.ping", [ping, pong]),
    ]
    assert (len(runs_of(db, ping)), len(runs_of(db, pong))) == (1, 1)
    assert event_row(db, envelopes[-1]["eventId"])["triggered"][0]["status"] == "cycle"


def test_a_trigger_that_allows_recursion_loops_until_the_maximum_depth(
    db: Database,
    settings: Settings,
    alice: UserClient,
    dispatch_client: Any,
    published: FakePubSub,
) -> None:
    workflow = make_workflow(alice, [emits("loop.tick")])
    res = alice.post(
        "/api/events/triggers",
        json={"eventType": "loop.tick", "workflowId": workflow, "allowRecursion": True},
    )
    assert res.status_code == 201 and res.get_json()["trigger"]["allow_recursion"] is True
    alice.post("/api/events", json={"eventType": "loop.tick", "payload": {"seed": "s"}})

    envelopes = deliver_until_quiet(published, dispatch_client, rounds=3 * settings.event_max_depth)

    limit = settings.event_max_depth
    assert [e["depth"] for e in envelopes] == list(range(limit + 2))
    assert len(runs_of(db, workflow)) == limit + 1
    log = alice.get("/api/events/log?eventType=loop.tick&limit=200").get_json()
    assert [e["depth"] for e in log] == list(reversed(range(limit + 2)))
    assert log[0]["dispatch_status"] == "too_deep"
    assert log[0]["chain"] == [workflow] * (limit + 1)
    assert all(e["dispatch_status"] == "dispatched" for e in log[1:])
    assert event_row(db, log[0]["id"])["triggered"] == []


def test_the_events_an_agent_step_causes_carry_its_run_in_their_chain(
    db: Database, alice: UserClient, dispatch_client: Any, published: FakePubSub
) -> None:
    draft = {
        "id": "draft",
        "type": "agent",
        "agentId": "scribe_01",
        "action": "generate",
        "config": {"topic": "{{trigger.payload.topic}}", "format": "post"},
    }
    workflow = make_workflow(alice, [draft])
    make_trigger(alice, "agent.asked", workflow)
    make_trigger(alice, "content.generated", workflow)
    alice.post("/api/events", json={"eventType": "agent.asked", "payload": {"topic": "light"}})

    envelopes = deliver_until_quiet(published, dispatch_client, rounds=5)

    generated = [e for e in envelopes if e["eventType"] == "content.generated"]
    assert [e["chain"] for e in generated] == [[workflow]]
    assert [r["status"] for r in runs_of(db, workflow)] == ["succeeded"]
    assert event_row(db, generated[0]["eventId"])["triggered"][0]["status"] == "cycle"
