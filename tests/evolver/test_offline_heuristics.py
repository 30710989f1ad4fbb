"""The offline critic's rubric and reviser, as stated in their docstring."""

from __future__ import annotations

from shared.evolver.heuristics import critique, revise, revise_text

SOUL = {"semantic_fingerprint": {"avoid": ["hustle"], "vocabulary": ["light"]}}
CLEAN = "Soft window light does most of the work. Set up early and let the morning help you."


def test_a_clean_output_in_the_creators_vocabulary_scores_full_marks() -> None:
    verdict = critique(CLEAN, SOUL)
    assert verdict.score == 1.0 and not verdict.shouldImprove and verdict.issues == []


def test_avoided_phrases_repeats_and_stock_phrases_each_cost_what_the_rubric_says() -> None:
    text = CLEAN + " Pure hustle, at the end of the day. Set up early and let the morning help you."
    verdict = critique(text, SOUL)
    assert verdict.score == round(1.0 - 0.2 - 0.15 - 0.1, 4)
    assert verdict.shouldImprove and verdict.voiceConsistency == 0.75


def test_only_unfixable_issues_do_not_ask_for_a_rewrite() -> None:
    verdict = critique("Soft light, early.", SOUL)  # short, and nothing says what it lacks
    assert verdict.score < 0.85 and not verdict.shouldImprove


def test_every_issue_comes_with_a_suggestion() -> None:
    text = (
        "NOW!!! BUY THIS. Pure hustle, at the end of the day. Pure hustle, at the end of the day."
    )
    verdict = critique(text, SOUL)
    assert len(verdict.issues) == len(verdict.suggestions) == 5


def test_a_shouted_draft_asks_for_a_rewrite_and_the_reviser_lowers_its_voice() -> None:
    draft = "NEW PRESETS FOR EVERYONE!!! Soft window light does the work, all day long!!!"
    verdict = critique(draft, None)
    assert verdict.score == 0.9 and verdict.shouldImprove
    assert any("sentence case" in s for s in verdict.suggestions)
    revised = revise_text(draft, None)
    assert revised == "New presets for everyone! Soft window light does the work, all day long."
    assert "shouting" not in " ".join(critique(revised, None).issues)


def test_a_too_short_draft_gets_the_parts_its_context_names() -> None:
    context = {"topic": "the spring preset pack", "audience": "portrait photographers"}
    verdict = critique("Out now.", None, context)
    assert verdict.shouldImprove and "from the context" in verdict.suggestions[0]
    revised = revise_text("Out now.", None, context)
    assert revised == "Out now. About the spring preset pack. For portrait photographers."
    assert critique(revised, None, context).score == 1.0


def test_an_agent_steps_request_inside_the_context_names_the_parts_too() -> None:
    context = {"action": "generate", "request": {"topic": "golden hour", "format": "post"}}
    assert revise_text("Out now", None, context) == "Out now. About golden hour."


def test_the_reviser_removes_avoided_phrases_and_repeated_sentences() -> None:
    text = "Pure hustle builds the light. Pure hustle builds the light. Rest matters."
    assert revise_text(text, SOUL) == "Pure builds the light. Rest matters."


def test_the_reviser_leaves_a_text_it_would_empty_as_it_was() -> None:
    assert revise_text("Hustle!", SOUL) == "Hustle!"


def test_the_reviser_keeps_an_objects_structure() -> None:
    post = {"title": "Hustle light", "words": 2, "tags": ["hustle"], "draft": True}
    assert revise(post, SOUL) == {
        "title": "Light",
        "words": 2,
        "tags": ["hustle"],
        "draft": True,
    }
