"""CORS for the NEXUS UI: preflights and answers for the listed origins only."""

from __future__ import annotations

from typing import Any

import pytest

from shared import bootstrap
from shared.config import Settings
from shared.errors import ConfigError
from tests.conftest import auth, test_settings

UI = "https://nexus.example.com"
OTHER = "https://evil.example.net"


@pytest.fixture(scope="module")
def settings(db_url: str) -> Settings:
    s = test_settings(db_url, CORS_ALLOWED_ORIGINS=f"{UI}, http://localhost:3000")
    bootstrap.configure(s)
    return s


def preflight(api: Any, path: str, origin: str, method: str = "POST") -> Any:
    headers = {"Origin": origin, "Access-Control-Request-Method": method}
    return api.open(path, method="OPTIONS", headers=headers)


def cors_headers(res: Any) -> dict[str, str]:
    return {k: v for k, v in res.headers.items() if k.lower().startswith("access-control-")}


def test_a_preflight_from_a_listed_origin_needs_no_token_and_names_the_paths_methods(
    api: Any,
) -> None:
    res = preflight(api, "/api/workflow/00000000-0000-0000-0000-000000000000", UI, "PUT")
    assert res.status_code == 204
    assert res.headers["Access-Control-Allow-Origin"] == UI
    assert res.headers["Access-Control-Allow-Methods"] == "DELETE, GET, PUT"
    assert res.headers["Access-Control-Allow-Headers"] == (
        "Authorization, Content-Type, Idempotency-Key"
    )
    assert int(res.headers["Access-Control-Max-Age"]) > 0
    assert "Origin" in res.headers["Vary"]
    assert "Access-Control-Allow-Credentials" not in res.headers


def test_a_preflight_without_the_api_prefix_is_answered_too(api: Any) -> None:
    res = preflight(api, "/workflow", "http://localhost:3000")
    assert res.status_code == 204
    assert res.headers["Access-Control-Allow-Origin"] == "http://localhost:3000"
    assert res.headers["Access-Control-Allow-Methods"] == "POST"


def test_a_preflight_from_another_origin_is_a_403_without_cors_headers(api: Any) -> None:
    res = preflight(api, "/api/workflow", OTHER)
    assert res.status_code == 403
    assert OTHER in res.get_json()["error"]
    assert cors_headers(res) == {}


def test_a_preflight_for_an_unknown_path_is_a_404(api: Any) -> None:
    assert preflight(api, "/api/no/such/route", UI).status_code == 404


def test_an_answer_to_a_listed_origin_may_be_read_by_it(api: Any) -> None:
    res = api.get("/api/workflows", headers={**auth("alice"), "Origin": UI})
    assert res.status_code == 200
    assert res.headers["Access-Control-Allow-Origin"] == UI
    assert "Origin" in res.headers["Vary"]
    assert "Retry-After" in res.headers["Access-Control-Expose-Headers"]
    assert "Access-Control-Allow-Credentials" not in res.headers


def test_an_error_to_a_listed_origin_may_be_read_by_it(api: Any) -> None:
    res = api.get("/api/workflows", headers={"Origin": UI})
    assert res.status_code == 401
    assert res.headers["Access-Control-Allow-Origin"] == UI


def test_an_answer_to_another_origin_carries_no_cors_headers(api: Any) -> None:
    res = api.get("/api/workflows", headers={**auth("alice"), "Origin": OTHER})
    assert res.status_code == 200
    assert cors_headers(res) == {}


@pytest.mark.parametrize("value", ["*", "nexus.example.com", "https://nexus.example.com/"])
def test_an_entry_that_is_not_an_origin_is_a_configuration_error(value: str) -> None:
    with pytest.raises(ConfigError, match="CORS_ALLOWED_ORIGINS"):
        Settings.from_env({"CORS_ALLOWED_ORIGINS": value}, local=True)
