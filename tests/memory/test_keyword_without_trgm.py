"""Keyword recall on a server without pg_trgm (older Cloud SQL instances, a role that
may not create it): full-text search still works, the trigram fallback is not tried."""

from __future__ import annotations

import pytest

from shared.db import Database
from shared.memory.recall import recall
from shared.memory.store import MemoryWrite, store_one


@pytest.fixture(scope="module", autouse=True)
def without_trgm(db: Database) -> None:
    with db.transaction() as tx:
        tx.execute("DROP EXTENSION IF EXISTS pg_trgm CASCADE")  # and the trigram indexes with it
    db.forget_features()
    assert not db.features.pg_trgm


def test_full_text_search_finds_the_exact_word(user: str) -> None:
    name = store_one(user, MemoryWrite(type="semantic", content="Okonkwo runs the studio"))
    [found] = recall(user, "Okonkwo", mode="keyword")
    assert found["id"] == name.memory["id"]
    assert found["scores"]["keyword"]["method"] == "fulltext"


def test_a_misspelling_finds_nothing_by_keyword_and_hybrid_still_answers(user: str) -> None:
    name = store_one(user, MemoryWrite(type="semantic", content="Okonkwo runs the studio"))
    assert recall(user, "Okonkow", mode="keyword") == []
    [found] = recall(user, "Okonkow")
    assert found["id"] == name.memory["id"]
    assert found["matchedBy"] == ["semantic"]
