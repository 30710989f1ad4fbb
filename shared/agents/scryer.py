"""``scryer_01``: analyses material it is given. It has no web access: a URL in the
material is text, never fetched (an ``http`` step fetches, and feeds the result in).

Actions:
- ``analyze`` ``{material, question?}`` -> ``{summary, keyPoints, themes, sentiment, confidence}``
- ``trends`` ``{series: [number | {label?, value}]}`` -> direction, change, extremes
  and outliers, computed exactly (no model)."""

from __future__ import annotations

import statistics
from collections.abc import Mapping
from typing import Any, Literal

from pydantic import BaseModel, Field

from shared.agents.base import AgentTask
from shared.agents.kit import (
    ModelAgent,
    Output,
    PayloadError,
    keywords,
    listed,
    sentences,
    text_field,
    with_context,
)
from shared.model import get_model
from shared.model.offline import heuristic, words
from shared.model.port import Usage

MAX_SERIES = 10_000
# a point's magnitude: far past any count or amount, and small enough that the mean,
# the spread (squares) and the change of 10,000 points stay finite floats
MAX_VALUE = 1e15
SYSTEM = (
    "You are Scryer, an analyst. Analyse only the material given; do not use outside "
    "knowledge or claim to have browsed. Be specific and cite the material."
)
POSITIVE = listed(
    """good great love excellent growth grew gain gains win success happy best improve
    improved up strong record amazing"""
)
NEGATIVE = listed(
    """bad poor hate terrible decline declined loss losses fail failed failure worst drop
    dropped down weak problem churn"""
)


class Analysis(BaseModel):
    summary: str
    key_points: list[str] = Field(default_factory=list, max_length=10)
    themes: list[str] = Field(default_factory=list, max_length=10)
    sentiment: Literal["positive", "neutral", "negative"]
    confidence: float = Field(ge=0, le=1)


class Scryer(ModelAgent):
    id = "scryer_01"
    description = "Analyses given material (text, records, number series); no web access"
    actions = frozenset({"analyze", "trends"})

    def analyze(self, task: AgentTask) -> Output:
        material = text_field(task.payload, "material", "content", "text", "data")
        question = str(task.payload.get("question") or "")
        data = {"material": material, "question": question}
        prompt = f"Analyse this material{f' to answer: {question}' if question else ''}.\n\n---\n{material}"
        result = get_model().generate_structured(
            with_context(prompt, task.context), Analysis, system=SYSTEM, data=data
        )
        a = result.value
        output = {
            "summary": a.summary,
            "keyPoints": a.key_points,
            "themes": a.themes,
            "sentiment": a.sentiment,
            "confidence": round(a.confidence, 3),
        }
        return output, result.usage

    def trends(self, task: AgentTask) -> Output:
        points = _series(task.payload.get("series"))
        values = [v for _, v in points]
        first, last = values[0], values[-1]
        change = last - first
        mean = statistics.fmean(values)
        spread = statistics.pstdev(values)
        outliers = [
            {"label": label, "value": value}
            for label, value in points
            if spread and abs(value - mean) > 2 * spread
        ]
        direction = (
            "flat" if abs(change) <= 0.05 * (abs(first) or 1) else ("up" if change > 0 else "down")
        )
        top = max(points, key=lambda p: p[1])
        bottom = min(points, key=lambda p: p[1])
        output = {
            "points": len(values),
            "direction": direction,
            "change": change,
            "changeRatio": round(change / first, 4) if first else None,
            "mean": round(mean, 4),
            "max": {"label": top[0], "value": top[1]},
            "min": {"label": bottom[0], "value": bottom[1]},
            "outliers": outliers,
        }
        return output, Usage()


def _series(raw: Any) -> list[tuple[Any, float]]:
    if not isinstance(raw, list) or len(raw) < 2:
        raise PayloadError("payload needs 'series': a list of at least 2 numbers or {label, value}")
    if len(raw) > MAX_SERIES:
        raise PayloadError(f"series: at most {MAX_SERIES} points")
    points = []
    for index, item in enumerate(raw):
        label, value = (
            (item.get("label", index), item.get("value"))
            if isinstance(item, dict)
            else (index, item)
        )
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise PayloadError(f"series[{index}]: value must be a number")
        if not -MAX_VALUE <= value <= MAX_VALUE:  # also refuses NaN (compares false)
            raise PayloadError(f"series[{index}]: value must be within ±{MAX_VALUE:g}")
        points.append((label, float(value)))
    return points


@heuristic(Analysis)
def _offline_analysis(prompt: str, data: Mapping[str, Any]) -> Analysis:
    """Rubric (no language model): themes are the most frequent content words; key
    points are the first sentences that mention a theme; sentiment compares counts
    of words from small positive and negative lists; confidence grows with the
    amount of material (0.2 to 0.6, never higher for a heuristic)."""
    material = str(data.get("material", ""))
    themes = keywords(material, 5)
    found = sentences(material)
    points = [s for s in found if any(t in s.lower() for t in themes)][:3] or found[:3]
    tokens = words(material)
    pos = sum(1 for w in tokens if w in POSITIVE)
    neg = sum(1 for w in tokens if w in NEGATIVE)
    sentiment: Literal["positive", "neutral", "negative"] = (
        "positive" if pos > neg else "negative" if neg > pos else "neutral"
    )
    confidence = round(min(0.6, 0.2 + len(tokens) / 1000), 3)
    summary = (
        f"offline heuristic analysis of {len(tokens)} words in {len(found)} sentences; "
        f"main themes: {', '.join(themes) or 'none found'}; tone of the material: {sentiment}"
    )
    return Analysis(
        summary=summary,
        key_points=points,
        themes=themes,
        sentiment=sentiment,
        confidence=confidence,
    )


AGENT = Scryer()
