"""Sequences of calls along the document's links (a workflow created, then read,
changed, run and deleted; its run read, cancelled and retried; a trigger and a
schedule of it; a memory stored, then recalled; ...): each call takes the ids the
earlier answers gave, so it reaches a real object instead of a 404. Every answer is
checked as in tests/web/test_contract_fuzz.py, and between the calls: an object just
created is there (ensure_resource_availability), one deleted is gone (use_after_free).
Each scenario is a user of its own, so no per-user cap is reached."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from hypothesis import settings as hsettings

from shared.config import Settings
from tests.conftest import auth
from tests.web.contract import (
    LONG,
    STATEFUL_CHECKS,
    contract_settings,
    hypothesis_settings,
    served_document,
)

SCENARIOS, STEPS = (300, 12) if LONG else (30, 8)
_users = itertools.count(1)


@pytest.fixture(scope="module")
def settings(db_url: str) -> Settings:
    return contract_settings(db_url)


@pytest.fixture(scope="module")
def document(settings: Settings) -> Any:
    return served_document("all" if LONG else "positive")


def test_the_links_of_the_document_lead_to_real_objects(document: Any) -> None:
    class Scenario(document.as_state_machine()):  # type: ignore[misc]
        def setup(self) -> None:
            self.headers = auth(f"stateful-{next(_users)}")

        def get_call_kwargs(self, case: Any) -> dict[str, Any]:
            return {"headers": self.headers}

        def validate_response(self, response: Any, case: Any, **kwargs: Any) -> None:
            kwargs.pop("additional_checks", None)
            case.validate_response(
                response,
                checks=STATEFUL_CHECKS,
                headers=self.headers,
                transport_kwargs=kwargs or None,
                recorder=self.recorder,
            )

    Scenario.run(settings=hsettings(**hypothesis_settings(SCENARIOS, stateful_step_count=STEPS)))
