"""How well the configured model's critic ranks outputs a careful editor has ranked.

``calibration.json`` holds one voice profile and outputs for it, best first. Each is
critiqued once, as the loop would critique it; the report gives every score and the
Spearman rank correlation between the scores and the editor's order (1: the critic
ranks exactly as the editor, 0: no relation, -1: reversed). Ties get average ranks."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from shared.evolver.loop import DEFAULT_THRESHOLD, Material, critique
from shared.model import Model, ModelFailure, get_model

CALIBRATION_SET = Path(__file__).with_name("calibration.json")


def ranks(values: list[float]) -> list[float]:
    """1-based ranks, ascending; tied values share the mean of their positions."""
    order = sorted(range(len(values)), key=lambda i: values[i])
    result = [0.0] * len(values)
    start = 0
    while start < len(order):
        end = start
        while end + 1 < len(order) and values[order[end + 1]] == values[order[start]]:
            end += 1
        for k in range(start, end + 1):
            result[order[k]] = (start + end) / 2 + 1
        start = end + 1
    return result


def spearman(x: list[float], y: list[float]) -> float | None:
    """Spearman's rho: the Pearson correlation of the ranks. ``None`` when undefined
    (fewer than two pairs, or one side has no variation)."""
    if len(x) != len(y):
        raise ValueError("x and y must have the same length")
    if len(x) < 2:
        return None
    rx, ry = ranks(x), ranks(y)
    mx, my = sum(rx) / len(rx), sum(ry) / len(ry)
    cov = sum((a - mx) * (b - my) for a, b in zip(rx, ry, strict=True))
    vx = sum((a - mx) ** 2 for a in rx)
    vy = sum((b - my) ** 2 for b in ry)
    if vx == 0 or vy == 0:
        return None
    return cov / math.sqrt(vx * vy)


def calibrate(path: Path = CALIBRATION_SET, model: Model | None = None) -> dict[str, Any]:
    labelled = json.loads(path.read_text())
    model = model or get_model()
    material = Material(
        agent_id=labelled.get("agentId", "calibration"),
        soul=labelled["voice"],
        context=labelled.get("context"),
    )
    outputs: list[Any] = labelled["outputs"]
    items: list[dict[str, Any]] = []
    for position, output in enumerate(outputs, 1):
        try:
            verdict = critique(model, material, output, DEFAULT_THRESHOLD).value
        except ModelFailure as failure:
            items.append({"rank": position, "score": None, "error": failure.kind})
            continue
        items.append(
            {"rank": position, "score": verdict.score, "voiceConsistency": verdict.voiceConsistency}
        )
    scored = [i for i in items if i["score"] is not None]
    rho = spearman([-float(i["rank"]) for i in scored], [float(i["score"]) for i in scored])
    return {
        "model": str(getattr(model, "model", model.name)),
        "outputs": len(outputs),
        "scored": len(scored),
        "spearman": None if rho is None else round(rho, 4),
        "items": items,
    }
