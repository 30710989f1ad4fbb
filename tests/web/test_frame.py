"""The api function's frame: auth, bodies, errors, health, unknown routes."""

from __future__ import annotations

import base64
import json
import logging
import time
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

import jwt
import pytest
from flask import Flask
from pydantic import BaseModel, Field

from shared.errors import Conflict, RateLimited
from shared.web.router import Api, Ctx, Router
from shared.web.shapes import Number, ResponseModel, Success, optional_key
from tests.conftest import JWT_SECRET, auth


def test_health_needs_no_token_and_checks_the_database(api: Any) -> None:
    res = api.get("/api/health")
    assert res.status_code == 200
    assert res.get_json() == {"status": "ok", "database": "ok", "model": "offline"}


def test_an_unknown_route_is_a_json_404(api: Any) -> None:
    res = api.get("/api/no/such/route", headers=auth("alice"))
    assert res.status_code == 404
    assert "error" in res.get_json()


def test_a_known_path_with_another_method_is_a_json_404(api: Any) -> None:
    res = api.post("/api/health")
    assert res.status_code == 404
    assert "GET" in res.get_json()["error"]


def test_without_cors_origins_a_preflight_is_an_unknown_route(api: Any) -> None:
    headers = {"Origin": "https://nexus.example.com", "Access-Control-Request-Method": "GET"}
    res = api.open("/api/workflows", method="OPTIONS", headers=headers)
    assert res.status_code == 404
    assert "no route OPTIONS" in res.get_json()["error"]
    assert not [k for k, _ in res.headers.items() if k.lower().startswith("access-control-")]
    assert "Vary" not in res.headers


def test_the_path_without_the_api_prefix_reaches_the_same_route(api: Any) -> None:
    # Cloud Functions strips the function name from cloudfunctions.net URLs.
    assert api.get("/health").status_code == 200


# A small router exercising the frame on its own terms.
class Echo(BaseModel):
    name: str = Field(min_length=1, max_length=20)
    count: int = Field(1, ge=1)


class Echoed(ResponseModel):
    user: str
    name: str
    count: int


probe = Router()


@probe.route("POST", "/api/probe/echo", summary="echo", body=Echo, response=Echoed)
def echo(ctx: Ctx) -> dict[str, Any]:
    return {"user": ctx.user_id, "name": ctx.body.name, "count": ctx.body.count}


@probe.route("POST", "/api/probe/conflict", summary="conflict", response=Success)
def conflict(ctx: Ctx) -> None:
    raise Conflict("already there")


@probe.route("POST", "/api/probe/busy", summary="busy", response=Success)
def busy(ctx: Ctx) -> None:
    raise RateLimited("slow down", retry_after=2.5)


@probe.route("POST", "/api/probe/bug", summary="bug", response=Success)
def bug(ctx: Ctx) -> None:
    raise KeyError("secret-internal-detail")


class Stamped(ResponseModel):
    id: UUID
    at: datetime
    total: Number
    note: str = optional_key()


WHEN = datetime(2026, 11, 27, 9, 0, 0, 120000, tzinfo=UTC)
ID = UUID("6f2c1d1e-0c0b-4c56-9d5b-0e8a4f3f2a10")


@probe.route("GET", "/api/probe/stamped", summary="stamped", response=Stamped)
def stamped(ctx: Ctx) -> dict[str, Any]:
    return {"id": ID, "at": WHEN, "total": Decimal("12")}


@probe.route("GET", "/api/probe/noted", summary="noted", response=Stamped, also=((202, "x"),))
def noted(ctx: Ctx) -> tuple[dict[str, Any], int]:
    return {"id": str(ID), "at": WHEN, "total": 1.5, "note": "n"}, 202


@probe.route("GET", "/api/probe/drifted", summary="drifted", response=Stamped)
def drifted(ctx: Ctx) -> dict[str, Any]:
    return {"id": ID, "at": WHEN, "total": 1, "surprise": True}


