"""What the contract tests share: the api function as Cloud Functions loads it, its
served document loaded by schemathesis, and how long they run. In the suite the
generation is bounded and derandomized (every run makes the same requests);
``make fuzz`` sets ``SEGP_CONTRACT_FUZZ=long``: many more examples, every check
schemathesis has, and fresh randomness each run (a failure prints the seed that
reproduces it)."""

from __future__ import annotations

import os
from typing import Any

import functions_framework
import schemathesis
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    ensure_resource_availability,
    response_schema_conformance,
    status_code_conformance,
    use_after_free,
)

from shared import bootstrap
from shared.config import Settings
from tests.conftest import MAIN, test_settings

LONG = os.environ.get("SEGP_CONTRACT_FUZZ") == "long"

# None: every check schemathesis has (its default set)
CHECKS: list[Any] | None = (
    None
    if LONG
    else [
        not_a_server_error,
        status_code_conformance,
        content_type_conformance,
        response_schema_conformance,
    ]
)
# and, between the calls of a scenario: a created object is there, a deleted one gone
STATEFUL_CHECKS: list[Any] | None = (
    None if LONG else [*(CHECKS or []), use_after_free, ensure_resource_availability]
)


# a request that breaks the document is refused with one of schemathesis' own statuses,
# or with 413: how a body over MAX_BODY_BYTES is refused
REFUSED = ["400", "401", "403", "404", "405", "406", "409", "413", "415", "422", "428", "429"]
REJECTIONS = {"negative_data_rejection": {"expected-statuses": [*REFUSED, "5xx"]}}

# Rules JSON Schema cannot state, each answered 422 naming the problem (a status the
# operation documents): a request the document admits may break them, so the check
# that a schema-valid request is accepted is off for exactly these operations.
UNSTATABLE = {
    # a cursor must be one the API returned (its next_cursor): a property of the
    # server's history, not of the text
    "ledger_page": "cursor: one this API returned",
    "list_runs": "cursor: one this API returned",
    # a comparison between two fields
    "recall_route": "until: after since",
    # a comparison between items of an array (uniqueItems compares whole items)
    "improve_experiment_create": "variants: names distinct",
    # whether a five-field expression ever matches a real date (0 0 30 2 * never does)
    "create_task": "cronExpression: one that fires",
    "update_task": "cronExpression: one that fires",
    # a step's checks beyond its schema: a template naming an earlier step, an agent
    # that exists, a wake time at most 30 days from now; and (stateable, not yet stated)
    # an emit step's eventType of the form name.action, an http step's http(s) URL
    "create_workflow": "steps: each step type's checks",
    "update_workflow": "steps: each step type's checks",
}
ACCEPTANCE_OFF = [
    {"include-operation-id": op, "checks": {"positive_data_acceptance": {"enabled": False}}}
    for op in UNSTATABLE
]


def contract_settings(db_url: str) -> Settings:
    """The model's rate limit raised, so the model-backed routes reach their handlers
    rather than the 429."""
    s = test_settings(db_url, RATE_LIMIT_MODEL_PER_MINUTE=1_000_000)
    bootstrap.configure(s)
    return s


def served_document(mode: str = "all") -> Any:
    """``mode``: the generation's, "positive" (requests the document admits) or "all"
    (and requests that break it)."""
    app = functions_framework.create_app(target="api", source=MAIN)
    # allow-x00 off: every string the document types states that it holds no U+0000
    # (its pattern), but an open JSON value (a payload, metadata, a key the API
    # ignores) would need a recursive schema to say so at every depth, which the
    # generator cannot follow; the description states it, tests/hardening hold the 422
    generation = {"allow-extra-parameters": False, "mode": mode, "allow-x00": False}
    config = schemathesis.Config.from_dict(
        {"generation": generation, "checks": REJECTIONS, "operations": ACCEPTANCE_OFF}
    )
    return schemathesis.openapi.from_wsgi("/api/openapi.json", app, config=config)


def hypothesis_settings(max_examples: int, **kw: Any) -> dict[str, Any]:
    from hypothesis import HealthCheck

    return {
        "max_examples": max_examples,
        "deadline": None,
        "derandomize": not LONG,
        "database": None,
        "suppress_health_check": list(HealthCheck),
        **kw,
    }
