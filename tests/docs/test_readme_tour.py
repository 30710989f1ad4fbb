"""The README's five-minute tour, run verbatim against a real ``segp serve``: every
fenced ``bash`` block of its section, in order, through bash with ``-euo pipefail``.
Nothing is substituted; the server's port and home reach the tour as the environment
variables it reads (``PORT``, and ``SEGP_HOME`` for ``segp token``). Each command of
the tour checks its own answer (``jq -e``), so a tour that stops telling the truth
fails here."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

from tests.local.test_serve import env_for, serve, stop, wait_healthy
from tests.support.function_process import free_port

ROOT = Path(__file__).resolve().parents[2]


def tour() -> str:
    readme = (ROOT / "README.md").read_text()
    section = readme.split("\n## Five-minute tour\n", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"^```bash\n(.*?)^```", section, re.S | re.M)
    assert len(blocks) >= 5, "the tour lost its blocks"
    return "\n".join(blocks)


def test_the_tour_covers_what_the_readme_promises() -> None:
    script = tour()
    for route in (
        "/api/workflow",
        "/api/scheduler/tasks",
        "/api/events/triggers",
        "/api/events",
        "/api/oracle/evolve",
        "/api/memory/store",
        "/api/memory/recall",
    ):
        assert f"$SEGP{route}" in script, route
    assert "segp token" in script and '"type": "agent"' in script


def test_every_command_of_the_tour_runs_against_segp_serve(tmp_path: Path) -> None:
    missing = [t for t in ("bash", "curl", "jq") if shutil.which(t) is None]
    assert not missing, f"the tour needs {missing} (Debian: apt-get install curl jq)"
    home, port = tmp_path / "home", free_port()
    proc = serve(home, port)
    try:
        wait_healthy(port, proc)
        done = subprocess.run(
            ["bash", "-euo", "pipefail", "-c", tour()],
            cwd=ROOT,
            env=env_for(home, port),
            capture_output=True,
            text=True,
            timeout=180,
        )
    finally:
        log = stop(proc)
    assert done.returncode == 0, f"{done.stdout}\n{done.stderr}\n--- server ---\n{log[-4000:]}"
    assert "portrait photographers" in done.stdout
