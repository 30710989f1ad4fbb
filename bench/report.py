"""The run's outputs: the table on the terminal, ``results/latest.json`` and a PNG
chart of the curves (matplotlib, from the ``bench`` extra, imported only here)."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from bench.figures import Outcome

RESULTS = Path(__file__).resolve().parent / "results"


def _number(value: float) -> str:
    if math.isnan(value):
        return "n/a"
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    if abs(value) >= 100:
        return f"{value:.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def _verdict(met: bool | None) -> str:
    if met is None:
        return ""
    return "met" if met else "MISSED"


def rows(benchmarks: list[dict[str, Any]]) -> list[list[str]]:
    """Table rows from benchmarks as ``Outcome.as_json`` (or latest.json) has them."""
    out = []
    for bench in benchmarks:
        if bench["skipped"]:
            out.append([bench["name"], "(not run)", "", "", "SKIPPED", bench["skipped"]])
            continue
        for f in bench["figures"]:
            value = f"{_number(f['value'])} {f['unit']}".strip()
            out.append(
                [bench["name"], f["name"], value, f["target"], _verdict(f["met"]), f["note"]]
            )
    return out


HEADERS = ["benchmark", "figure", "value", "target", "verdict", "note"]


def table(outcomes: list[Outcome]) -> str:
    """A plain-text table for the terminal."""
    body = rows([o.as_json() for o in outcomes])
    limit = 70  # notes wrap badly on a terminal: cut them, the JSON keeps them whole
    body = [[*r[:-1], r[-1] if len(r[-1]) <= limit else r[-1][: limit - 1] + "…"] for r in body]
    widths = [max(len(r[i]) for r in [HEADERS, *body]) for i in range(len(HEADERS))]
    line = "  ".join("-" * w for w in widths)
    fmt = "  ".join(f"{{:{w}}}" for w in widths)
    return "\n".join([fmt.format(*HEADERS), line, *(fmt.format(*r) for r in body)])


def markdown(path: Path) -> str:
    """The table of a saved run (``latest.json``) in Markdown, for docs/benchmarks/latest.md."""
    document = json.loads(path.read_text())
    body = rows(document["benchmarks"])
    lines = ["| " + " | ".join(HEADERS) + " |", "|" + "---|" * len(HEADERS)]
    lines += ["| " + " | ".join(c.replace("|", "\\|") for c in r) + " |" for r in body]
    return "\n".join(lines)


def write_json(outcomes: list[Outcome], meta: dict[str, Any], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    document = {**meta, "benchmarks": [o.as_json() for o in outcomes]}
    path.write_text(json.dumps(document, indent=2, default=str) + "\n")


def chart(outcomes: list[Outcome], path: Path) -> bool:
    """One small panel per curve; ``False`` when there is nothing to draw."""
    curves = [c for o in outcomes if not o.skipped for c in o.curves]
    if not curves:
        return False
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    columns = min(3, len(curves))
    rows_ = math.ceil(len(curves) / columns)
    fig, axes = plt.subplots(rows_, columns, figsize=(3.6 * columns, 2.8 * rows_), squeeze=False)
    for ax, curve in zip(axes.flat, curves, strict=False):
        xs = [p[0] for p in curve.points]
        ys = [p[1] for p in curve.points]
        ax.plot(xs, ys, marker="o", linewidth=1.5)
        if curve.log_x:
            ax.set_xscale("log")
        ax.set_title(curve.name, fontsize=9)
        ax.set_xlabel(curve.x_label, fontsize=8)
        ax.set_ylabel(curve.y_label, fontsize=8)
        ax.tick_params(labelsize=7)
        ax.grid(alpha=0.3)
        top = max(ys) if ys else 1
        ax.set_ylim(bottom=0, top=top * 1.2 if top > 0 else 1)
    for ax in list(axes.flat)[len(curves) :]:
        ax.axis("off")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=80)
    plt.close(fig)
    return True
