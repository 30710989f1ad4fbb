"""The repository speaks only of itself: no file sends the reader to a document that is
not in it."""

from __future__ import annotations

import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
OUTSIDE = ("design.md", "../shared/")


def test_no_tracked_file_refers_to_a_document_outside_the_repository() -> None:
    tracked = subprocess.run(
        ["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    me = Path(__file__).relative_to(ROOT).as_posix()
    found = []
    for name in tracked:
        path = ROOT / name
        if name == me or not path.is_file() or path.suffix in (".png", ".svg", ".zip"):
            continue
        text = path.read_text(errors="ignore")
        found += [f"{name}: {o}" for o in OUTSIDE if o in text]
    assert not found
