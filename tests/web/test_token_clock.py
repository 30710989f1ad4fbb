"""Tokens signed on another host's clock: the NEXUS server's clock may run a little
ahead of or behind ours, so ``exp``, ``nbf`` and ``iat`` are checked with a bounded
skew (``JWT_LEEWAY_SECONDS``, default 30), against the project's one clock."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import jwt
import pytest

from shared.clock import FixedClock
from shared.config import Settings
from shared.errors import Unauthorized
from shared.web.auth import user_from_header
from tests.conftest import JWT_SECRET, test_settings

NOW = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
T = int(NOW.timestamp())


@pytest.fixture
def at_now(fixed_clock: FixedClock) -> FixedClock:
    fixed_clock.set(NOW)
    return fixed_clock


def bearer(claims: dict[str, Any]) -> str:
    return f"Bearer {jwt.encode(claims, JWT_SECRET, algorithm='HS256')}"


def user(claims: dict[str, Any], leeway: int = 30) -> str:
    return user_from_header(bearer(claims), JWT_SECRET, leeway=leeway)


@pytest.mark.parametrize("ahead", [1, 5, 29])
def test_a_token_issued_on_a_clock_a_little_ahead_is_accepted(at_now: Any, ahead: int) -> None:
    assert user({"id": "u1", "iat": T + ahead, "exp": T + ahead + 3600}) == "u1"


def test_a_fractional_iat_a_moment_ahead_is_accepted(at_now: Any) -> None:
    assert user({"id": "u1", "iat": T + 0.4}) == "u1"


def test_a_token_issued_further_ahead_than_the_leeway_is_refused(at_now: Any) -> None:
    with pytest.raises(Unauthorized, match="issued in the future"):
        user({"id": "u1", "iat": T + 31, "exp": T + 3600})


def test_a_token_not_valid_yet_within_the_leeway_is_accepted(at_now: Any) -> None:
    assert user({"id": "u1", "nbf": T + 20}) == "u1"
    with pytest.raises(Unauthorized, match="not valid yet"):
        user({"id": "u1", "nbf": T + 31})


def test_a_token_expired_by_less_than_the_leeway_is_accepted(at_now: Any) -> None:
    """Signed on a clock behind ours: its expiry has just passed here."""
    assert user({"id": "u1", "iat": T - 3600, "exp": T - 20}) == "u1"


def test_a_token_expired_by_more_than_the_leeway_is_refused(at_now: Any) -> None:
    with pytest.raises(Unauthorized, match="expired"):
        user({"id": "u1", "iat": T - 3600, "exp": T - 31})


def test_a_leeway_of_zero_refuses_a_token_from_one_second_ahead(at_now: Any) -> None:
    with pytest.raises(Unauthorized, match="issued in the future"):
        user({"id": "u1", "iat": T + 1}, leeway=0)


@pytest.mark.parametrize("claim", ["exp", "nbf", "iat"])
def test_a_time_claim_that_is_not_a_number_is_refused(at_now: Any, claim: str) -> None:
    with pytest.raises(Unauthorized, match=claim):
        user({"id": "u1", claim: "soon"})


def test_the_api_takes_its_leeway_from_settings(
    at_now: Any, db_url: str, settings: Settings
) -> None:
    from shared import bootstrap
    from tests.conftest import function_client

    api = function_client("api")
    ahead = {"Authorization": bearer({"id": "u1", "iat": T + 10})}
    assert api.get("/api/workflows", headers=ahead).status_code == 200
    bootstrap.configure(test_settings(db_url, JWT_LEEWAY_SECONDS=0))
    try:
        assert api.get("/api/workflows", headers=ahead).status_code == 401
    finally:
        bootstrap.configure(settings)


@pytest.mark.parametrize(
    "bad", ["a\x00b", "\x00", "x\ud800y"], ids=["nul", "only-nul", "surrogate"]
)
def test_a_signed_token_whose_id_postgres_cannot_store_is_401(
    at_now: Any, settings: Settings, bad: str
) -> None:
    from tests.conftest import function_client

    api = function_client("api")
    token = jwt.encode({"id": bad}, JWT_SECRET, algorithm="HS256")
    res = api.get("/api/workflows", headers={"Authorization": f"Bearer {token}"})
    assert res.status_code == 401 and "user id" in res.get_json()["error"]