@probe.route("GET", "/api/probe/short", summary="short", response=Stamped)
def short(ctx: Ctx) -> dict[str, Any]:
    return {"id": ID, "total": 1}


@pytest.fixture(scope="module")
def frame(settings: Any) -> Any:
    app = Flask("probe")
    handler = Api([probe])
    app.add_url_rule(
        "/<path:p>",
        "all",
        lambda p: handler(__import__("flask").request),
        methods=["GET", "POST", "PUT", "DELETE"],
    )
    return app.test_client()


def token(claims: dict[str, Any], secret: str = JWT_SECRET, alg: str = "HS256") -> str:
    return jwt.encode(claims, secret, algorithm=alg)


def post(frame: Any, path: str, headers: dict[str, str] | None = None, **kw: Any) -> Any:
    return frame.post(path, headers=headers if headers is not None else auth("alice"), **kw)


def test_a_valid_token_names_the_user_by_id_claim(frame: Any) -> None:
    res = post(
        frame,
        "/api/probe/echo",
        json={"name": "x"},
        headers={"Authorization": f"Bearer {token({'id': 'u-7'})}"},
    )
    assert res.status_code == 200 and res.get_json()["user"] == "u-7"


@pytest.mark.parametrize("empty", [None, ""])
def test_the_sub_claim_is_used_when_the_id_claim_is_empty(frame: Any, empty: str | None) -> None:
    res = post(
        frame,
        "/api/probe/echo",
        json={"name": "x"},
        headers={"Authorization": f"Bearer {token({'id': empty, 'sub': 'u-9'})}"},
    )
    assert res.status_code == 200 and res.get_json()["user"] == "u-9"


def test_the_sub_claim_is_used_when_there_is_no_id(frame: Any) -> None:
    res = post(
        frame,
        "/api/probe/echo",
        json={"name": "x"},
        headers={"Authorization": f"Bearer {token({'sub': 'u-8'})}"},
    )
    assert res.get_json()["user"] == "u-8"


def _none_alg_token() -> str:
    def b64(d: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(d).encode()).rstrip(b"=").decode()

    return f"{b64({'alg': 'none', 'typ': 'JWT'})}.{b64({'id': 'mallory'})}."


@pytest.mark.parametrize(
    "header",
    [
        None,
        "Basic abc",
        "Bearer ",
        "Bearer not.a.jwt",
        f"Bearer {token({'id': 'u1', 'exp': int(time.time()) - 60})}",
        f"Bearer {token({'id': 'u1'}, secret='wrong-secret-0123456789abcdef01234')}",
        f"Bearer {_none_alg_token()}",
        f"Bearer {token({'id': 'u1'}, alg='HS512')}",
        f"Bearer {token({'role': 'admin'})}",
    ],
    ids=[
        "missing",
        "basic",
        "empty",
        "malformed",
        "expired",
        "wrong-signature",
        "alg-none",
        "other-alg",
        "no-user",
    ],
)
def test_bad_tokens_are_401_with_an_error(frame: Any, header: str | None) -> None:
    headers = {"Authorization": header} if header is not None else {}
    res = post(frame, "/api/probe/echo", json={"name": "x"}, headers=headers)
    assert res.status_code == 401
    assert isinstance(res.get_json()["error"], str)


def test_a_tampered_token_is_refused(frame: Any) -> None:
    good = token({"id": "alice"})
    head, _payload, sig = good.split(".")
    forged = base64.urlsafe_b64encode(json.dumps({"id": "bob"}).encode()).rstrip(b"=").decode()
    res = post(
        frame,
        "/api/probe/echo",
        json={"name": "x"},
        headers={"Authorization": f"Bearer {head}.{forged}.{sig}"},
    )
    assert res.status_code == 401


