"""`segp serve` as a person runs it: real processes, real ports, the embedded database."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import psutil
import pytest

from shared.web.auth import user_from_header
from tests.support.function_process import free_port

ROOT = Path(__file__).resolve().parents[2]


def env_for(home: Path, port: int) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "JWT_SECRET", "GEMINI_API_KEY", "MODEL_PROVIDER"}
    }
    env.update(SEGP_HOME=str(home), PORT=str(port))
    return env


def get(url: str, headers: dict[str, str] | None = None) -> tuple[int, Any]:
    req = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=5) as res:
            return res.status, json.loads(res.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())


def wait_healthy(port: int, proc: subprocess.Popen[bytes], timeout: float = 60) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"server exited: {proc.stdout.read() if proc.stdout else ''!r}")
        try:
            status, body = get(f"http://127.0.0.1:{port}/api/health")
            if status == 200:
                return dict(body)
        except OSError:
            pass
        time.sleep(0.2)
    raise AssertionError("server did not become healthy")


def serve(home: Path, port: int, *, sigint_ignored: bool = False) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "shared.cli", "serve"]
    if sigint_ignored:  # as a shell starts a background job: SIGINT ignored, inherited
        command = ["/bin/sh", "-c", 'trap "" INT; exec "$0" "$@"', *command]
    return subprocess.Popen(
        command,
        cwd=ROOT,
        env=env_for(home, port),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )


def mint_token(home: Path, port: int, user: str) -> str:
    out = subprocess.run(
        [sys.executable, "-m", "shared.cli", "token", "--user", user],
        cwd=ROOT,
        env=env_for(home, port),
        capture_output=True,
        text=True,
        check=True,
    )
    return out.stdout.strip()


def postgres_for(home: Path) -> list[psutil.Process]:
    found = []
    for p in psutil.process_iter(["name", "cmdline"]):
        cmd = p.info["cmdline"] or []
        if p.info["name"] == "postgres" and any(str(home) in part for part in cmd):
            found.append(p)
    return found


def stop(proc: subprocess.Popen[bytes]) -> str:
    proc.send_signal(signal.SIGINT)
    out, _ = proc.communicate(timeout=30)
    return out.decode()


@pytest.fixture
def homes(tmp_path: Path) -> tuple[Path, Path]:
    return tmp_path / "one", tmp_path / "two"


def test_two_servers_with_their_own_home_and_port_run_side_by_side(
    homes: tuple[Path, Path],
) -> None:
    ports = free_port(), free_port()
    procs = [serve(h, p) for h, p in zip(homes, ports, strict=True)]
    try:
        for proc, port in zip(procs, ports, strict=True):
            assert wait_healthy(port, proc)["status"] == "ok"
        assert len(postgres_for(homes[0])) >= 1 and len(postgres_for(homes[1])) >= 1
        # each installation accepts the tokens `segp token` mints for it, and only those
        first = mint_token(homes[0], ports[0], "creator-1")
        url = f"http://127.0.0.1:{ports[0]}/api/workflows"
        assert get(url, {"Authorization": f"Bearer {first}"})[0] == 200
        assert get(url, {"Authorization": f"Bearer {first[:-2]}xx"})[0] == 401
        other = f"http://127.0.0.1:{ports[1]}/api/workflows"
        assert get(other, {"Authorization": f"Bearer {first}"})[0] == 401
    finally:
        outputs = [stop(p) for p in procs]
    assert all(p.returncode == 0 for p in procs), outputs
    assert "OFFLINE" in outputs[0] and "dev token" in outputs[0]
    time.sleep(0.5)
    assert postgres_for(homes[0]) == [] and postgres_for(homes[1]) == []


def test_a_server_left_by_a_killed_run_is_recovered_not_duplicated(tmp_path: Path) -> None:
    home, port = tmp_path / "home", free_port()
    first = serve(home, port)
    wait_healthy(port, first)
    first.kill()
    first.wait()
    survivors = {p.pid for p in postgres_for(home)}
    assert survivors, "the embedded server outlives a killed holder"
    second = serve(home, port)
    try:
        wait_healthy(port, second)
        postmaster = [
            p for p in postgres_for(home) if p.ppid() not in {q.pid for q in postgres_for(home)}
        ]
        assert len(postmaster) == 1
    finally:
        stop(second)
    time.sleep(0.5)
    assert postgres_for(home) == []


def gone(home: Path, timeout: float = 20) -> bool:
    """Whether the embedded postgres of ``home`` has exited within ``timeout``."""
    deadline = time.monotonic() + timeout
    while postgres_for(home):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


def test_sigterm_stops_the_server_and_its_embedded_postgres_cleanly(tmp_path: Path) -> None:
    home, port = tmp_path / "home", free_port()
    proc = serve(home, port)
    try:
        wait_healthy(port, proc)
        assert postgres_for(home)
    finally:
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=30)
    assert proc.returncode == 0, out.decode()
    assert "SEGP stopped" in out.decode()
    assert gone(home), [p.pid for p in postgres_for(home)]


def test_sigint_stops_a_server_started_with_sigint_ignored(tmp_path: Path) -> None:
    """A shell starts a background job with SIGINT ignored, and Python then raises no
    KeyboardInterrupt for it: the server installs its own handler, so Ctrl-C and
    ``kill -INT`` stop it wherever it was started from."""
    home, port = tmp_path / "home", free_port()
    proc = serve(home, port, sigint_ignored=True)
    try:
        wait_healthy(port, proc)
    finally:
        out = stop(proc)
    assert proc.returncode == 0, out
    assert "SEGP stopped" in out
    assert gone(home), [p.pid for p in postgres_for(home)]


def test_segp_token_mints_tokens_for_this_installation(tmp_path: Path) -> None:
    env = env_for(tmp_path, free_port())
    out = subprocess.run(
        [sys.executable, "-m", "shared.cli", "token", "--user", "creator-1"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    secret = (tmp_path / "jwt_secret").read_text().strip()
    tok = out.stdout.strip()
    assert user_from_header(f"Bearer {tok}", secret) == "creator-1"
    with pytest.raises(Exception, match="invalid token"):
        user_from_header(f"Bearer {tok[:-2]}xx", secret)


@pytest.mark.parametrize("command", ["serve", "migrate", "token"])
def test_every_command_has_help(command: str) -> None:
    out = subprocess.run(
        [sys.executable, "-m", "shared.cli", command, "--help"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    assert "usage: segp" in out.stdout
