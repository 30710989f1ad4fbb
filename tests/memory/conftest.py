"""Fixtures of the memory tests: a fresh user per test, so the tests of one module
(which share a database) never see each other's memories."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from pgvector import Vector

from shared import bootstrap
from shared.config import Settings
from shared.db import Database
from shared.model import get_model
from tests.conftest import test_settings

LONG_FACT = (
    "The creator publishes a long form newsletter every Tuesday morning about growth "
    "marketing for indie software founders and small studios, with one case study and "
    "three practical tips each week"
)


@pytest.fixture
def user(settings: Settings) -> str:
    """A user of its own for this test, on the module's configured database."""
    return f"user-{uuid.uuid4().hex[:10]}"


@pytest.fixture
def other_user(settings: Settings) -> str:
    return f"other-{uuid.uuid4().hex[:10]}"


@pytest.fixture
def reconfigure(settings: Settings, db_url: str) -> Iterator[Any]:
    """Run with some settings overridden; the module's settings come back afterwards."""

    def apply(**overrides: Any) -> Settings:
        changed = test_settings(db_url, **overrides)
        bootstrap.configure(changed)
        return changed

    yield apply
    bootstrap.configure(settings)


def bulk(tx: Any, user: str, n: int, query: Vector, noise: float) -> None:
    """``n`` rows for ``user`` near the query (per-dimension noise), in one statement."""
    tx.execute(
        "INSERT INTO episodic_memories (user_id, agent_id, content, content_hash, embedding, "
        "embedding_model) SELECT %s, 'scribe_01', %s || ' row ' || g, %s || g, "
        "(SELECT array_agg(x + (random() - 0.5) * %s + g * 0) "
        " FROM unnest(%s::vector::real[]) x)::vector, %s FROM generate_series(1, %s) g",
        (user, user, user, noise, query, get_model().embedding_model, n),
    )


def exact_top(db: Database, user: str, query: Vector, k: int) -> list[str]:
    with db.transaction() as tx:
        tx.execute("SET LOCAL enable_indexscan = off")
        rows = tx.all(
            "SELECT id FROM episodic_memories WHERE user_id = %s "
            "ORDER BY embedding <=> %s::vector, id LIMIT %s",
            (user, query, k),
        )
    return [str(r["id"]) for r in rows]
