"""Templates over trigger, input and earlier steps' outputs: looked up, never evaluated."""

from __future__ import annotations

import pytest

from shared.workflows.templating import TemplateError, placeholders, referenced_steps, render

SCOPE = {
    "trigger": {"payload": {"topic": "tides", "score": 0.9, "tags": ["a", "b"]}},
    "input": {"count": 3, "flag": False},
    "steps": {"draft": {"output": {"title": "Tides", "meta": {"words": 120}}}},
}


def test_a_string_that_is_one_placeholder_keeps_the_values_json_type() -> None:
    assert render("{{trigger.payload.score}}", SCOPE) == 0.9
    assert render("{{ trigger.payload.tags }}", SCOPE) == ["a", "b"]
    assert render("{{steps.draft.output.meta}}", SCOPE) == {"words": 120}
    assert render("{{input.flag}}", SCOPE) is False


def test_placeholders_inside_longer_strings_are_stringified() -> None:
    text = "{{steps.draft.output.title}}: {{input.count}} {{trigger.payload.tags}} {{input.flag}}"
    assert render(text, SCOPE) == 'Tides: 3 ["a","b"] false'


def test_missing_paths_are_null_alone_and_empty_inside_text() -> None:
    assert render("{{trigger.payload.nothing}}", SCOPE) is None
    assert render("x{{steps.draft.output.nothing.deeper}}y", SCOPE) == "xy"


def test_objects_and_lists_are_rendered_recursively_and_keys_are_left_alone() -> None:
    value = {"{{input.count}}": ["{{input.count}}", {"t": "{{steps.draft.output.title}}"}], "n": 1}
    assert render(value, SCOPE) == {"{{input.count}}": [3, {"t": "Tides"}], "n": 1}


def test_a_placeholder_is_a_path_never_an_expression() -> None:
    assert render("{{input.count + 1}}", SCOPE) is None
    with pytest.raises(TemplateError):
        referenced_steps("input.count + 1")
    with pytest.raises(TemplateError):
        referenced_steps("__import__('os')")


def test_references_name_their_step_and_roots_are_checked() -> None:
    assert list(placeholders({"a": ["{{steps.x.output.y}} {{input.z}}"]})) == [
        "steps.x.output.y",
        "input.z",
    ]
    assert referenced_steps("steps.x.output.y") == "x"
    assert referenced_steps("trigger.payload") is None
    with pytest.raises(TemplateError):
        referenced_steps("env.SECRET")
    with pytest.raises(TemplateError):
        referenced_steps("steps.x.input")
