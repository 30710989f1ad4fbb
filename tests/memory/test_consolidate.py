"""Consolidation: similar recent episodes become one fact, old trivia is archived, and
a second run changes nothing."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Mapping
from typing import Any

from shared.db import Database
from shared.memory.consolidate import consolidate
from shared.memory.episodic import record_interaction
from shared.model.offline import OfflineModel
from shared.model.port import ModelFailure, Result, T, TaskType, Usage
from tests.conftest import JWT_SECRET, ROOT, UserClient


class ModelThatCannotGenerate(OfflineModel):
    """A model whose generation is down (rate limited) while embeddings still work."""

    def generate_structured(
        self,
        prompt: str,
        schema: type[T],
        *,
        system: str | None = None,
        data: Mapping[str, Any] | None = None,
    ) -> Result[T]:
        raise ModelFailure("quota exhausted", kind="rate_limited", usage=Usage(calls=1))

    def embed(
        self, texts: list[str], task_type: TaskType = "RETRIEVAL_DOCUMENT"
    ) -> Result[list[list[float]]]:
        return super().embed(texts, task_type)


def episodes(user: str) -> list[dict[str, Any]]:
    rows = [
        record_interaction(
            user,
            "scribe_01",
            "draft",
            "blog post about pricing pages",
            f"outline with {n} sections",
            "success",
            {},
        )
        for n in ("five", "six", "seven")
    ]
    rows.append(
        record_interaction(user, "herald_01", "publish", "tweet thread", "posted", "success", {})
    )
    return rows


def snapshot(db: Database, user: str) -> Any:
    with db.transaction() as tx:
        return [
            tx.all(
                f"SELECT * FROM {table} WHERE user_id = %s ORDER BY id",
                (user,),
            )
            for table in (
                "episodic_memories",
                "semantic_memories",
                "memory_history",
                "usage_events",
            )
        ]


def test_similar_episodes_are_summarised_into_a_fact_linked_to_them(
    db: Database, user: str
) -> None:
    rows = episodes(user)
    similar = sorted(str(r["id"]) for r in rows[:3])
    report = consolidate(user)
    assert report["groups"] == 1
    assert report["merged"] == 3
    assert not report["degraded"]
    [summary] = report["summarised"]
    assert sorted(summary["sources"]) == similar
    with db.transaction() as tx:
        fact = tx.one(
            "SELECT * FROM semantic_memories WHERE user_id = %s AND id = %s",
            (user, summary["memoryId"]),
        )
        marked = tx.all(
            "SELECT id FROM episodic_memories WHERE user_id = %s AND consolidated_at IS NOT NULL",
            (user,),
        )
    assert fact is not None
    assert fact["source"] == "consolidation"
    assert sorted(str(s) for s in fact["source_memory_ids"]) == similar
    assert "3 similar draft interactions with scribe_01" in fact["content"]
    assert sorted(str(r["id"]) for r in marked) == similar


def test_a_second_run_right_after_changes_nothing(db: Database, user: str) -> None:
    episodes(user)
    consolidate(user)
    before = snapshot(db, user)
    report = consolidate(user)
    assert report["summarised"] == [] and report["merged"] == 0 and report["archived"] == 0
    assert snapshot(db, user) == before


def test_old_low_importance_episodes_are_archived_not_deleted(db: Database, user: str) -> None:
    trivial = record_interaction(user, "a", "ping", "x", "y", "ok", {}, importance=0.1)
    vital = record_interaction(user, "a", "launch", "x", "y", "ok", {}, importance=0.9)
    recent = record_interaction(user, "a", "pong", "x", "y", "ok", {}, importance=0.1)
    with db.transaction() as tx:
        tx.execute(
            "UPDATE episodic_memories SET created_at = now() - interval '40 days' "
            "WHERE id = ANY(%s::uuid[])",
            ([str(trivial["id"]), str(vital["id"])],),
        )
    assert consolidate(user)["archived"] == 1
    with db.transaction() as tx:
        rows = {
            str(r["id"]): r["archived_at"]
            for r in tx.all(
                "SELECT id, archived_at FROM episodic_memories WHERE user_id = %s", (user,)
            )
        }
    assert len(rows) == 3
    assert rows[str(trivial["id"])] is not None
    assert rows[str(vital["id"])] is None and rows[str(recent["id"])] is None


def test_a_model_failure_degrades_the_run_and_leaves_the_episodes_for_later(
    db: Database, user: str
) -> None:
    episodes(user)
    report = consolidate(user, model=ModelThatCannotGenerate())
    assert report["degraded"] is True
    assert "quota exhausted" in report["errors"][0]
    assert report["summarised"] == []
    with db.transaction() as tx:
        assert tx.scalar("SELECT count(*) FROM semantic_memories WHERE user_id = %s", (user,)) == 0
    assert consolidate(user)["merged"] == 3


def test_the_api_consolidates_the_callers_memory_only(api: Any, user: str, other_user: str) -> None:
    episodes(user)
    episodes(other_user)
    res = UserClient(api, user).post("/api/memory/consolidate")
    assert res.status_code == 200
    assert res.get_json()["merged"] == 3
    assert consolidate(other_user)["merged"] == 3


def test_the_cli_consolidates_one_user(db_url: str, user: str) -> None:
    episodes(user)
    env = {
        **os.environ,
        "DATABASE_URL": db_url,
        "JWT_SECRET": JWT_SECRET,
        "MODEL_PROVIDER": "offline",
    }
    out = subprocess.run(
        [sys.executable, "-m", "shared.cli", "memory", "consolidate", "--user", user],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    report = json.loads(out.stdout)
    assert report["userId"] == user and report["merged"] == 3


def test_the_cli_command_has_help() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "shared.cli", "memory", "consolidate", "--help"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    assert "usage: segp memory consolidate" in out.stdout and "--user" in out.stdout
