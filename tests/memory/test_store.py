"""Writing memories: embedded, never duplicated, nothing lost."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from shared.db import Database
from shared.memory.episodic import record_interaction
from shared.memory.store import MemoryWrite, store, store_one
from shared.model import get_model
from tests.memory.conftest import LONG_FACT


def fact(content: str, **fields: Any) -> MemoryWrite:
    return MemoryWrite(type="semantic", content=content, fields=fields)


def count(db: Database, table: str, user: str) -> int:
    with db.transaction() as tx:
        return int(tx.scalar(f"SELECT count(*) FROM {table} WHERE user_id = %s", (user,)))


def test_a_stored_memory_is_embedded_and_names_its_embedding_model(db: Database, user: str) -> None:
    stored = store_one(user, fact("Prefers short captions"))
    assert stored.action == "created"
    assert "embedding" not in stored.memory
    assert stored.memory["embedding_model"] == get_model().embedding_model
    with db.transaction() as tx:
        dims = tx.scalar(
            "SELECT vector_dims(embedding) FROM semantic_memories WHERE id = %s",
            (stored.memory["id"],),
        )
    assert dims == 768


def test_several_writes_are_embedded_in_one_batch(user: str) -> None:
    stored, usage = store(user, [fact("Likes cats"), fact("Posts at dawn"), fact("Uses Figma")])
    assert [s.action for s in stored] == ["created"] * 3
    assert usage.calls == 1


def test_an_identical_write_refreshes_the_existing_memory(db: Database, user: str) -> None:
    first = store_one(user, fact("Audience: indie game developers"))
    again = store_one(user, fact("  audience:   INDIE game developers "))
    assert again.action == "refreshed"
    assert again.memory["id"] == first.memory["id"]
    assert again.memory["seen_count"] == 2
    assert again.memory["updated_at"] >= first.memory["updated_at"]
    assert again.memory["content"] == first.memory["content"]
    assert count(db, "semantic_memories", user) == 1


def test_a_near_duplicate_updates_the_memory_and_keeps_the_previous_in_history(
    db: Database, user: str
) -> None:
    first = store_one(user, fact(LONG_FACT + " too", category="schedule"))
    second = store_one(user, fact(LONG_FACT, category="habits"))
    assert second.action == "updated"
    assert second.similarity is not None and second.similarity >= 0.95
    assert second.memory["id"] == first.memory["id"]
    assert second.memory["content"] == LONG_FACT
    assert second.memory["category"] == "habits"
    assert count(db, "semantic_memories", user) == 1
    with db.transaction() as tx:
        history = tx.all(
            "SELECT memory_type, memory_id, previous, reason FROM memory_history "
            "WHERE user_id = %s",
            (user,),
        )
    assert len(history) == 1
    assert history[0]["memory_type"] == "semantic"
    assert history[0]["memory_id"] == first.memory["id"]
    assert history[0]["reason"] == "near_duplicate"
    assert history[0]["previous"]["content"] == LONG_FACT + " too"
    assert history[0]["previous"]["category"] == "schedule"
    assert "embedding" not in history[0]["previous"]


def test_a_write_below_the_threshold_is_a_new_memory(db: Database, user: str) -> None:
    store_one(user, fact(LONG_FACT))
    other = store_one(user, fact(LONG_FACT.replace("Tuesday", "Wednesday")))  # cosine ~0.949
    assert other.action == "created"
    assert count(db, "semantic_memories", user) == 2


def test_the_near_duplicate_threshold_is_a_setting(
    db: Database, user: str, reconfigure: Any
) -> None:
    reconfigure(MEMORY_DEDUPE_THRESHOLD="0.9")
    store_one(user, fact(LONG_FACT))
    other = store_one(user, fact(LONG_FACT.replace("Tuesday", "Wednesday")))
    assert other.action == "updated"
    assert count(db, "semantic_memories", user) == 1


def test_the_same_text_of_two_users_is_two_memories(
    db: Database, user: str, other_user: str
) -> None:
    mine = store_one(user, fact("Writes in British English"))
    theirs = store_one(other_user, fact("Writes in British English"))
    assert theirs.action == "created"
    assert theirs.memory["id"] != mine.memory["id"]


def test_facts_are_the_users_whichever_agent_wrote_them(db: Database, user: str) -> None:
    first = store_one(user, fact(LONG_FACT + " too", agent_id="scribe_01"))
    second = store_one(user, fact(LONG_FACT, agent_id="oracle_01"))
    assert second.action == "updated" and second.memory["id"] == first.memory["id"]


def test_procedures_of_two_agents_are_kept_apart(db: Database, user: str) -> None:
    def procedure(agent: str) -> MemoryWrite:
        return MemoryWrite(
            type="procedural",
            content="Open with a question, then give three numbered tips",
            fields={"agent_id": agent, "name": "listicle"},
        )

    a = store_one(user, procedure("scribe_01"))
    b = store_one(user, procedure("herald_01"))
    assert (a.action, b.action) == ("created", "created")
    assert store_one(user, procedure("scribe_01")).memory["id"] == a.memory["id"]


def test_a_stored_memory_emits_memory_stored_in_its_transaction(db: Database, user: str) -> None:
    created = store_one(user, fact("Never uses emoji"))
    store_one(user, fact("Never uses emoji"))  # a refresh stores nothing new
    with db.transaction() as tx:
        events = tx.all(
            "SELECT event_type, event_data FROM usage_events WHERE user_id = %s", (user,)
        )
    assert events == [
        {
            "event_type": "memory.stored",
            "event_data": {
                "memoryId": str(created.memory["id"]),
                "type": "semantic",
                "action": "created",
                "agentId": None,
            },
        }
    ]


def test_concurrent_identical_writes_store_one_memory(db: Database, user: str) -> None:
    barrier = threading.Barrier(4)
    actions: list[str] = []

    def write() -> None:
        barrier.wait()
        actions.append(store_one(user, fact("Batch-cooks on Sundays")).action)

    threads = [threading.Thread(target=write) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(actions) == ["created", "refreshed", "refreshed", "refreshed"]
    assert count(db, "semantic_memories", user) == 1


def test_record_interaction_returns_the_row_without_the_embedding(user: str) -> None:
    row = record_interaction(
        user,
        "scribe_01",
        "generate",
        "topic: pricing pages",
        "an outline with five sections",
        "success",
        {"workflowId": "w1"},
        importance=0.8,
    )
    assert "embedding" not in row
    assert row["agent_id"] == "scribe_01"
    assert row["interaction_type"] == "generate"
    assert row["outcome"] == "success"
    assert row["context"] == {"workflowId": "w1"}
    assert row["importance"] == pytest.approx(0.8)
    assert "pricing pages" in row["content"]


def test_record_interaction_inside_a_transaction_that_rolls_back_stores_nothing(
    db: Database, user: str
) -> None:
    def step_that_fails_after_recording() -> None:
        with db.transaction() as tx:
            record_interaction(user, "scribe_01", "generate", "in", "out", "success", {}, tx=tx)
            raise RuntimeError("the step failed after recording")

    with pytest.raises(RuntimeError):
        step_that_fails_after_recording()
    assert count(db, "episodic_memories", user) == 0
    with db.transaction() as tx:
        assert tx.scalar("SELECT count(*) FROM usage_events WHERE user_id = %s", (user,)) == 0


def test_a_repeated_interaction_counts_as_seen_again(db: Database, user: str) -> None:
    args = (user, "scribe_01", "generate", "weekly report", "report v1", "success", {})
    first = record_interaction(*args)
    again = record_interaction(*args)
    assert again["id"] == first["id"]
    assert again["seen_count"] == 2
    assert count(db, "episodic_memories", user) == 1
