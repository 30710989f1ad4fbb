"""The condition language of docs/concepts/runs.md, shared by triggers and condition steps."""

from __future__ import annotations

from typing import Any

import pytest

from shared.conditions import matches, validate
from shared.errors import BadRequest

POST = {
    "title": "Launch day",
    "score": 0.85,
    "views": 1200,
    "published": True,
    "tags": ["launch", "video"],
    "author": {"name": "Ada", "stats": {"followers": 300}},
    "note": None,
}


@pytest.mark.parametrize(
    ("conditions", "expected"),
    [
        ({}, True),
        (None, True),
        ({"title": "Launch day"}, True),
        ({"title": "launch day"}, False),
        ({"author.name": "Ada"}, True),
        ({"author.stats.followers": {"$gte": 300}}, True),
        ({"author.stats.followers": {"$gt": 300}}, False),
        ({"tags.0": "launch"}, True),
        ({"score": {"$gte": 0.8, "$lt": 0.9}}, True),
        ({"score": {"$gte": 0.8, "$lt": 0.85}}, False),
        ({"views": {"$lte": 1200}}, True),
        ({"title": {"$in": ["Launch day", "Other"]}}, True),
        ({"title": {"$in": ["Other"]}}, False),
        ({"title": {"$ne": "Other"}}, True),
        ({"missing": {"$ne": "x"}}, True),
        ({"missing": {"$exists": False}}, True),
        ({"note": {"$exists": True}}, True),
        ({"title": {"$contains": "Launch"}}, True),
        ({"tags": {"$contains": "video"}}, True),
        ({"tags": {"$contains": "audio"}}, False),
        ({"title": "Launch day", "views": {"$gt": 5000}}, False),
        ({"published": 1}, False),
        ({"views": 1200.0}, True),
        ({"views": {"$gt": "1000"}}, False),
        ({"missing": None}, False),
        ({"note": None}, True),
        ({"author": {"name": "Ada", "stats": {"followers": 300}}}, True),
    ],
)
def test_conditions_match_as_documented(conditions: dict[str, Any] | None, expected: bool) -> None:
    validate(conditions)
    assert matches(conditions, POST) is expected


def test_a_missing_field_fails_every_comparison() -> None:
    for op in ("$gt", "$gte", "$lt", "$lte"):
        assert not matches({"absent": {op: 0}}, POST)
    assert not matches({"absent": {"$in": [None]}}, POST)
    assert not matches({"absent": {"$contains": "x"}}, POST)


@pytest.mark.parametrize(
    ("conditions", "named"),
    [
        ({"title": {"$regex": "^L"}}, "$regex"),
        ({"title": {"$in": "Launch"}}, "$in takes a list"),
        ({"score": {"$gt": [1]}}, "$gt takes a number or a string"),
        ({"note": {"$exists": "yes"}}, "$exists takes true or false"),
        ({"title": {"$ne": 1, "plain": 2}}, "mixed with operators"),
        ({"$in": [1]}, "operator where a field name belongs"),
        ({"a..b": 1}, "empty part"),
        ({"deep": {"a": {"b": {"c": {"d": {"e": {"f": {"g": 1}}}}}}}}, "nested deeper"),
        ([1, 2], "must be a JSON object"),
    ],
)
def test_invalid_conditions_are_refused_naming_the_problem(conditions: Any, named: str) -> None:
    with pytest.raises(BadRequest) as err:
        validate(conditions)
    assert named in err.value.message
