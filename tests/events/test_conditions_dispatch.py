"""Each operator of the condition language, evaluated on the payload at dispatch: of two
events, only the one whose payload matches runs the workflow."""

from __future__ import annotations

from typing import Any

import pytest

from shared.db import Database
from shared.events import outbox
from tests.conftest import UserClient
from tests.events.conftest import deliver
from tests.events.helpers import make_trigger, make_workflow, runs_of
from tests.support.fake_pubsub import FakePubSub

CASES = [
    ("equality", {"kind": "video"}, {"kind": "video"}, {"kind": "post"}),
    ("dotted", {"post.stats.views": 10}, {"post": {"stats": {"views": 10}}}, {"post": {}}),
    ("in", {"kind": {"$in": ["a", "b"]}}, {"kind": "b"}, {"kind": "c"}),
    ("ne", {"kind": {"$ne": "draft"}}, {"kind": "final"}, {"kind": "draft"}),
    ("gt", {"score": {"$gt": 0.5}}, {"score": 0.9}, {"score": 0.5}),
    ("gte", {"score": {"$gte": 0.5}}, {"score": 0.5}, {"score": 0.4}),
    ("lt", {"score": {"$lt": 3}}, {"score": 2}, {"score": 3}),
    ("lte", {"score": {"$lte": 3}}, {"score": 3}, {"score": 4}),
    ("exists", {"tag": {"$exists": True}}, {"tag": None}, {"other": 1}),
    ("not_exists", {"tag": {"$exists": False}}, {"other": 1}, {"tag": "x"}),
    ("contains_list", {"tags": {"$contains": "ai"}}, {"tags": ["ml", "ai"]}, {"tags": ["ml"]}),
    ("contains_text", {"title": {"$contains": "launch"}}, {"title": "the launch"}, {"title": "x"}),
    ("range", {"n": {"$gt": 1, "$lt": 5}}, {"n": 3}, {"n": 5}),
    ("all_entries", {"a": 1, "b": {"$gte": 2}}, {"a": 1, "b": 2}, {"a": 1, "b": 1}),
]


@pytest.mark.parametrize(
    ("name", "conditions", "matching", "other"), CASES, ids=[c[0] for c in CASES]
)
def test_only_the_event_whose_payload_matches_runs_the_workflow(
    db: Database,
    alice: UserClient,
    dispatch_client: Any,
    published: FakePubSub,
    name: str,
    conditions: dict[str, Any],
    matching: dict[str, Any],
    other: dict[str, Any],
) -> None:
    event_type = f"cond.{name}"
    workflow = make_workflow(alice)
    make_trigger(alice, event_type, workflow, conditions)
    with db.transaction() as tx:
        outbox.record(tx, "alice", event_type, other)
        outbox.record(tx, "alice", event_type, matching)
    for message in published.publisher.take():
        assert deliver(dispatch_client, message).status_code == 200
    [run] = runs_of(db, workflow)
    assert run["trigger_data"]["payload"] == matching