def test_a_body_over_the_limit_is_413(frame: Any, settings: Any) -> None:
    big = json.dumps({"name": "x", "pad": "a" * settings.max_body_bytes})
    res = post(frame, "/api/probe/echo", data=big, content_type="application/json")
    assert res.status_code == 413 and "error" in res.get_json()


def test_a_body_that_is_not_json_is_400(frame: Any) -> None:
    res = post(frame, "/api/probe/echo", data="{nope", content_type="application/json")
    assert res.status_code == 400 and "JSON" in res.get_json()["error"]


@pytest.mark.parametrize("body", [b"[1, 2]", b"null", b" null\n"])
def test_a_body_that_is_not_an_object_is_400(frame: Any, body: bytes) -> None:
    res = post(frame, "/api/probe/echo", data=body, content_type="application/json")
    assert res.status_code == 400
    assert "must be a JSON object" in res.get_json()["error"]


def test_an_empty_body_is_an_empty_object(frame: Any) -> None:
    """Echo's one required field is missing from {}: the body was read as an object."""
    res = post(frame, "/api/probe/echo", data=b"", content_type="application/json")
    assert res.status_code == 422 and "name" in res.get_json()["error"]


def test_white_space_alone_is_not_json(frame: Any) -> None:
    """Not a JSON text (RFC 8259 needs a value): 400, as any body that is not JSON."""
    res = post(frame, "/api/probe/echo", data=b" \n", content_type="application/json")
    assert res.status_code == 400 and "not valid JSON" in res.get_json()["error"]


def test_invalid_values_are_422_naming_the_field(frame: Any) -> None:
    res = post(frame, "/api/probe/echo", json={"name": "", "count": 0})
    assert res.status_code == 422
    error = res.get_json()["error"]
    assert "name" in error and "count" in error


def test_errors_map_to_their_status_codes(frame: Any) -> None:
    assert post(frame, "/api/probe/conflict").status_code == 409
    busy = post(frame, "/api/probe/busy")
    assert busy.status_code == 429 and busy.headers["Retry-After"] == "3"


def test_an_unexpected_error_is_a_500_that_reveals_nothing(frame: Any) -> None:
    res = post(frame, "/api/probe/bug")
    assert res.status_code == 500
    assert res.get_json() == {"error": "internal error"}


def test_an_answer_goes_out_as_its_model_dumps_it_with_the_keys_given(frame: Any) -> None:
    res = frame.get("/api/probe/stamped", headers=auth("alice"))
    assert res.status_code == 200
    # times as isoformat (never "Z"), an integral aggregate as an integer, and the
    # optional key the handler left out left out (not null)
    assert json.loads(res.data) == {
        "id": str(ID),
        "at": "2026-11-27T09:00:00.120000+00:00",
        "total": 12,
    }


def test_an_answer_with_another_status_is_shaped_by_the_same_model(frame: Any) -> None:
    res = frame.get("/api/probe/noted", headers=auth("alice"))
    assert res.status_code == 202
    assert res.get_json() == {"id": str(ID), "at": WHEN.isoformat(), "total": 1.5, "note": "n"}


@pytest.mark.parametrize(
    ("path", "named"), [("/api/probe/drifted", "surprise"), ("/api/probe/short", "at")]
)
def test_an_answer_its_model_does_not_admit_is_a_logged_500(
    frame: Any, caplog: pytest.LogCaptureFixture, path: str, named: str
) -> None:
    with caplog.at_level(logging.ERROR):
        res = frame.get(path, headers=auth("alice"))
    assert (res.status_code, res.get_json()) == (500, {"error": "internal error"})
    [record] = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert "does not fit its response model" in str(record.exc_info[1])
    assert named in str(record.exc_info[1])


def test_every_response_carries_a_request_id(frame: Any) -> None:
    res = post(
        frame, "/api/probe/echo", json={"name": "x"}, headers={**auth("a"), "X-Request-Id": "r-1"}
    )
    assert res.headers["X-Request-Id"] == "r-1"
