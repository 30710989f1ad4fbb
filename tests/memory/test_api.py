"""The memory routes: the bodies of docs/concepts/memory.md, field-named errors, tenancy, OpenAPI."""

from __future__ import annotations

from typing import Any

import pytest

from shared.db import Database
from tests.conftest import UserClient


@pytest.fixture
def me(api: Any, user: str) -> UserClient:
    return UserClient(api, user)


def test_store_returns_201_with_the_row_and_no_embedding(me: UserClient) -> None:
    res = me.post(
        "/api/memory/store",
        json={
            "type": "episodic",
            "content": "Drafted the launch email",
            "agentId": "scribe_01",
            "interactionType": "draft",
            "outcome": "success",
            "metadata": {"campaign": "spring"},
        },
    )
    assert res.status_code == 201
    body = res.get_json()
    assert body["success"] is True and body["action"] == "created"
    memory = body["memory"]
    assert memory["type"] == "episodic"
    assert memory["user_id"] == me.user
    assert memory["content"] == "Drafted the launch email"
    assert memory["agent_id"] == "scribe_01"
    assert memory["interaction_type"] == "draft"
    assert memory["outcome"] == "success"
    assert memory["context"] == {"campaign": "spring"}
    assert "embedding" not in memory


def test_an_identical_store_says_it_refreshed(me: UserClient) -> None:
    body = {"type": "semantic", "content": "Prefers dark mode", "category": "preferences"}
    first = me.post("/api/memory/store", json=body).get_json()
    again = me.post("/api/memory/store", json=body).get_json()
    assert again["action"] == "refreshed"
    assert again["memory"]["id"] == first["memory"]["id"]


def test_recall_returns_memories_with_similarity(me: UserClient) -> None:
    me.post("/api/memory/store", json={"type": "semantic", "content": "Lives in Lisbon"})
    me.post(
        "/api/memory/store",
        json={"type": "procedural", "content": "Post at 9am Lisbon time", "agentId": "herald_01"},
    )
    res = me.post("/api/memory/recall", json={"query": "Lisbon", "type": "semantic", "limit": 5})
    assert res.status_code == 200
    [memory] = res.get_json()["memories"]
    assert memory["content"] == "Lives in Lisbon"
    assert 0 < memory["similarity"] <= 1
    assert "embedding" not in memory


def test_another_users_memory_is_never_recalled(api: Any, me: UserClient, other_user: str) -> None:
    me.post("/api/memory/store", json={"type": "semantic", "content": "PIN hint: the dog's name"})
    them = UserClient(api, other_user)
    res = them.post("/api/memory/recall", json={"query": "PIN hint: the dog's name"})
    assert res.get_json() == {"memories": []}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"content": "x"}, "type"),
        ({"type": "dreams", "content": "x"}, "type"),
        ({"type": "semantic"}, "content"),
        ({"type": "semantic", "content": "   "}, "content"),
        ({"type": "semantic", "content": "x" * 8001}, "content"),
        ({"type": "semantic", "content": "x", "metadata": []}, "metadata"),
        ({"type": "semantic", "content": "x", "metadata": {"k": "v" * 17000}}, "metadata"),
        ({"type": "episodic", "content": "x", "importance": 2}, "importance"),
        ({"type": "procedural", "content": "x"}, "agentId"),
    ],
)
def test_bad_store_bodies_name_the_field_and_store_nothing(
    db: Database, me: UserClient, body: dict[str, Any], field: str
) -> None:
    res = me.post("/api/memory/store", json=body)
    assert res.status_code == 422
    assert field in res.get_json()["error"]
    with db.transaction() as tx:
        for table in ("episodic_memories", "semantic_memories", "procedural_memories"):
            assert tx.scalar(f"SELECT count(*) FROM {table} WHERE user_id = %s", (me.user,)) == 0


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "query"),
        ({"query": ""}, "query"),
        ({"query": "x", "limit": 0}, "limit"),
        ({"query": "x", "limit": 51}, "limit"),
        ({"query": "x", "type": "all"}, "type"),
        ({"query": "x", "since": "yesterday"}, "since"),
        ({"query": "x", "since": "2026-02-01T00:00:00Z", "until": "2026-01-01T00:00:00Z"}, "until"),
    ],
)
def test_bad_recall_bodies_name_the_field(me: UserClient, body: dict[str, Any], field: str) -> None:
    res = me.post("/api/memory/recall", json=body)
    assert res.status_code == 422
    assert field in res.get_json()["error"]


def test_memory_routes_need_a_token(api: Any) -> None:
    for path in ("/api/memory/store", "/api/memory/recall", "/api/memory/consolidate"):
        assert api.post(path, json={}).status_code == 401
    assert api.get("/api/soul/retrieve").status_code == 401


def test_every_memory_and_soul_route_is_in_the_openapi_document(api: Any) -> None:
    paths = api.get("/api/openapi.json").get_json()["paths"]
    for method, path in [
        ("post", "/api/memory/store"),
        ("post", "/api/memory/recall"),
        ("post", "/api/memory/consolidate"),
        ("post", "/api/soul/ingest"),
        ("get", "/api/soul/retrieve"),
    ]:
        op = paths[path][method]
        assert op["summary"] and op["tags"] in (["memory"], ["soul"])
    store = paths["/api/memory/store"]["post"]
    assert "201" in store["responses"] and "422" in store["responses"]


def test_the_document_states_that_a_procedural_memory_names_its_agent(alice: Any) -> None:
    schema = alice.get("/api/openapi.json").get_json()["components"]["schemas"]["StoreMemory"]
    assert schema["if"]["properties"]["type"] == {"const": "procedural"}
    assert schema["then"] == {
        "required": ["agentId"],
        "properties": {"agentId": {"type": "string"}},
    }
    for body in ({}, {"agentId": None}):
        body = {"type": "procedural", "content": "steps", **body}
        res = alice.post("/api/memory/store", json=body)
        assert res.status_code == 422 and "agentId" in res.get_json()["error"]


def test_a_confidence_too_small_for_a_real_is_stored_as_zero(alice: Any) -> None:
    body = {"type": "semantic", "content": "tiny", "confidence": 1.48e-307}
    res = alice.post("/api/memory/store", json=body)
    assert res.status_code == 201, res.get_json()
    assert res.get_json()["memory"]["confidence"] == 0
