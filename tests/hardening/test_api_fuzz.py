"""Property-based fuzzing of the HTTP API from its own OpenAPI document.

Every operation the document lists is called in-process (the ``api`` function's WSGI
app, a real database) with requests generated from its schema: valid ones (positive)
and ones that break the schema (negative), as a real user with a real token. Path
parameters are sometimes the ids of that user's real objects, so the handlers behind
the 404 are reached too. Each response must: not be a 5xx other than a documented
503; have a documented status code and a body that matches its schema; reject a
schema-violating request with a 4xx; accept a valid one; and carry ``{"error": ...}``
on every 4xx. Generation is bounded and derandomized, so CI runs the same cases."""

from __future__ import annotations

import json
from typing import Any

import functions_framework
import pytest
import schemathesis
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.specs.openapi.checks import positive_data_acceptance, unsupported_method

from shared.config import Settings
from shared.storable import Bounds, Unstorable, problem
from tests.conftest import MAIN, UserClient, auth
from tests.hardening.objects import Objects, path_values, seed

FUZZER = "fuzzer"
MAX_EXAMPLES = {GenerationMode.POSITIVE: 12, GenerationMode.NEGATIVE: 8}

# Operations whose validation has rules a JSON schema cannot state, so a request that
# fits the document may still be refused with a 4xx naming the rule. Every other check
# holds for them; only "a schema-valid request is accepted" does not.
SEMANTIC_RULES = {
    "POST /api/workflow": "steps must be valid steps (agents that exist, earlier step refs)",
    "PUT /api/workflow/{id}": "steps must be valid steps (agents that exist, earlier step refs)",
    "POST /api/events/triggers": "conditions must use known operators",
    "POST /api/events/trigger/create": "conditions must use known operators",
    "POST /api/improve/experiment": "variant names must be distinct",
    "POST /api/memory/store": "procedural memories need an agentId",
    "POST /api/memory/recall": "until must be after since",
    "GET /api/treasury/ledger": "cursor must be one this API returned",
    "GET /api/workflow/runs": "cursor must be one this API returned",
    "GET /api/evolver/history": "cursor must be one this API returned",
    "POST /api/scheduler/tasks": "cronExpression and timezone must be valid",
    "PUT /api/scheduler/{id}": "cronExpression and timezone must be valid",
    "PUT /api/reasoning/goal/{goalId}": "a status change must be one the lifecycle allows",
}

APP = functions_framework.create_app(target="api", source=MAIN)
# the API ignores query parameters and body fields it does not know (the document says
# so), so sending one is not a schema violation it must refuse
CONFIG = schemathesis.Config.from_dict({"generation": {"allow-extra-parameters": False}})
SCHEMA = schemathesis.openapi.from_wsgi("/api/openapi.json", APP, config=CONFIG)
OPERATIONS = [result.ok() for result in SCHEMA.get_all_operations()]


def error_body_on_4xx(ctx: Any, response: Any, case: Any) -> bool | None:
    """Every 4xx answers ``{"error": "<message>"}`` in JSON."""
    if not 400 <= response.status_code < 500:
        return None
    try:
        body = json.loads(response.content)
    except ValueError:
        raise AssertionError(f"{response.status_code} without a JSON body") from None
    if not (isinstance(body, dict) and isinstance(body.get("error"), str) and body["error"]):
        raise AssertionError(f"{response.status_code} without an error message: {body!r}")
    return True


@pytest.fixture(scope="module")
def fuzzer_objects(settings: Settings) -> Objects:
    return seed(UserClient(APP.test_client(), FUZZER))


def _werkzeug(path: str) -> str:
    return path.replace("{", "<").replace("}", ">")


def _negatable(operation: Any) -> bool:
    """Whether a request can break the schema: plain string path parameters cannot."""
    return bool(list(operation.body.items)) or bool(operation.query.items)


CASES = [
    pytest.param(op, mode, id=f"{op.label}-{mode.value}")
    for op in OPERATIONS
    for mode in MAX_EXAMPLES
    if mode is GenerationMode.POSITIVE or _negatable(op)
]


def unstorable_at(value: Any, where: str) -> Unstorable | None:
    """What in a body the frame refuses as unstorable (NUL, a lone surrogate, NaN)."""
    return problem(value, Bounds.of(), name=where or "body")


@pytest.mark.parametrize(("operation", "mode"), CASES)
def test_every_response_conforms_to_the_document(
    operation: Any, mode: GenerationMode, fuzzer_objects: Objects
) -> None:
    real = path_values(fuzzer_objects).get(_werkzeug(operation.path), {})
    headers = auth(FUZZER)
    # docs/contract/guarantees.md: a method a path does not take is an unknown route, 404 (not
    # the 405 schemathesis expects); the frame's tests check that 404
    excluded = [unsupported_method]
    if operation.label in SEMANTIC_RULES:
        excluded.append(positive_data_acceptance)

    @given(case=operation.as_strategy(generation_mode=mode), use_real=st.booleans())
    @hsettings(
        max_examples=MAX_EXAMPLES[mode],
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def check(case: Any, use_real: bool) -> None:
        if use_real and real and mode is GenerationMode.POSITIVE:
            case.path_parameters = {**(case.path_parameters or {}), **real}
        holds_nul = isinstance(case.body, dict | list) and unstorable_at(case.body, "") is not None
        response = case.call(headers=headers)
        case.validate_response(
            response,
            headers=headers,
            additional_checks=[error_body_on_4xx],
            # the document's one rule a schema does not state: no NUL in a string
            excluded_checks=[*excluded, positive_data_acceptance] if holds_nul else excluded,
        )

    check()
