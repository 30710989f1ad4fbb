"""A function run the way Cloud Functions runs it: ``functions-framework --target <name>
--source main.py`` in its own process on a free port (gunicorn, as the framework's CLI
serves), with only the environment the test gives it. Its stdout is read back after it
stops, one JSON object a line."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
CLI = Path(sys.executable).parent / "functions-framework"
# settings a test must not inherit from the shell that runs the suite
_SCRUBBED = ("DATABASE_URL", "JWT_SECRET", "GEMINI_API_KEY", "MODEL_PROVIDER", "LOG_LEVEL")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Output:
    stdout: str
    stderr: str
    lines: list[dict[str, Any]] = field(default_factory=list)

    def of_request(self, request_id: str) -> list[dict[str, Any]]:
        return [line for line in self.lines if line.get("requestId") == request_id]


class FunctionProcess:
    def __init__(self, target: str, env: dict[str, str]) -> None:
        self.port = free_port()
        base = {k: v for k, v in os.environ.items() if k not in _SCRUBBED}
        self.proc = subprocess.Popen(
            [str(CLI), "--target", target, "--source", "main.py", "--port", str(self.port)],
            cwd=ROOT,
            env={**base, "PYTHONUNBUFFERED": "1", "THREADS": "2", **env},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        self.url = f"http://127.0.0.1:{self.port}"
        self._wait_listening()

    def _wait_listening(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"function exited: {self.stop().stderr}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise AssertionError("function did not start listening")

    def request(
        self, method: str, path: str, *, body: bytes | None = None, headers: dict[str, str]
    ) -> tuple[int, bytes]:
        req = urllib.request.Request(self.url + path, data=body, method=method, headers=headers)
        try:
            with urllib.request.urlopen(req, timeout=30) as res:
                return res.status, res.read()
        except urllib.error.HTTPError as err:
            return err.code, err.read()

    def stop(self) -> Output:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        out, err = self.proc.communicate(timeout=30)
        stdout, stderr = out.decode(), err.decode()
        # every line a function writes to stdout is one JSON object
        lines = [json.loads(line) for line in stdout.splitlines() if line.strip()]
        return Output(stdout, stderr, lines)
