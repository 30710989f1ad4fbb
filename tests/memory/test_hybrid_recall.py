"""Hybrid recall: a keyword ranking (full-text search, trigrams for misspellings) fused
with the semantic one, each memory saying which ranking found it.

The offline embedder hashes words, so a rare word (a product code, a hashtag, a name)
inside a long memory weighs little beside short memories that share the query's common
word: the semantic ranking puts those first, while full-text search finds only the
memory that holds the rare word. The other way round, a query whose words a memory
shares only in part is close to it by meaning but not a full-text match."""

from __future__ import annotations

from typing import Any

import pytest

from shared.db import Database
from shared.errors import Invalid
from shared.memory.context import build_context
from shared.memory.recall import recall, recall_with_usage
from shared.memory.store import MemoryWrite, store, store_one
from tests.conftest import UserClient
from tests.memory.conftest import LONG_FACT
from tests.support.fake_gemini import FakeGemini

# (query, the sentence of the memory only keyword search finds, the common words)
RARE = [
    ("SKU-4471-B", "The refund was for order SKU-4471-B, shipped late", "sku b"),
    ("#launchweek recap", "Her #launchweek recap thread did best on Thursday", "recap"),
    ("Okonkwo feedback", "Chidi Okonkwo sent feedback on the pricing page", "feedback"),
]


def rare_memory(user: str, sentence: str, common: str, distractors: int = 8) -> Any:
    """A long memory holding ``sentence``, and short ones sharing only ``common``."""
    store(
        user,
        [MemoryWrite(type="semantic", content=f"{common} {i}") for i in range(distractors)],
    )
    return store_one(user, MemoryWrite(type="semantic", content=f"{LONG_FACT}. {sentence}"))


def ids(rows: list[dict[str, Any]]) -> list[str]:
    return [str(r["id"]) for r in rows]


@pytest.mark.parametrize(("query", "sentence", "common"), RARE)
def test_a_rare_word_is_found_by_keyword_where_meaning_misses_it(
    user: str, query: str, sentence: str, common: str
) -> None:
    target = str(rare_memory(user, sentence, common).memory["id"])
    assert target not in ids(recall(user, query, mode="semantic", limit=3))
    [found] = recall(user, query, mode="keyword", limit=3)
    assert str(found["id"]) == target
    assert found["matchedBy"] == ["keyword"]
    assert found["scores"]["keyword"]["method"] == "fulltext"
    assert found["similarity"] is None  # keyword mode compares no vectors
    hybrid = {str(r["id"]): r for r in recall(user, query, limit=3)}
    assert hybrid[target]["matchedBy"] == ["keyword"]
    assert set(hybrid[target]["scores"]) == {"keyword"}
    assert hybrid[target]["similarity"] is not None  # compared, just not ranked high


def test_a_memory_close_in_meaning_but_not_a_keyword_match_is_found_by_meaning(
    user: str,
) -> None:
    fact = store_one(user, MemoryWrite(type="semantic", content=LONG_FACT)).memory
    store_one(user, MemoryWrite(type="semantic", content="Has two cats and a dog"))
    query = "which growth newsletter tips do founders want"
    assert recall(user, query, mode="keyword") == []
    [best, *_] = recall(user, query)
    assert best["id"] == fact["id"]
    assert best["matchedBy"] == ["semantic"]
    assert best["scores"]["semantic"]["rank"] == 1


def test_a_memory_both_rankings_find_says_so_and_ranks_first(user: str) -> None:
    both = store_one(user, MemoryWrite(type="semantic", content="Ships SKU-4471-B in March"))
    rare_memory(user, "Nothing about codes here", "sku b")
    [best, *_] = recall(user, "SKU-4471-B")
    assert best["id"] == both.memory["id"]
    assert best["matchedBy"] == ["semantic", "keyword"]
    assert best["scores"]["semantic"]["rank"] == best["scores"]["keyword"]["rank"] == 1
    assert best["score"] == pytest.approx(2 / 61)


@pytest.fixture
def trgm(db: Database) -> bool:
    """Whether the server has pg_trgm: the embedded one does; pgvector 0.6's wheel, one
    of the servers the suite also runs on, does not (test_keyword_without_trgm.py)."""
    return db.features.pg_trgm


