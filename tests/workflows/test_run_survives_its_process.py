"""A run survives its process: `segp serve` killed with SIGKILL while a step is in
flight, then started again. The run completes on its own (the per-minute job resumes
it once its lease expired): every completed step ran once, the interrupted step ran
again with the same idempotency key, and nothing was logged as an error."""

from __future__ import annotations

import contextlib
import json
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from tests.local.test_serve import env_for, free_port, mint_token, stop, wait_healthy
from tests.workflows.conftest import Endpoint


def call(url: str, body: Any, token: str | None = None, timeout: float = 30) -> tuple[int, Any]:
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    req = urllib.request.Request(url, data=json.dumps(body).encode(), headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as res:
            return res.status, json.loads(res.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())


def get(url: str, token: str) -> Any:
    req = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(req, timeout=10) as res:
        return json.loads(res.read())


def hits(endpoint: Endpoint, path: str) -> list[dict[str, Any]]:
    return [r for r in endpoint.received if r["path"] == path]


def serve(home: Path, port: int) -> Any:
    import subprocess
    import sys

    from tests.local.test_serve import ROOT

    env = env_for(home, port)
    env.update(WORKFLOW_RUN_LEASE_SECONDS="5", HTTP_STEP_ALLOWLIST="127.0.0.1")
    return subprocess.Popen(
        [sys.executable, "-m", "shared.cli", "serve"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )


def test_a_run_killed_mid_step_completes_after_a_restart(
    tmp_path: Path, endpoint: Endpoint
) -> None:
    home, port = tmp_path / "home", free_port()
    base = f"http://127.0.0.1:{port}"
    first = serve(home, port)
    wait_healthy(port, first)
    token = mint_token(home, port, "creator-kill")
    steps = [
        {"id": "before", "type": "http", "config": {"url": endpoint.url("/before")}},
        {"id": "slow", "type": "http", "config": {"url": endpoint.url("/hold")}},
        {"id": "after", "type": "http", "config": {"url": endpoint.url("/after")}},
    ]
    status, created = call(f"{base}/api/workflow", {"name": "survives", "steps": steps}, token)
    assert status == 201, created
    wid = created["workflow"]["id"]
    endpoint.release.clear()
    held = len(hits(endpoint, "/hold"))
    runner = threading.Thread(
        target=lambda: _ignore_errors(call, f"{base}/api/workflow/{wid}/run", {}, token, 60),
        daemon=True,
    )
    runner.start()
    deadline = time.monotonic() + 30
    while len(hits(endpoint, "/hold")) == held:
        assert time.monotonic() < deadline, "the slow step never started"
        time.sleep(0.05)

    first.kill()  # SIGKILL, mid-step
    first.wait(10)
    endpoint.release.set()  # from now on the slow step answers at once

    second = serve(home, port)
    try:
        wait_healthy(port, second)
        deadline = time.monotonic() + 60
        while True:
            (run,) = get(f"{base}/api/workflow/{wid}", token)["runs"]
            if run["status"] != "running":
                break
            assert time.monotonic() < deadline, f"the run never finished: {run}"
            call(f"{base}/schedule-fire", {"tick": True})  # what the per-minute job sends
            time.sleep(1)
    finally:
        out = stop(second)

    assert run["status"] == "succeeded", run
    assert [s["status"] for s in run["step_results"]] == ["succeeded"] * 3
    assert len(hits(endpoint, "/before")) == 1 and len(hits(endpoint, "/after")) == 1
    slow = hits(endpoint, "/hold")[held:]
    assert len(slow) == 2
    keys = {r["headers"]["idempotency-key"] for r in slow}
    assert keys == {f"{run['id']}:slow"}
    assert '"severity": "ERROR"' not in out and "Traceback" not in out


def _ignore_errors(fn: Any, *args: Any) -> None:
    with contextlib.suppress(OSError):  # the server was killed under the request
        fn(*args)
