"""docs/benchmarks/latest.md and latest.svg from the last full run,
``bench/results/latest.json``: the table ``python -m bench --markdown`` prints, and one
small panel per measured curve, drawn as plain SVG (no plotting library). The figures of
benchmarks run on their own since (``bench/results/runs.json``, saved with ``--out``)
follow the full run's table."""

from __future__ import annotations

import json
import math
from html import escape
from pathlib import Path
from typing import Any

from bench import report
from docsgen.readers import ROOT

RESULTS = ROOT / "bench" / "results" / "latest.json"
PAGE = ROOT / "docs" / "benchmarks" / "latest.md"
CHART = ROOT / "docs" / "benchmarks" / "latest.svg"
RUNS = ROOT / "bench" / "results" / "runs.json"

PANEL_W, PANEL_H, COLUMNS = 300, 210, 3
LEFT, RIGHT, TOP, BOTTOM = 52, 14, 30, 40


def _ticks(low: float, high: float) -> list[float]:
    if high <= low:
        high = low + 1
    raw = (high - low) / 4
    step = 10 ** math.floor(math.log10(raw))
    step *= next(m for m in (1, 2, 5, 10) if m * step >= raw)
    start = math.floor(low / step) * step
    return [start + i * step for i in range(int((high - start) / step) + 2)]


def _label(value: float) -> str:
    if value == 0 or abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:.3g}"


def panel(curve: dict[str, Any], x0: float, y0: float) -> list[str]:
    points = [(float(x), float(y)) for x, y in curve["points"]]
    log_x = bool(curve.get("log_x"))
    xs = [math.log10(x) if log_x else x for x, _ in points]
    ys = [y for _, y in points]
    y_ticks = _ticks(min(0.0, *ys), max(ys))
    y_low, y_high = y_ticks[0], y_ticks[-1]
    x_low, x_high = min(xs), max(xs)
    if x_high == x_low:
        x_low, x_high = x_low - 1, x_high + 1
    width, height = PANEL_W - LEFT - RIGHT, PANEL_H - TOP - BOTTOM

    def at(x: float, y: float) -> tuple[float, float]:
        return (
            x0 + LEFT + (x - x_low) / (x_high - x_low) * width,
            y0 + TOP + height - (y - y_low) / (y_high - y_low) * height,
        )

    out = [
        f'<text x="{x0 + PANEL_W / 2:.1f}" y="{y0 + 16:.1f}" text-anchor="middle" '
        f'font-size="12" font-weight="bold">{escape(curve["name"])}</text>',
        f'<rect x="{x0 + LEFT}" y="{y0 + TOP}" width="{width}" height="{height}" '
        'fill="none" stroke="#888"/>',
    ]
    for tick in y_ticks:
        _, y = at(x_low, tick)
        out.append(
            f'<line x1="{x0 + LEFT}" x2="{x0 + LEFT + width}" y1="{y:.1f}" y2="{y:.1f}" '
            'stroke="#ddd"/>'
        )
        out.append(
            f'<text x="{x0 + LEFT - 4}" y="{y + 4:.1f}" text-anchor="end" '
            f'font-size="10">{_label(tick)}</text>'
        )
    for (raw_x, _), x in zip(points, xs, strict=True):
        px, _ = at(x, y_low)
        out.append(
            f'<text x="{px:.1f}" y="{y0 + TOP + height + 14:.1f}" text-anchor="middle" '
            f'font-size="10">{_label(raw_x)}</text>'
        )
    path = " ".join(f"{a:.1f},{b:.1f}" for a, b in (at(x, y) for x, y in zip(xs, ys, strict=True)))
    out.append(f'<polyline points="{path}" fill="none" stroke="#3f51b5" stroke-width="2"/>')
    for x, y in zip(xs, ys, strict=True):
        px, py = at(x, y)
        out.append(f'<circle cx="{px:.1f}" cy="{py:.1f}" r="3.5" fill="#3f51b5"/>')
    scale = " (log scale)" if log_x else ""
    out.append(
        f'<text x="{x0 + LEFT + width / 2:.1f}" y="{y0 + PANEL_H - 8:.1f}" '
        f'text-anchor="middle" font-size="10">{escape(curve["x_label"] + scale)}</text>'
    )
    out.append(
        f'<text transform="translate({x0 + 12:.1f},{y0 + TOP + height / 2:.1f}) rotate(-90)" '
        f'text-anchor="middle" font-size="10">{escape(curve["y_label"])}</text>'
    )
    return out


def svg(run: dict[str, Any]) -> str:
    curves = [c for b in run["benchmarks"] if not b.get("skipped") for c in b.get("curves", [])]
    rows = max(1, math.ceil(len(curves) / COLUMNS))
    width, height = PANEL_W * min(COLUMNS, max(1, len(curves))), PANEL_H * rows
    body: list[str] = []
    for i, curve in enumerate(curves):
        body += panel(curve, (i % COLUMNS) * PANEL_W, (i // COLUMNS) * PANEL_H)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="sans-serif">\n'
        f'<rect width="{width}" height="{height}" fill="white"/>\n' + "\n".join(body) + "\n</svg>\n"
    )


def machine(run: dict[str, Any]) -> str:
    m = run.get("machine", {})
    load = ", ".join(str(v) for v in m.get("load_average_at_start", []))
    return (
        f"{m.get('nproc', '?')} vCPUs (`{m.get('cpu', '?')}`), {m.get('memory_gib', '?')} GiB, "
        f"Python {m.get('python', '?')}, {m.get('platform', '?')}; PostgreSQL: "
        f"{m.get('postgres', '?')}; load average at the start {load}. The run started "
        f"{run.get('started_at', '?')} and took {run.get('total_seconds', '?')} s."
    )


def _runs_alone(runs: dict[str, Any]) -> list[str]:
    """The table of the run-fanout and run-resume figures, with the load they ran under."""
    m = runs.get("machine", {})
    load = ", ".join(str(v) for v in m.get("load_average_at_start", []))
    return [
        "## Run fan-out and resume",
        "",
        "From a run of `run-fanout` and `run-resume` alone (`bench/results/runs.json`,",
        f"started {runs.get('started_at', '?')}, load average {load} on {m.get('nproc', '?')} vCPUs):",
        "",
        report.markdown(RUNS),
        "",
    ]


def page(run: dict[str, Any], runs: dict[str, Any]) -> str:
    return "\n".join(
        [
            "# Latest run",
            "",
            "<!-- Generated by `python -m docsgen` from bench/results/latest.json. -->",
            "",
            "The last full `make bench`, as saved in `bench/results/latest.json`. How each",
            "benchmark measures, and what the verdicts mean, is on",
            "[Method and targets](index.md).",
            "",
            report.markdown(RESULTS),
            "",
            "![The curves of the latest run](latest.svg)",
            "",
            f"Machine: {machine(run)}",
            "",
            *_runs_alone(runs),
        ]
    )


def rendered() -> dict[Path, str]:
    run = json.loads(RESULTS.read_text())
    return {PAGE: page(run, json.loads(RUNS.read_text())), CHART: svg(run)}
