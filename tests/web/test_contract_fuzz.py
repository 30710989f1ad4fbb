"""The document says what the code does: every operation of the live
``GET /api/openapi.json`` is called with requests generated from it (valid ones and
ones that break it), as a user with a real token, and every answer must be no 5xx, a
status the operation documents, of the media type it documents and with a body its
schema admits (tests/web/contract.py: how long, and which checks)."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import settings as hsettings
from schemathesis import GenerationMode

from shared.config import Settings
from tests.conftest import auth
from tests.web.contract import CHECKS, LONG, contract_settings, hypothesis_settings, served_document

USER = "contract"
EXAMPLES = (
    {GenerationMode.POSITIVE: 100, GenerationMode.NEGATIVE: 60}
    if LONG
    else {GenerationMode.POSITIVE: 10, GenerationMode.NEGATIVE: 8}
)


@pytest.fixture(scope="module")
def settings(db_url: str) -> Settings:
    return contract_settings(db_url)


@pytest.fixture(scope="module")
def document(settings: Settings) -> Any:
    return served_document()


def _run(operation: Any, mode: GenerationMode) -> None:
    headers = auth(USER)

    @given(case=operation.as_strategy(generation_mode=mode))
    @hsettings(**hypothesis_settings(EXAMPLES[mode]))
    def check(case: Any) -> None:
        response = case.call(headers=headers)
        case.validate_response(response, checks=CHECKS, headers=headers)

    check()


@pytest.mark.timeout(600)  # some 1,100 requests; on a busy machine past the default 120 s
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
            # gather all, so one run names every finding (hypothesis reports a group)
            except (Exception, BaseExceptionGroup) as exc:
                failures.append(f"{operation.label} ({mode.value}): {exc}")
    assert not failures, "\n\n".join(failures)
