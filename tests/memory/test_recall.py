"""Recall: per user, with filters and a similarity, never an embedding."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from shared.db import Database
from shared.errors import Invalid
from shared.memory.episodic import record_interaction
from shared.memory.recall import recall
from shared.memory.store import MemoryWrite, store, store_one

SECRET = "Alice's launch date for the course is the third of March"


def test_another_user_never_recalls_a_memory_even_with_the_same_text_and_query(
    user: str, other_user: str
) -> None:
    store_one(user, MemoryWrite(type="semantic", content=SECRET))
    assert recall(other_user, SECRET) == []
    store_one(other_user, MemoryWrite(type="semantic", content=SECRET))
    theirs = recall(other_user, SECRET)
    mine = recall(user, SECRET)
    assert [r["user_id"] for r in theirs] == [other_user]
    assert [r["user_id"] for r in mine] == [user]
    assert theirs[0]["id"] != mine[0]["id"]


def test_recalled_memories_carry_type_and_similarity_but_no_embedding(user: str) -> None:
    store_one(user, MemoryWrite(type="semantic", content=SECRET))
    [found] = recall(user, SECRET)
    assert found["type"] == "semantic"
    assert found["similarity"] == pytest.approx(1.0, abs=1e-5)
    assert "embedding" not in found
    assert "content_hash" not in found


def test_results_are_ordered_by_similarity_across_stores(user: str) -> None:
    store(
        user,
        [
            MemoryWrite(type="semantic", content="Posts videos about sourdough baking"),
            MemoryWrite(
                type="procedural",
                content="For sourdough videos, open with the crumb shot",
                fields={"agent_id": "scribe_01", "name": "hook"},
            ),
            MemoryWrite(type="semantic", content="Has two cats"),
        ],
    )
    found = recall(user, "sourdough videos", mode="semantic")
    assert {r["type"] for r in found} == {"semantic", "procedural"}
    sims = [r["similarity"] for r in found]
    assert sims == sorted(sims, reverse=True)
    assert len(recall(user, "sourdough videos", limit=1)) == 1


def test_filters_by_type_agent_and_category(user: str) -> None:
    record_interaction(user, "scribe_01", "generate", "sourdough post", "draft", "success", {})
    record_interaction(user, "herald_01", "publish", "sourdough post", "live", "success", {})
    store_one(
        user,
        MemoryWrite(
            type="semantic", content="Sourdough post did well", fields={"category": "results"}
        ),
    )
    assert {r["type"] for r in recall(user, "sourdough post", type="episodic")} == {"episodic"}
    assert [r["agent_id"] for r in recall(user, "sourdough post", agent_id="herald_01")] == [
        "herald_01"
    ]
    by_category = recall(user, "sourdough post", category="results")
    assert [r["content"] for r in by_category] == ["Sourdough post did well"]
    assert [r["interaction_type"] for r in recall(user, "sourdough", category="publish")] == [
        "publish"
    ]


def test_filters_by_time_range(db: Database, user: str) -> None:
    old = record_interaction(user, "scribe_01", "generate", "holiday post", "x", "success", {})
    new = record_interaction(user, "scribe_01", "generate", "holiday reel", "y", "success", {})
    with db.transaction() as tx:
        tx.execute(
            "UPDATE episodic_memories SET created_at = now() - interval '10 days' WHERE id = %s",
            (old["id"],),
        )
    week_ago = datetime.now(UTC) - timedelta(days=7)
    assert [r["id"] for r in recall(user, "holiday", since=week_ago)] == [new["id"]]
    assert [r["id"] for r in recall(user, "holiday", until=week_ago)] == [old["id"]]


def test_archived_and_expired_memories_are_not_recalled(db: Database, user: str) -> None:
    gone = record_interaction(user, "scribe_01", "generate", "winter sale", "x", "success", {})
    fact = store_one(user, MemoryWrite(type="semantic", content="Winter sale runs all week"))
    with db.transaction() as tx:
        tx.execute("UPDATE episodic_memories SET archived_at = now() WHERE id = %s", (gone["id"],))
        tx.execute(
            "UPDATE semantic_memories SET valid_until = now() - interval '1 day' WHERE id = %s",
            (fact.memory["id"],),
        )
    assert recall(user, "winter sale") == []


def test_rows_of_another_embedding_model_are_not_compared_but_found_by_keyword(
    db: Database, user: str
) -> None:
    stored = store_one(user, MemoryWrite(type="semantic", content="Drinks oat milk"))
    with db.transaction() as tx:
        tx.execute(
            "UPDATE semantic_memories SET embedding_model = 'retired-model' WHERE id = %s",
            (stored.memory["id"],),
        )
    assert recall(user, "Drinks oat milk", mode="semantic") == []
    [found] = recall(user, "Drinks oat milk")
    assert found["matchedBy"] == ["keyword"]
    assert found["similarity"] is None


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"query": "  "}, "query"),
        ({"query": "x", "limit": 0}, "limit"),
        ({"query": "x", "limit": 51}, "limit"),
        ({"query": "x", "type": "dreams"}, "type"),
    ],
)
def test_bad_arguments_name_the_field(user: str, kwargs: dict[str, object], field: str) -> None:
    query = str(kwargs.pop("query"))
    with pytest.raises(Invalid, match=f"^{field}:"):
        recall(user, query, **kwargs)  # type: ignore[arg-type]
