"""The context agents put into prompts: soul first, relevant memory, within budget."""

from __future__ import annotations

import pytest

from shared.memory.context import build_context
from shared.memory.episodic import record_interaction
from shared.memory.soul import ingest
from shared.memory.store import MemoryWrite, store


def furnish(user: str) -> None:
    ingest(
        user, {"tone": "warm, plain", "avoid": ["synergy"], "audience": "bakers"}, ["Hi bakers!"]
    )
    facts = [f"Fact {i}: the bakery sells {i} kinds of rye bread on weekends" for i in range(12)]
    facts += ["The owner is allergic to hazelnuts", "Newsletter goes out on Fridays"]
    store(
        user, [MemoryWrite(type="semantic", content=f, fields={"category": "shop"}) for f in facts]
    )
    for i in range(12):
        record_interaction(
            user, "scribe_01", "draft", f"post {i} about rye", f"draft {i}", "success", {}
        )
    store(
        user,
        [
            MemoryWrite(
                type="procedural",
                content=f"Procedure {i}: open with a photo of the crumb",
                fields={"agent_id": "scribe_01", "name": f"hook {i}"},
            )
            for i in range(5)
        ],
    )


def test_the_soul_comes_first(user: str) -> None:
    furnish(user)
    context = build_context(user, "scribe_01", "rye bread")
    assert context.text.startswith("## Voice (Digital Soul v1)\ntone: warm, plain")
    assert context.soul is not None and context.soul["version"] == 1
    assert "exemplar: Hi bakers!" in context.text


@pytest.mark.parametrize("budget", [120, 600, 1500, 4000, 20000])
def test_the_context_stays_within_its_budget(user: str, budget: int) -> None:
    furnish(user)
    context = build_context(user, "scribe_01", "rye bread", budget_chars=budget)
    assert len(context.text) <= budget
    assert context.text.startswith("## Voice")


def test_relevant_facts_recent_interactions_and_the_agents_procedures_are_included(
    user: str,
) -> None:
    furnish(user)
    context = build_context(
        user, "scribe_01", "is the owner allergic to hazelnuts", budget_chars=20000
    )
    assert "## Relevant facts" in context.text
    assert context.semantic[0]["content"] == "The owner is allergic to hazelnuts"
    assert "## Recent interactions" in context.text and len(context.episodic) == 10
    assert "## Procedures of scribe_01" in context.text and len(context.procedural) == 5
    for item in context.items:
        assert item["content"] in context.text


def test_every_section_gets_a_share_of_a_small_budget(user: str) -> None:
    furnish(user)
    context = build_context(user, "scribe_01", "rye bread", budget_chars=1200)
    assert context.semantic and context.episodic and context.procedural


def test_the_same_state_gives_the_same_text(user: str) -> None:
    furnish(user)
    first = build_context(user, "scribe_01", "rye bread")
    assert build_context(user, "scribe_01", "rye bread").text == first.text


def test_a_user_with_no_memory_gets_an_empty_context(user: str) -> None:
    context = build_context(user, None, "anything")
    assert context.text == "" and context.soul is None and context.items == []


def test_another_users_memory_never_enters_the_context(user: str, other_user: str) -> None:
    furnish(user)
    context = build_context(other_user, "scribe_01", "rye bread")
    assert context.text == ""
