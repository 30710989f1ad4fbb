"""``GET``/``PUT /api/evolver/settings/<agentId>``: defaults until changed, partial
updates, bad values named, and one user's settings invisible to another."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import UserClient

PATH = "/api/evolver/settings/{}"
DEFAULTS = {"enabled": True, "max_iterations": 3, "threshold": 0.85, "token_budget": None}


def _settings(client: UserClient, agent: str) -> dict[str, Any]:
    res = client.get(PATH.format(agent))
    assert res.status_code == 200, res.get_json()
    body: dict[str, Any] = res.get_json()
    return body


def _knobs(body: dict[str, Any]) -> dict[str, Any]:
    return {k: body[k] for k in DEFAULTS}


def test_an_agent_never_configured_has_the_defaults(alice: UserClient) -> None:
    body = _settings(alice, "oracle_core")
    assert _knobs(body) == DEFAULTS
    assert body["agent_id"] == "oracle_core" and body["updated_at"] is None


def test_a_put_changes_only_the_fields_given(alice: UserClient) -> None:
    res = alice.put(PATH.format("scribe_01"), json={"maxIterations": 5})
    assert res.status_code == 200
    assert _knobs(res.get_json()) == {**DEFAULTS, "max_iterations": 5}
    res = alice.put(PATH.format("scribe_01"), json={"threshold": 0.7, "enabled": False})
    assert _knobs(res.get_json()) == {
        **DEFAULTS,
        "max_iterations": 5,
        "threshold": 0.7,
        "enabled": False,
    }
    assert _knobs(_settings(alice, "scribe_01")) == _knobs(res.get_json())


def test_a_token_budget_is_set_and_removed_with_null(alice: UserClient) -> None:
    res = alice.put(PATH.format("scryer_01"), json={"tokenBudget": 5000})
    assert res.get_json()["token_budget"] == 5000
    res = alice.put(PATH.format("scryer_01"), json={"tokenBudget": None})
    assert res.get_json()["token_budget"] is None


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"maxIterations": 6}, "maxIterations"),
        ({"maxIterations": 0}, "maxIterations"),
        ({"maxIterations": "3"}, "maxIterations"),
        ({"threshold": 1.5}, "threshold"),
        ({"threshold": -0.1}, "threshold"),
        ({"enabled": "yes"}, "enabled"),
        ({"tokenBudget": 10}, "tokenBudget"),
        ({"maxIterations": 2, "colour": "red"}, "colour"),
    ],
)
def test_a_bad_value_is_a_422_naming_the_field_and_changes_nothing(
    bob: UserClient, body: dict[str, Any], field: str
) -> None:
    before = _settings(bob, "brandguard_01")
    res = bob.put(PATH.format("brandguard_01"), json=body)
    assert res.status_code == 422
    assert field in res.get_json()["error"]
    assert _settings(bob, "brandguard_01") == before


def test_a_users_settings_are_invisible_to_another_user(alice: UserClient, bob: UserClient) -> None:
    alice.put(PATH.format("mnemosyne_01"), json={"enabled": False, "threshold": 0.5})
    assert _knobs(_settings(bob, "mnemosyne_01")) == DEFAULTS
    bob.put(PATH.format("mnemosyne_01"), json={"maxIterations": 1})
    assert _knobs(_settings(alice, "mnemosyne_01")) == {
        **DEFAULTS,
        "enabled": False,
        "threshold": 0.5,
    }


def test_a_malformed_agent_id_is_not_found(alice: UserClient) -> None:
    assert alice.get(PATH.format("no%20such agent!")).status_code == 404
    assert alice.put(PATH.format("x" * 101), json={"enabled": False}).status_code == 404


def test_settings_need_a_user_token(api: Any) -> None:
    assert api.get(PATH.format("scribe_01")).status_code == 401


@pytest.mark.parametrize("tiny", [1e-50, 5e-324, 1e-7])
def test_a_threshold_too_small_for_the_database_is_stored_as_zero(
    alice: UserClient, tiny: float
) -> None:
    res = alice.put(PATH.format("scryer"), json={"threshold": tiny})
    assert res.status_code == 200, res.get_json()
    assert _settings(alice, "scryer")["threshold"] == 0.0
