"""The document says what the code does: every operation of the live
``GET /api/openapi.json`` is called with requests generated from it (valid ones and
ones that break it), as a user with a real token, and every answer must be no 5xx, a
status the operation documents and a body its schema admits. The model's rate limit
is raised so the model-backed routes reach their handlers rather than the 429.
Generation is bounded and derandomized, so every run makes the same requests."""

from __future__ import annotations

from typing import Any

import functions_framework
import pytest
import schemathesis
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    response_schema_conformance,
    status_code_conformance,
)

from shared import bootstrap
from shared.config import Settings
from tests.conftest import MAIN, auth, test_settings

USER = "contract"
EXAMPLES = {GenerationMode.POSITIVE: 10, GenerationMode.NEGATIVE: 8}
CHECKS = [not_a_server_error, status_code_conformance, response_schema_conformance]


@pytest.fixture(scope="module")
def settings(db_url: str) -> Settings:
    s = test_settings(db_url, RATE_LIMIT_MODEL_PER_MINUTE=1_000_000)
    bootstrap.configure(s)
    return s


@pytest.fixture(scope="module")
def document(settings: Settings) -> Any:
    app = functions_framework.create_app(target="api", source=MAIN)
    config = schemathesis.Config.from_dict({"generation": {"allow-extra-parameters": False}})
    return schemathesis.openapi.from_wsgi("/api/openapi.json", app, config=config)


def _run(operation: Any, mode: GenerationMode) -> None:
    headers = auth(USER)

    @given(case=operation.as_strategy(generation_mode=mode))
    @hsettings(
        max_examples=EXAMPLES[mode],
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def check(case: Any) -> None:
        response = case.call(headers=headers)
        case.validate_response(response, checks=CHECKS, headers=headers)

    check()


def test_every_operation_answers_as_documented(document: Any) -> None:
    operations = [result.ok() for result in document.get_all_operations()]
    assert len(operations) > 40
    failures = []
    for operation in operations:
        modes = [GenerationMode.POSITIVE]
        if list(operation.body.items) or operation.query.items:
            modes.append(GenerationMode.NEGATIVE)
        for mode in modes:
            try:
                _run(operation, mode)
            except Exception as exc:  # gather all, so one run names every finding
                failures.append(f"{operation.label} ({mode.value}): {exc}")
    assert not failures, "\n\n".join(failures)
