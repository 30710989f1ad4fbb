"""The Digital Soul: versioned, merged, one current version per user."""

from __future__ import annotations

import threading
from typing import Any

from shared.db import Database
from shared.memory.soul import current_soul, ingest, soul_versions
from tests.conftest import UserClient


def test_a_user_without_a_soul_has_none(api: Any, user: str) -> None:
    assert current_soul(user) is None
    res = UserClient(api, user).get("/api/soul/retrieve")
    assert res.status_code == 200
    assert res.get_json() == {"soul": None}


def test_an_update_is_a_new_version_and_keeps_the_previous(user: str) -> None:
    first, _ = ingest(user, {"tone": "warm", "audience": "indie founders"}, ["Hi friends!"])
    second, changed = ingest(user, {"tone": "dry"})
    assert changed
    assert (first["version"], second["version"]) == (1, 2)
    assert second["semantic_fingerprint"] == {"tone": "dry", "audience": "indie founders"}
    assert second["exemplars"] == ["Hi friends!"]
    versions = soul_versions(user)
    assert [(v["version"], v["is_current"]) for v in versions] == [(2, True), (1, False)]
    assert versions[1]["semantic_fingerprint"]["tone"] == "warm"
    current = current_soul(user)
    assert current is not None and current["id"] == second["id"]


def test_a_key_set_to_null_is_removed(user: str) -> None:
    ingest(user, {"tone": "warm", "avoid": ["synergy"]})
    soul, _ = ingest(user, {"avoid": None})
    assert soul["semantic_fingerprint"] == {"tone": "warm"}


def test_an_ingest_that_changes_nothing_writes_no_version(db: Database, user: str) -> None:
    ingest(user, {"tone": "warm"}, ["Hello"])
    soul, changed = ingest(user, {"tone": "warm"})
    assert not changed and soul["version"] == 1
    with db.transaction() as tx:
        events = tx.scalar(
            "SELECT count(*) FROM usage_events WHERE user_id = %s AND event_type = 'soul.updated'",
            (user,),
        )
    assert events == 1


def test_concurrent_ingests_get_distinct_versions_and_one_current(user: str) -> None:
    barrier = threading.Barrier(5)

    def write(i: int) -> None:
        barrier.wait()
        ingest(user, {"tone": f"tone {i}"})

    threads = [threading.Thread(target=write, args=(i,)) for i in range(5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    versions = soul_versions(user)
    assert sorted(v["version"] for v in versions) == [1, 2, 3, 4, 5]
    assert [v["version"] for v in versions if v["is_current"]] == [5]


def test_an_update_emits_soul_updated_in_its_transaction(db: Database, user: str) -> None:
    soul, _ = ingest(user, {"tone": "warm"})
    with db.transaction() as tx:
        event = tx.one(
            "SELECT event_type, event_data FROM usage_events WHERE user_id = %s", (user,)
        )
    assert event == {
        "event_type": "soul.updated",
        "event_data": {"soulId": str(soul["id"]), "version": 1},
    }


def test_ingest_and_retrieve_through_the_api(api: Any, user: str, other_user: str) -> None:
    me = UserClient(api, user)
    res = me.post(
        "/api/soul/ingest",
        json={
            "semanticFingerprint": {"tone": "playful", "vocabulary": ["ship", "craft"], "pace": 3},
            "exemplars": ["Ship it, then polish it."],
        },
    )
    assert res.status_code == 200
    body = res.get_json()
    assert body["success"] is True
    assert body["soul"]["semantic_fingerprint"] == {
        "tone": "playful",
        "vocabulary": ["ship", "craft"],
        "pace": 3,
    }
    assert me.get("/api/soul/retrieve").get_json()["soul"]["id"] == body["soul"]["id"]
    assert UserClient(api, other_user).get("/api/soul/retrieve").get_json() == {"soul": None}


def test_bad_soul_bodies_name_the_field_and_change_nothing(api: Any, user: str) -> None:
    me = UserClient(api, user)
    cases = [
        ({}, "semanticFingerprint"),
        ({"semanticFingerprint": "warm"}, "semanticFingerprint"),
        ({"semanticFingerprint": {"tone": 5}}, "semanticFingerprint.tone"),
        ({"semanticFingerprint": {}, "exemplars": ["ok", ""]}, "exemplars"),
        ({"semanticFingerprint": {}, "exemplars": ["x"] * 21}, "exemplars"),
        ({"semanticFingerprint": {"notes": "x" * 17000}}, "semanticFingerprint"),
    ]
    for body, field in cases:
        res = me.post("/api/soul/ingest", json=body)
        assert res.status_code == 422, body
        assert field in res.get_json()["error"], (field, res.get_json())
    assert current_soul(user) is None
