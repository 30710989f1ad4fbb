"""Cold start: loading a function as Cloud Functions does in every new instance
(``import main``, then its entry point by name) loads none of the heavy libraries,
and none of the other functions; each library is imported by the code that uses it,
on first use. bench/ measures the time; this guards which modules are loaded."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

import main
from tests.conftest import ROOT

# Each costs from 50 ms to over a second at import (bench/cold_start.py measures them).
HEAVY = (
    "numpy",
    "pgvector",
    "pg8000",
    "jwt",
    "cryptography",
    "stripe",
    "croniter",
    "urllib3",
    "grpc",
    "google.genai",
    "google.cloud.pubsub_v1",
    "google.cloud.scheduler_v1",
    "google.cloud.sql.connector",
)


def _loaded_after(statement: str, names: list[str]) -> list[str]:
    probe = f"import json, sys; {statement}; print(json.dumps([m for m in {names!r} if m in sys.modules]))"
    run = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True
    )
    return list(json.loads(run.stdout))


def test_importing_main_loads_no_function_and_no_heavy_library() -> None:
    modules = sorted(set(main.HANDLERS.values()))
    assert _loaded_after("import main", [*HEAVY, *modules]) == []


@pytest.mark.parametrize("entry_point", main.__all__)
def test_loading_one_function_loads_no_heavy_library_and_no_other_function(
    entry_point: str,
) -> None:
    others = sorted({m for n, m in main.HANDLERS.items() if n != entry_point})
    assert _loaded_after(f"import main; main.{entry_point}", [*HEAVY, *others]) == []


# The Evolver and the agents are loaded by the step that calls them, not by loading a
# function that only claims, hands off or delivers runs (their models cost ~100 ms).
CALLED_ON_USE = ("shared.evolver.loop", "shared.workflows.agent_step", "shared.swarm.member")


@pytest.mark.parametrize("entry_point", ["schedule_fire", "workflow_run", "event_dispatch"])
def test_a_function_that_runs_workflows_loads_the_agents_only_when_a_step_calls_them(
    entry_point: str,
) -> None:
    assert _loaded_after(f"import main; main.{entry_point}", list(CALLED_ON_USE)) == []