def test_a_misspelled_name_is_found_by_trigram_similarity(user: str, trgm: bool) -> None:
    name = store_one(user, MemoryWrite(type="semantic", content="Okonkwo runs the studio"))
    store_one(user, MemoryWrite(type="semantic", content="Runs a bakery in Porto"))
    found = recall(user, "Okonkow", mode="keyword")
    if not trgm:
        assert found == []
        return
    [found] = found
    assert found["id"] == name.memory["id"]
    assert found["scores"]["keyword"]["method"] == "trigram"
    assert 0 < found["scores"]["keyword"]["score"] < 1


def test_a_fragment_of_a_product_code_is_found_by_trigram_similarity(user: str, trgm: bool) -> None:
    code = store_one(user, MemoryWrite(type="semantic", content="Reorder SKU-4471-B monthly"))
    found = recall(user, "4471-B", mode="keyword")
    if not trgm:
        assert found == []
        return
    [found] = found
    assert found["id"] == code.memory["id"]
    assert found["scores"]["keyword"]["method"] == "trigram"


def test_keyword_recall_is_scoped_to_the_user(user: str, other_user: str) -> None:
    store_one(other_user, MemoryWrite(type="semantic", content="Order SKU-4471-B refunded"))
    store_one(other_user, MemoryWrite(type="semantic", content="Okonkwo runs the studio"))
    for query in ("SKU-4471-B", "Okonkow"):
        assert recall(user, query, mode="keyword") == []
        assert recall(user, query) == []


def test_keyword_recall_respects_the_filters(user: str) -> None:
    store_one(
        user,
        MemoryWrite(type="semantic", content="SKU-4471-B sold out", fields={"category": "stock"}),
    )
    assert recall(user, "SKU-4471-B", mode="keyword", category="pricing") == []
    assert recall(user, "SKU-4471-B", mode="keyword", type="episodic") == []
    assert len(recall(user, "SKU-4471-B", mode="keyword", category="stock")) == 1


def test_keyword_recall_does_not_call_the_model(user: str) -> None:
    store_one(user, MemoryWrite(type="semantic", content="Order SKU-4471-B refunded"))
    _, usage = recall_with_usage(user, "SKU-4471-B", mode="keyword")
    assert usage.calls == 0
    _, usage = recall_with_usage(user, "SKU-4471-B")
    assert usage.calls == 1


def test_an_unknown_mode_names_the_field(user: str) -> None:
    with pytest.raises(Invalid, match=r"^mode:"):
        recall(user, "x", mode="fuzzy")  # type: ignore[arg-type]


def test_the_recall_route_takes_a_mode(api: Any, user: str) -> None:
    me = UserClient(api, user)
    rare_memory(user, "The refund was for order SKU-4471-B", "sku b")
    body = {"query": "SKU-4471-B", "limit": 3}
    keyword = me.post("/api/memory/recall", json={**body, "mode": "keyword"}).get_json()
    assert [m["matchedBy"] for m in keyword["memories"]] == [["keyword"]]
    semantic = me.post("/api/memory/recall", json={**body, "mode": "semantic"}).get_json()
    assert all(m["matchedBy"] == ["semantic"] for m in semantic["memories"])
    hybrid = me.post("/api/memory/recall", json=body).get_json()["memories"]
    assert {tuple(m["matchedBy"]) for m in hybrid} == {("semantic",), ("keyword",)}


def test_a_bad_mode_is_a_422_naming_it(api: Any, user: str) -> None:
    res = UserClient(api, user).post("/api/memory/recall", json={"query": "x", "mode": "fuzzy"})
    assert res.status_code == 422
    assert "mode" in res.get_json()["error"]


def test_the_context_includes_a_fact_only_keyword_search_finds(user: str) -> None:
    target = rare_memory(user, "The refund was for order SKU-4471-B", "sku b", distractors=12)
    semantic = recall(user, "SKU-4471-B", mode="semantic", type="semantic")
    assert str(target.memory["id"]) not in ids(semantic)
    context = build_context(user, None, "SKU-4471-B")
    assert str(target.memory["id"]) in ids(context.semantic)
    assert "SKU-4471-B" in context.text


def test_the_context_falls_back_to_keyword_recall_when_embedding_fails(
    user: str, fake_gemini: FakeGemini
) -> None:
    store_one(user, MemoryWrite(type="semantic", content="Prefers dark mode", fields={}))
    store_one(user, MemoryWrite(type="semantic", content="Order SKU-4471-B refunded"))
    fake_gemini.configure()
    fake_gemini.fail(400, times=5)
    context = build_context(user, None, "SKU-4471-B")
    assert context.degraded
    assert [f["content"] for f in context.semantic] == ["Order SKU-4471-B refunded"]
