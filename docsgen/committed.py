"""The generated pages that are committed, so they read well in the repository too."""

from __future__ import annotations

from pathlib import Path

from docsgen import benchmarks, capacity, configuration


def rendered() -> dict[Path, str]:
    return {**configuration.rendered(), **benchmarks.rendered(), **capacity.rendered()}


def stale(pages: dict[Path, str]) -> list[Path]:
    return [p for p, text in pages.items() if not p.exists() or p.read_text() != text]
