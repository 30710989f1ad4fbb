"""The console in a real browser: one ``segp serve`` subprocess (on the suite's
embedded PostgreSQL, in a fresh database) and one headless Debian Chromium, driven by
Playwright, for the whole module. Chromium comes from .ci/chromium (it installs
Debian's package when missing); Playwright never downloads a browser of its own."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.local.test_serve import ROOT, env_for, wait_healthy
from tests.support.function_process import free_port
from tests.workflows.conftest import endpoint  # noqa: F401 (fixture)

CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# generous: the machine may be shared; expectations wait for a state, never for a time
WAIT_MS = 30_000


@dataclass
class Server:
    base: str
    console_url: str  # as `segp serve` printed it, the dev token in its fragment
    token: str

    def call(self, method: str, path: str, body: Any = None) -> Any:
        data = json.dumps(body).encode() if body is not None else None
        headers = {"Authorization": f"Bearer {self.token}", "Content-Type": "application/json"}
        req = urllib.request.Request(self.base + path, data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(req, timeout=30) as res:
                return json.loads(res.read())
        except urllib.error.HTTPError as err:
            raise AssertionError(f"{method} {path}: {err.code} {err.read()!r}") from None


def printed_console_url(log: Path, proc: subprocess.Popen[bytes]) -> str:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        found = re.search(r"^console: (\S+)$", log.read_text(), re.MULTILINE)
        if found:
            return found.group(1)
        assert proc.poll() is None, log.read_text()
        time.sleep(0.1)
    raise AssertionError(f"segp serve printed no console URL: {log.read_text()}")


@pytest.fixture(scope="module")
def server(db_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    home = tmp_path_factory.mktemp("console-home")
    port = free_port()
    env = env_for(home, port)
    env.update(
        DATABASE_URL=db_url,
        HTTP_STEP_ALLOWLIST="127.0.0.1",
        MODEL_PROVIDER="offline",
        # an event emitted by a run of a run's event (depth 2) is recorded too_deep
        EVENT_MAX_DEPTH="1",
    )
    env.pop("CONSOLE_ENABLED", None)
    log = home / "serve.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "shared.cli", "serve", "--no-clock"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_healthy(port, proc)
        url = printed_console_url(log, proc)
        token = url.split("#token=", 1)[1]
        yield Server(f"http://127.0.0.1:{port}", url, token)
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=30)
    text = log.read_text()
    assert '"severity": "ERROR"' not in text and "Traceback" not in text, text


def chromium() -> str:
    run = subprocess.run(
        [str(ROOT / ".ci" / "chromium")], capture_output=True, text=True, check=False
    )
    assert run.returncode == 0, f".ci/chromium could not provide chromium: {run.stderr}"
    return run.stdout.strip()


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=WAIT_MS)
    profile = tmp_path_factory.mktemp("chromium-profile")
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(profile),
            executable_path=chromium(),
            headless=True,
            args=CHROMIUM_FLAGS,
            viewport={"width": 1280, "height": 800},
        )
        context.set_default_timeout(WAIT_MS)
        yield context
        context.close()


@pytest.fixture(scope="module")
def screens(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where each view's screenshot is saved."""
    return tmp_path_factory.mktemp("console-screens")


@pytest.fixture
def page(browser: Any, server: Server) -> Iterator[Any]:
    """A tab signed in through the link `segp serve` printed. Anything the page itself
    reports as broken (an uncaught error, a refused resource or policy violation) fails
    the test."""
    tab = browser.new_page()
    problems: list[str] = []
    tab.on("pageerror", lambda exc: problems.append(f"page error: {exc}"))
    tab.on(
        "console",
        lambda msg: (
            problems.append(f"console: {msg.text}")
            if msg.type == "error" and "status of 4" not in msg.text
            else None
        ),
    )
    tab.goto(server.console_url)
    yield tab
    tab.close()
    assert problems == []
