"""``make lock-check``: whether ``uv.lock`` still matches ``pyproject.toml``.

Runs ``uv lock --check --offline``: it compares the lock with the project's declared
dependencies and fails only when they differ (a dependency added, removed or its range
changed without ``make lock``). A new upstream release changes neither file, so it never
turns this check red, and a matching lock is checked without the network."""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

from package import ROOT, uv


def check(project: Path) -> int:
    run = subprocess.run(
        [uv(), "lock", "--check", "--offline", "--project", str(project)],
        capture_output=True,
        text=True,
        check=False,
    )
    if run.returncode != 0:
        sys.stderr.write(run.stderr[-4000:])
        print(
            f"lock-check: {project / 'uv.lock'} does not match pyproject.toml: run `make lock`",
            file=sys.stderr,
        )
        return 1
    print("lock-check: uv.lock matches pyproject.toml")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("project", type=Path, nargs="?", default=ROOT)
    return check(parser.parse_args().project)


if __name__ == "__main__":
    sys.exit(main())
