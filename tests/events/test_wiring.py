"""Dispatch is handed the workflow engine by the composition root (``shared.wiring``):
the events package imports nothing of the workflows package, and a process that loaded
only the event-dispatch function still starts runs through the engine."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT


def _imported(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_no_module_of_the_events_package_imports_the_workflows_package() -> None:
    offenders = {
        path.name: sorted(n for n in _imported(path) if n.startswith("shared.workflows"))
        for path in (ROOT / "shared" / "events").glob("*.py")
    }
    assert {name: found for name, found in offenders.items() if found} == {}


def test_the_engine_is_wired_on_first_use_in_a_fresh_interpreter() -> None:
    code = (
        "import sys\n"
        "import functions.event_dispatch\n"
        "from shared.events import triggers\n"
        "assert 'shared.workflows.engine' not in sys.modules, 'loaded before use'\n"
        "runner = triggers._engine()\n"
        "from shared.workflows.engine import TriggerRunner\n"
        "assert isinstance(runner, TriggerRunner)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
