"""A string output stays a string; an object output keeps its keys and value types,
and a regeneration that breaks them is discarded."""

from __future__ import annotations

from typing import Any

from shared.db import Database
from shared.evolver.service import evolve
from shared.evolver.shape import fits, revision_schema, shape_of
from tests.evolver.conftest import critiques, model_calls
from tests.support.fake_gemini import FakeGemini

POST: dict[str, Any] = {
    "title": "New presets",
    "content": "Our new preset pack is out.",
    "tags": ["presets", "light"],
    "words": 6,
    "meta": {"draft": True, "class": "post"},
}
BETTER: dict[str, Any] = {
    "title": "A year of light, in ten presets",
    "content": "A year of studio work, now in ten presets.",
    "tags": ["presets"],
    "words": 9,
    "meta": {"draft": False, "class": "post"},
}


def test_an_object_output_is_evolved_into_an_object_of_the_same_shape(
    db: Database, gemini: FakeGemini
) -> None:
    critiques(gemini, 0.5)
    gemini.script_json(BETTER)
    critiques(gemini, 0.9)
    result = evolve("shaped", "scribe_01", POST)
    assert result["original"] == POST
    assert result["evolved"] == BETTER
    assert list(result["evolved"]) == list(POST)


def test_an_object_regeneration_is_asked_for_with_the_originals_shape(
    db: Database, gemini: FakeGemini
) -> None:
    critiques(gemini, 0.5)
    gemini.script_json(BETTER)
    critiques(gemini, 0.9)
    evolve("schema", "scribe_01", POST)
    config = gemini.of("generateContent")[1].body["generationConfig"]
    schema = config.get("responseSchema") or config["responseJsonSchema"]
    assert set(schema["properties"]) == set(POST)
    assert schema["properties"]["words"]["type"].lower() == "integer"


def test_a_regeneration_that_breaks_the_shape_is_discarded(
    db: Database, gemini: FakeGemini
) -> None:
    critiques(gemini, 0.5)
    broken = {**BETTER, "words": "nine"}
    del broken["tags"]
    gemini.script_json(broken, times=2)  # the reply and its one repair
    result = evolve("broken", "scribe_01", POST)
    assert result["evolved"] == POST and result["finalScore"] == 0.5
    assert result["evolutionLog"][-1]["step"] == "regenerate"
    assert result["evolutionLog"][-1]["error"] == "invalid_output"
    assert model_calls(gemini) == 3  # critique, regeneration and its repair; no critique


def test_an_empty_string_regeneration_is_discarded(db: Database, gemini: FakeGemini) -> None:
    critiques(gemini, 0.5)
    gemini.script_json({"content": "   "})
    result = evolve("empty", "scribe_01", "A draft worth keeping.")
    assert result["evolved"] == "A draft worth keeping."
    assert result["stopReason"] == "regeneration discarded"
    assert model_calls(gemini) == 2


def test_a_shape_keeps_integers_apart_from_decimals_and_nulls_accept_anything() -> None:
    shape = shape_of({"n": 3, "x": 1.5, "note": None, "items": [1, "a"]})
    assert fits({"n": 4, "x": 2, "note": {"any": "thing"}, "items": [True]}, shape)
    assert not fits({"n": 4.5, "x": 2, "note": None, "items": []}, shape)
    assert not fits({"n": 4, "x": 2, "note": None}, shape)


def test_the_revision_schema_is_built_once_per_shape() -> None:
    assert revision_schema(shape_of(POST)) is revision_schema(shape_of(BETTER))
