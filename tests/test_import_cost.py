"""Cold start: importing ``main`` (what Cloud Functions does in every new instance)
loads none of the heavy libraries; each is imported by the code that uses it, on first
use. bench/ measures the time; this guards which modules are loaded."""

from __future__ import annotations

import json
import subprocess
import sys

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


def test_importing_main_loads_no_heavy_library() -> None:
    probe = (
        "import json, sys, main; "
        f"print(json.dumps([m for m in {list(HEAVY)!r} if m in sys.modules]))"
    )
    run = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert json.loads(run.stdout) == []
