"""What a benchmark reports: figures checked against targets, and curves to chart."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class Figure:
    """One measured value, what it was measured against, and the target it must meet.

    ``met`` is ``None`` for figures reported without a target (context, baselines)."""

    name: str
    value: float
    unit: str
    target: str = ""
    met: bool | None = None
    baseline: float | None = None
    note: str = ""

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Curve:
    """A measurement at several sizes, e.g. events/s at 1k, 10k, 100k triggers."""

    name: str
    x_label: str
    y_label: str
    points: list[tuple[float, float]] = field(default_factory=list)
    log_x: bool = True

    def as_json(self) -> dict[str, Any]:
        return {**asdict(self), "points": [list(p) for p in self.points]}


@dataclass
class Outcome:
    """A benchmark's result: ``skipped`` says why it could not run (e.g. the code it
    measures is not in this checkout yet)."""

    name: str
    title: str
    figures: list[Figure] = field(default_factory=list)
    curves: list[Curve] = field(default_factory=list)
    seconds: float = 0.0
    skipped: str | None = None
    details: dict[str, Any] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "title": self.title,
            "seconds": round(self.seconds, 1),
            "skipped": self.skipped,
            "figures": [f.as_json() for f in self.figures],
            "curves": [c.as_json() for c in self.curves],
            "details": self.details,
        }

    @property
    def all_met(self) -> bool:
        return self.skipped is None and all(f.met is not False for f in self.figures)


class Unavailable(Exception):
    """The code a benchmark measures is not in this checkout (yet): it is skipped and
    reported as such, never as a pass."""


def at_most(value: float, limit: float) -> bool:
    return value <= limit


def at_least(value: float, floor: float) -> bool:
    return value >= floor


def percentile(values: list[float], q: float) -> float:
    """The ``q`` quantile (0..1) by linear interpolation, as numpy's default."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    pos = (len(ordered) - 1) * q
    low = int(pos)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (pos - low)
