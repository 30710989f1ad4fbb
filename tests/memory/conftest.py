"""Fixtures of the memory tests: a fresh user per test, so the tests of one module
(which share a database) never see each other's memories."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from shared import bootstrap
from shared.config import Settings
from tests.conftest import test_settings

LONG_FACT = (
    "The creator publishes a long form newsletter every Tuesday morning about growth "
    "marketing for indie software founders and small studios, with one case study and "
    "three practical tips each week"
)


@pytest.fixture
def user(settings: Settings) -> str:
    """A user of its own for this test, on the module's configured database."""
    return f"user-{uuid.uuid4().hex[:10]}"


@pytest.fixture
def other_user(settings: Settings) -> str:
    return f"other-{uuid.uuid4().hex[:10]}"


@pytest.fixture
def reconfigure(settings: Settings, db_url: str) -> Iterator[Any]:
    """Run with some settings overridden; the module's settings come back afterwards."""

    def apply(**overrides: Any) -> Settings:
        changed = test_settings(db_url, **overrides)
        bootstrap.configure(changed)
        return changed

    yield apply
    bootstrap.configure(settings)
