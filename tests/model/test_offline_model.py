"""The offline model: deterministic, honest about being heuristic, typed failures."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest
from pydantic import BaseModel

from shared.model.offline import OFFLINE_MARKER, OfflineModel, heuristic
from shared.model.port import ModelFailure


class WordCount(BaseModel):
    words: int
    rubric: str


class Unregistered(BaseModel):
    anything: str


class Broken(BaseModel):
    score: int


@heuristic(WordCount)
def _count(prompt: str, data: Mapping[str, Any]) -> WordCount:
    return WordCount(
        words=len(str(data["text"]).split()), rubric="heuristic: words split on spaces"
    )


@heuristic(Broken)
def _broken(prompt: str, data: Mapping[str, Any]) -> Any:
    return {"score": "high"}


def test_structured_generation_answers_from_the_registered_heuristic() -> None:
    result = OfflineModel().generate_structured("Count.", WordCount, data={"text": "a b c"})
    assert result.value == WordCount(words=3, rubric="heuristic: words split on spaces")
    assert result.usage.calls == 1


def test_a_schema_without_a_heuristic_is_a_permanent_failure() -> None:
    with pytest.raises(ModelFailure) as failure:
        OfflineModel().generate_structured("Anything.", Unregistered)
    assert failure.value.kind == "permanent"
    assert "Unregistered" in str(failure.value)


def test_a_heuristic_answer_that_does_not_fit_is_invalid_output() -> None:
    with pytest.raises(ModelFailure) as failure:
        OfflineModel().generate_structured("Score.", Broken)
    assert failure.value.kind == "invalid_output"


def test_text_generation_is_the_tidied_material_marked_offline() -> None:
    prompt = "  Draft:   grow the   list.\nGrow the list.\n\n\n\nThanks  "
    assert OfflineModel().generate_text(prompt).value == (
        f"{OFFLINE_MARKER} Draft: grow the list.\nGrow the list.\n\nThanks"
    )


def test_text_generation_drops_repeated_lines() -> None:
    text = OfflineModel().generate_text("Post daily.\npost   daily.\nMeasure.").value
    assert text == f"{OFFLINE_MARKER} Post daily.\nMeasure."


def test_the_offline_model_is_deterministic() -> None:
    one, two = OfflineModel(), OfflineModel()
    prompt = "Plan the week:\n- newsletter\n- launch"
    assert one.generate_text(prompt).value == two.generate_text(prompt).value
    assert one.embed([prompt]).value == two.embed([prompt]).value
    assert one.generate_structured("x", WordCount, data={"text": prompt}) == (
        two.generate_structured("x", WordCount, data={"text": prompt})
    )
