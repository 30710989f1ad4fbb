"""The JSON bounds: depth measured on text before any parser sees it, values walked
without recursion, and everything PostgreSQL or UTF-8 cannot hold named by its path."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from shared.storable import Bounds, Unstorable, check, dumps, loads, problem, scrub, text_depth

BOUNDS = Bounds(max_depth=8, max_bytes=4096)
FAR_TOO_DEEP = 200_000  # far past Python's recursion limit


def nested(depth: int, leaf: Any = 1) -> Any:
    value = leaf
    for _ in range(depth):
        value = {"k": value}
    return value


def test_text_depth_counts_nesting_and_ignores_brackets_inside_strings() -> None:
    assert text_depth('{"a": [1, {"b": []}]}') == 4
    assert text_depth('["[[[[", "\\"]]]]{{{{"]') == 1
    assert text_depth("1") == 0


def test_text_depth_of_an_unterminated_string_counts_what_came_before() -> None:
    assert text_depth('[[["abc [[[[[[[[') == 3


def test_text_nested_past_the_bound_is_refused_before_it_is_parsed() -> None:
    with pytest.raises(Unstorable) as raised:
        loads("[" * FAR_TOO_DEEP + "]" * FAR_TOO_DEEP, Bounds(64, 10**6), what="body")
    assert raised.value.status == 400
    assert raised.value.message == "body: is nested deeper than 64 levels (JSON_MAX_DEPTH)"


def test_text_past_the_size_bound_is_refused_as_too_large() -> None:
    with pytest.raises(Unstorable) as raised:
        loads(json.dumps("a" * 5000), BOUNDS, what="body")
    assert raised.value.status == 413
    assert "larger than 4096 bytes" in raised.value.message


def test_text_within_the_bounds_parses_as_json_loads_does() -> None:
    text = json.dumps({"a": [1, 2.5, None, "x"], "b": nested(6)})
    assert loads(text, BOUNDS, what="body") == json.loads(text)
    assert loads(text.encode("utf-16"), BOUNDS, what="body") == json.loads(text)


def test_text_that_is_not_json_is_a_value_error() -> None:
    with pytest.raises(json.JSONDecodeError):
        loads("{not json", BOUNDS, what="body")


def test_a_value_nested_far_past_the_bound_is_refused_without_recursion() -> None:
    found = problem(nested(FAR_TOO_DEEP), BOUNDS, name="payload")
    assert found is not None
    assert found.where == "payload" + ".k" * 8
    assert found.problem == "is nested deeper than 8 levels (JSON_MAX_DEPTH)"


@pytest.mark.parametrize(
    ("value", "where", "says"),
    [
        ({"a": [1, {"b": "x\x00y"}]}, "payload.a.1.b", "NUL character"),
        ({"a\x00": 1}, "payload.a\ufffd", "NUL character"),
        ({"t": "x\ud800"}, "payload.t", "lone surrogate (\\ud800)"),
        ({"t\udfff": 1}, "payload.t\ufffd", "lone surrogate (\\udfff)"),
        ({"n": [float("nan")]}, "payload.n.0", "not a finite number"),
        ({"n": float("-inf")}, "payload.n", "not a finite number"),
        (["x" * 5000], "payload", "larger than 4096 bytes"),
    ],
)
def test_what_cannot_be_stored_is_named_by_its_path(value: Any, where: str, says: str) -> None:
    found = problem(value, BOUNDS, name="payload")
    assert found is not None
    assert found.where == where and says in found.problem
    with pytest.raises(Unstorable):
        check(value, BOUNDS)


def test_the_first_problem_in_document_order_is_the_one_named() -> None:
    found = problem({"a": "x\x00", "b": "y\x00"}, BOUNDS, name="v")
    assert found is not None and found.where == "v.a"


def test_a_long_key_is_cut_in_the_path() -> None:
    found = problem({"k" * 500: "\x00"}, BOUNDS, name="v")
    assert found is not None and found.where == "v." + "k" * 40 + "..."


def test_dumps_checks_the_exact_size_of_the_text() -> None:
    escaped = "\x01" * 1000  # 1,000 characters, 6,000 bytes of JSON
    assert problem([escaped], BOUNDS) is None
    with pytest.raises(Unstorable) as raised:
        dumps([escaped], BOUNDS, name="payload")
    assert raised.value.status == 413 and raised.value.where == "payload"


def test_dumps_writes_compact_utf8_json() -> None:
    assert dumps({"é": [1, None]}, BOUNDS) == '{"é":[1,null]}'


def test_scrub_replaces_nul_and_lone_surrogates() -> None:
    assert scrub("a\x00b\ud800c") == "a\ufffdb\ufffdc"


TEXT = st.characters(codec="utf-8", exclude_characters="\x00")  # storable text
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(TEXT, max_size=5),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(TEXT, max_size=3), inner),
    max_leaves=30,
)


@hsettings(max_examples=200, derandomize=True, database=None)
@given(value=json_values, depth=st.integers(0, 10))
def test_the_text_and_the_value_agree_on_depth(value: Any, depth: int) -> None:
    bounds = Bounds(max_depth=depth, max_bytes=10**6)
    refused = problem(value, bounds)
    assert (refused is not None) == (text_depth(json.dumps(value)) > depth)
