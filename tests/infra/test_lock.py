"""The committed dependency lock: ``make lock-check`` fails when ``uv.lock`` no longer
matches ``pyproject.toml``, and ``make package`` takes its pins from the lock."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCRIPTS = ROOT / "infra" / "scripts"


def lock_check(project: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(SCRIPTS / "lock_check.py"), str(project)],
        capture_output=True,
        text=True,
        check=False,
    )


def copy_of_project(tmp_path: Path) -> Path:
    for name in ("pyproject.toml", "uv.lock"):
        shutil.copy(ROOT / name, tmp_path / name)
    return tmp_path


def locked_version(name: str) -> str:
    lock = tomllib.loads((ROOT / "uv.lock").read_text())
    [version] = [p["version"] for p in lock["package"] if p["name"] == name]
    return str(version)


def test_the_committed_lock_matches_pyproject(tmp_path: Path) -> None:
    result = lock_check(copy_of_project(tmp_path))
    assert result.returncode == 0, result.stderr


def test_a_changed_dependency_range_fails_the_check(tmp_path: Path) -> None:
    project = copy_of_project(tmp_path)
    pyproject = project / "pyproject.toml"
    text = pyproject.read_text()
    assert '"croniter>=2.0,<7"' in text
    pyproject.write_text(text.replace('"croniter>=2.0,<7"', '"croniter>=2.0,<6"'))

    result = lock_check(project)

    assert result.returncode == 1
    assert "does not match pyproject.toml: run `make lock`" in result.stderr


def test_a_new_dependency_without_a_new_lock_fails_the_check(tmp_path: Path) -> None:
    project = copy_of_project(tmp_path)
    pyproject = project / "pyproject.toml"
    text = pyproject.read_text()
    pyproject.write_text(
        text.replace('  "urllib3>=2.2,<3",\n', '  "urllib3>=2.2,<3",\n  "rich",\n')
    )

    assert lock_check(project).returncode == 1


def test_the_package_requirements_are_the_locked_runtime_pins(tmp_path: Path) -> None:
    out = tmp_path / "segp-source.zip"
    subprocess.run(
        [sys.executable, str(SCRIPTS / "package.py"), "--out", str(out)],
        check=True,
        capture_output=True,
    )
    requirements = (tmp_path / "requirements.txt").read_text()
    pins = {
        line.split("==")[0]: line.split("==")[1].split()[0]
        for line in requirements.splitlines()
        if "==" in line and not line.startswith(" ")
    }
    for name in ("pg8000", "functions-framework", "stripe", "pydantic"):
        assert pins[name] == locked_version(name)
    assert "--hash=sha256:" in requirements
    assert not {"pgserver", "pytest", "uv", "segp"} & set(pins)
