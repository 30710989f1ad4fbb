"""The ``api`` function's frame: a route table on werkzeug's URL map, JWT auth, JSON
bodies and query strings validated by pydantic (bodies with a size limit), answers
shaped by their pydantic response model, CORS, and the OpenAPI entry of each route
declared beside it, so the document cannot miss a route nor disagree with one."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from flask import Request, Response
from pydantic import BaseModel, TypeAdapter
from werkzeug.exceptions import MethodNotAllowed
from werkzeug.exceptions import NotFound as RouteNotFound
from werkzeug.routing import Map, Rule

from shared import logs
from shared.config import get_settings, trace_project
from shared.errors import AppError, NotFound
from shared.web import cors, ratelimit
from shared.web.auth import user_from_header
from shared.web.body import parse_body, parse_json, read_json, read_raw, validation_message
from shared.web.query import parse_query
from shared.web.responses import error_response, json_response, shaped

# the body readers are part of the frame's interface (handlers import them from here)
__all__ = [
    "Api",
    "Ctx",
    "Link",
    "Route",
    "Router",
    "parse_body",
    "parse_json",
    "read_json",
    "read_raw",
    "validation_message",
]

log = logs.get(__name__)


@dataclass
class Ctx:
    """What a handler sees of its request."""

    request: Request
    params: dict[str, Any]
    user_id: str = ""
    body: Any = None
    query: Any = None
    request_id: str = ""


Handler = Callable[[Ctx], Any]


@dataclass(frozen=True)
class Link:
    """An OpenAPI link from a route's success answer to another operation: which of the
    target's parameters (and body fields) take a value of the answer, as runtime
    expressions (``$response.body#/workflow/id``). A client may follow it; the stateful
    contract test does (tests/web/test_contract_stateful.py)."""

    operation: str  # the target's operationId: its handler's name
    parameters: dict[str, str] = field(default_factory=dict)
    body: dict[str, str] | None = None


@dataclass
class Route:
    method: str
    path: str  # werkzeug syntax, e.g. /api/workflow/<id>
    handler: Handler
    summary: str
    # the answer's model: a pydantic model, or a type of them (``list[Workflow]``);
    # a handler returning a flask Response (a stream) answers as it is
    response: Any
    body: type[BaseModel] | None = None
    status: int = 200
    auth: bool = True
    query: type[BaseModel] | None = None
    errors: tuple[int, ...] = ()
    tag: str = "api"
    rate_limit: str | None = None  # a bucket of shared.web.ratelimit, enforced per user
    media_type: str = "application/json"  # of the success response (a handler's Response)
    # other success statuses a handler may answer (returning ``(body, status)``), each
    # with its description, in the response schema's shape
    also: tuple[tuple[int, str], ...] = ()
    links: tuple[Link, ...] = ()  # of each success answer

    @cached_property
    def answer(self) -> TypeAdapter[Any]:
        """The response model as pydantic validates and dumps it."""
        return TypeAdapter(self.response)


class Router:
    def __init__(self) -> None:
        self.routes: list[Route] = []

    def route(
        self,
        method: str,
        path: str,
        *,
        summary: str,
        response: Any,
        body: type[BaseModel] | None = None,
        status: int = 200,
        auth: bool = True,
        query: type[BaseModel] | None = None,
        errors: tuple[int, ...] = (),
        tag: str = "api",
        rate_limit: str | None = None,
        media_type: str = "application/json",
        also: tuple[tuple[int, str], ...] = (),
        links: tuple[Link, ...] = (),
    ) -> Callable[[Handler], Handler]:
        """Declare a route. ``response`` is the model of its answer (see
        ``shared.web.shapes``), ``body`` and ``query`` those of its request.
        ``rate_limit`` names a bucket of ``shared.web.ratelimit`` (e.g. ``"model"`` for
        routes that call the model): the frame counts each authenticated request
        against the user's limit and answers 429 past it. ``links`` say which other
        operations take a value of the answer (an OpenAPI link each)."""
        if rate_limit is not None:
            if rate_limit not in ratelimit.BUCKETS:
                raise ValueError(f"unknown rate limit bucket {rate_limit!r}")
            if not auth:
                raise ValueError("a rate limit is per user: the route must authenticate")

        def register(handler: Handler) -> Handler:
            self.routes.append(
                Route(
                    method,
                    path,
                    handler,
                    summary,
                    response,
                    body=body,
                    status=status,
                    auth=auth,
                    query=query,
                    errors=errors,
                    tag=tag,
                    rate_limit=rate_limit,
                    media_type=media_type,
                    also=also,
                    links=links,
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
        with logs.request_scope(request.headers, trace_project()) as rid:
            route: Route | None = None
            origins: frozenset[str] = frozenset()
            try:
                if "Origin" in request.headers:  # only a browser's request can be CORS
                    origins = get_settings().cors_origins
                answered = self._preflight(request, origins)
                if answered is not None:
                    response = answered
                else:
                    route, params = self._match(request)
                    response = self._run(route, params, request, rid)
            except Exception as exc:  # the single place errors become responses
                response = error_response(exc)
            # the route's pattern, not the path: a path may hold a secret (a webhook key)
            where = route.path if route else "(no route)"
            log.info("%s %s answered %d", request.method, where, response.status_code)
        response.headers["X-Request-Id"] = rid
        if origins:
            cors.admit(request, response, origins)
        return response

    def _adapter(self, request: Request) -> Any:
        path = request.path if request.path.startswith("/api") else "/api" + request.path
        return self._map.bind("segp", path_info=path)

    def _preflight(self, request: Request, origins: frozenset[str]) -> Response | None:
        """A CORS preflight from a browser, answered before any route runs (no token)."""
        if not origins or not cors.is_preflight(request):
            return None
        # the route table's methods of the path (werkzeug adds HEAD to each GET)
        methods = set(self._adapter(request).allowed_methods()) - {"HEAD"}
        return cors.preflight(request, origins, methods) if methods else None

    def _match(self, request: Request) -> tuple[Route, dict[str, Any]]:
        adapter = self._adapter(request)
        try:
            endpoint, params = adapter.match(method=request.method)
        except MethodNotAllowed as exc:  # an unknown route, as the contract has it: 404
            allowed = ", ".join(sorted(exc.valid_methods or []))
            raise NotFound(
                f"no route {request.method} {request.path} (it takes {allowed})"
            ) from None
        except RouteNotFound:
            raise NotFound(f"no route {request.method} {request.path}") from None
        return self.routes[endpoint], dict(params)

    def _run(self, route: Route, params: dict[str, Any], request: Request, rid: str) -> Response:
        ctx = Ctx(request=request, params=params, request_id=rid)
        if route.auth:
            settings = get_settings()
            if not settings.jwt_secret:
                raise AppError("JWT_SECRET is not configured")
            ctx.user_id = user_from_header(
                request.headers.get("Authorization"),
                settings.jwt_secret,
                leeway=settings.jwt_leeway_seconds,
            )
        if route.query is not None:
            ctx.query = parse_query(request, route.query)
        if route.body is not None:
            ctx.body = parse_body(request, route.body)
        if route.rate_limit is not None:
            ratelimit.enforce(ctx.user_id, route.rate_limit)
        result = route.handler(ctx)
        if isinstance(result, Response):
            return result
        body, status = result if isinstance(result, tuple) else (result, route.status)
        return json_response(shaped(route.answer, body, f"{route.method} {route.path}"), status)
