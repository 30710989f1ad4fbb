"""The ``api`` function's frame: a route table on werkzeug's URL map, JWT auth, JSON
bodies validated by pydantic with a size limit, and the OpenAPI entry of each route
declared beside it, so the document cannot miss a route."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask import Request, Response
from pydantic import BaseModel, ValidationError
from werkzeug.exceptions import MethodNotAllowed
from werkzeug.exceptions import NotFound as RouteNotFound
from werkzeug.routing import Map, Rule

from shared import logs
from shared.config import get_settings
from shared.errors import AppError, BadRequest, Invalid, NotFound, TooLarge
from shared.web.auth import user_from_header
from shared.web.responses import error_response, json_response

Schema = dict[str, Any]
OBJECT: Schema = {"type": "object"}


@dataclass
class Ctx:
    """What a handler sees of its request."""

    request: Request
    params: dict[str, Any]
    user_id: str = ""
    body: Any = None
    request_id: str = ""

    @property
    def query(self) -> dict[str, str]:
        return dict(self.request.args.items())


Handler = Callable[[Ctx], Any]


@dataclass
class Route:
    method: str
    path: str  # werkzeug syntax, e.g. /api/workflow/<id>
    handler: Handler
    summary: str
    body: type[BaseModel] | None = None
    response: type[BaseModel] | Schema = field(default_factory=lambda: OBJECT)
    status: int = 200
    auth: bool = True
    query: dict[str, Schema] = field(default_factory=dict)
    errors: tuple[int, ...] = ()
    tag: str = "api"


class Router:
    def __init__(self) -> None:
        self.routes: list[Route] = []

    def route(
        self,
        method: str,
        path: str,
        *,
        summary: str,
        body: type[BaseModel] | None = None,
        response: type[BaseModel] | Schema = OBJECT,
        status: int = 200,
        auth: bool = True,
        query: dict[str, Schema] | None = None,
        errors: tuple[int, ...] = (),
        tag: str = "api",
    ) -> Callable[[Handler], Handler]:
        def register(handler: Handler) -> Handler:
            self.routes.append(
                Route(
                    method,
                    path,
                    handler,
                    summary,
                    body,
                    response,
                    status,
                    auth,
                    query or {},
                    errors,
                    tag,
                )
            )
            return handler

        return register


class Api:
    """Dispatches requests over the routes of several routers."""

    def __init__(self, routers: list[Router]) -> None:
        self.routes = [r for router in routers for r in router.routes]
        self._map = Map(
            [Rule(r.path, methods=[r.method], endpoint=i) for i, r in enumerate(self.routes)],
            strict_slashes=False,
            merge_slashes=False,
        )

    def __call__(self, request: Request) -> Response:
        rid = request.headers.get("X-Request-Id") or uuid.uuid4().hex
        token = logs.request_id.set(rid)
        trace = request.headers.get("X-Cloud-Trace-Context", "").split("/")[0] or None
        trace_token = logs.trace.set(trace)
        try:
            response = self._dispatch(request, rid)
        except Exception as exc:  # the single place errors become responses
            response = error_response(exc)
        finally:
            logs.request_id.reset(token)
            logs.trace.reset(trace_token)
        response.headers["X-Request-Id"] = rid
        return response

    def _dispatch(self, request: Request, rid: str) -> Response:
        path = request.path if request.path.startswith("/api") else "/api" + request.path
        adapter = self._map.bind("segp", path_info=path)
        try:
            endpoint, params = adapter.match(method=request.method)
        except MethodNotAllowed as exc:  # an unknown route, as the contract has it: 404
            allowed = ", ".join(sorted(exc.valid_methods or []))
            raise NotFound(
                f"no route {request.method} {request.path} (it takes {allowed})"
            ) from None
        except RouteNotFound:
            raise NotFound(f"no route {request.method} {request.path}") from None
        route = self.routes[endpoint]
        ctx = Ctx(request=request, params=dict(params), request_id=rid)
        if route.auth:
            settings = get_settings()
            if not settings.jwt_secret:
                raise AppError("JWT_SECRET is not configured")
            ctx.user_id = user_from_header(
                request.headers.get("Authorization"), settings.jwt_secret
            )
        if route.body is not None:
            ctx.body = parse_body(request, route.body)
        result = route.handler(ctx)
        if isinstance(result, Response):
            return result
        if isinstance(result, tuple):
            body, status = result
            return json_response(body, status)
        return json_response(result, route.status)


def read_raw(request: Request) -> bytes:
    """The request's body as bytes, read with the size limit: 413 past it."""
    limit = get_settings().max_body_bytes
    if request.content_length is not None and request.content_length > limit:
        raise TooLarge(f"request body larger than {limit} bytes")
    raw: bytes = request.stream.read(limit + 1)
    if len(raw) > limit:
        raise TooLarge(f"request body larger than {limit} bytes")
    return raw


def read_json(request: Request) -> Any:
    """The request's JSON, read with the size limit: 413 past it, 400 when not JSON."""
    return parse_json(read_raw(request))


def parse_json(raw: bytes) -> Any:
    """``None`` for an empty body; 400 when it is not JSON."""
    if not raw.strip():
        return None
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise BadRequest("request body is not valid JSON") from None


def validation_message(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors()[:10]:
        where = ".".join(str(p) for p in err["loc"]) or "body"
        parts.append(f"{where}: {err['msg']}")
    return "invalid request body: " + "; ".join(parts)


def parse_body(request: Request, model: type[BaseModel]) -> BaseModel:
    data = read_json(request)
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise BadRequest("request body must be a JSON object")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise Invalid(validation_message(exc)) from None
