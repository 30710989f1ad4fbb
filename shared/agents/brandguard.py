"""``brandguard_01``: checks content against the user's Digital Soul.

Action ``check`` ``{content, soul?, threshold?}`` -> ``{alignmentScore (0..1), aligned,
issues: [{kind, message, excerpt}], summary, soulVersion}``. The soul comes with the
task (the agent step puts the user's current soul in ``payload.soul``); without one
there is nothing to check against and the task fails saying so."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any, Literal

from pydantic import BaseModel, Field

from shared.agents.base import AgentTask
from shared.agents.kit import ModelAgent, Output, PayloadError, as_list, text_field, with_context
from shared.model import get_model
from shared.model.offline import hash_embedding, heuristic, words

DEFAULT_THRESHOLD = 0.7
SYSTEM = (
    "You are BrandGuard. Judge how well a piece of content fits the creator's Digital "
    "Soul (their tone, vocabulary, things to avoid, audience, and exemplars). Score 0 "
    "(off-brand) to 1 (unmistakably theirs) and list concrete issues with excerpts."
)
FORMAL = ("formal", "professional", "authoritative", "academic")
CASUAL = ("casual", "friendly", "playful", "conversational", "warm")


class Issue(BaseModel):
    kind: Literal["tone", "vocabulary", "avoid", "audience", "style"]
    message: str
    excerpt: str = ""


class BrandCheck(BaseModel):
    alignment_score: float = Field(ge=0, le=1)
    issues: list[Issue] = Field(default_factory=list, max_length=20)
    summary: str


def fingerprint_of(soul: Any) -> tuple[dict[str, Any], list[str], Any]:
    """(fingerprint, exemplars, version) from a soul row or a fingerprint object."""
    if not isinstance(soul, Mapping):
        return {}, [], None
    found = soul.get("semantic_fingerprint", soul.get("semanticFingerprint"))
    fingerprint = dict(found) if isinstance(found, Mapping) else dict(soul)
    exemplars = soul.get("exemplars") if found is not None else fingerprint.pop("exemplars", [])
    return fingerprint, [str(e) for e in exemplars or []], soul.get("version")


class BrandGuard(ModelAgent):
    id = "brandguard_01"
    description = "Scores content against the creator's Digital Soul and lists the issues"
    actions = frozenset({"check"})

    def check(self, task: AgentTask) -> Output:
        content = text_field(task.payload, "content", "text", "output")
        fingerprint, exemplars, version = fingerprint_of(task.payload.get("soul"))
        if not fingerprint and not exemplars:
            raise PayloadError("no Digital Soul to check against (ingest one first)")
        threshold = _threshold(task.payload.get("threshold"))
        data = {"content": content, "fingerprint": fingerprint, "exemplars": exemplars[:5]}
        prompt = (
            f"Digital Soul: {fingerprint}\nExemplars:\n"
            + "\n---\n".join(exemplars[:5])
            + f"\n\nContent to check:\n{content}"
        )
        result = get_model().generate_structured(
            with_context(prompt, task.context), BrandCheck, system=SYSTEM, data=data
        )
        check = result.value
        output = {
            "alignmentScore": round(check.alignment_score, 3),
            "aligned": check.alignment_score >= threshold,
            "threshold": threshold,
            "issues": [issue.model_dump() for issue in check.issues],
            "summary": check.summary,
            "soulVersion": version,
        }
        return output, result.usage


def _threshold(value: Any) -> float:
    try:
        return min(max(float(value), 0.0), 1.0) if value is not None else DEFAULT_THRESHOLD
    except (TypeError, ValueError):
        return DEFAULT_THRESHOLD


@heuristic(BrandCheck)
def _offline_check(prompt: str, data: Mapping[str, Any]) -> BrandCheck:
    """Rubric (no language model), starting from 1.0: -0.2 per "avoid" term present;
    -0.15 when none of the preferred vocabulary is used; -0.1 for a tone mismatch
    (contractions or "!" against a formal tone, long sentences against a casual one);
    -0.1 when the content shares almost no words with any exemplar. Clamped to 0..1."""
    content = str(data.get("content", ""))
    lowered = content.lower()
    tokens = set(words(content))
    fp: Mapping[str, Any] = data.get("fingerprint") or {}
    issues: list[Issue] = []
    score = 1.0
    for term in as_list(fp.get("avoid")):
        if re.search(rf"\b{re.escape(term.lower())}\b", lowered):
            score -= 0.2
            issues.append(
                Issue(kind="avoid", message=f"uses {term!r}, which the soul avoids", excerpt=term)
            )
    vocabulary = [v for v in as_list(fp.get("vocabulary")) if v]
    if vocabulary and not any(v.lower() in lowered for v in vocabulary):
        score -= 0.15
        issues.append(
            Issue(
                kind="vocabulary",
                message="uses none of the preferred vocabulary: " + ", ".join(vocabulary[:5]),
            )
        )
    tone = " ".join(as_list(fp.get("tone"))).lower()
    if any(t in tone for t in FORMAL) and (
        re.search(r"\b\w+'(s|re|ll|ve|t|d)\b", lowered) or "!" in content
    ):
        score -= 0.1
        issues.append(Issue(kind="tone", message="contractions or exclamations in a formal voice"))
    elif any(t in tone for t in CASUAL) and _mean_sentence_words(content) > 25:
        score -= 0.1
        issues.append(Issue(kind="tone", message="long sentences in a casual voice"))
    exemplars = [str(e) for e in data.get("exemplars") or []]
    if exemplars and tokens:
        closest = max(_cosine(hash_embedding(content), hash_embedding(e)) for e in exemplars)
        if closest < 0.1:
            score -= 0.1
            issues.append(
                Issue(kind="style", message="shares almost no wording with the exemplars")
            )
    score = min(max(score, 0.0), 1.0)
    summary = f"offline heuristic check: {len(issues)} issue(s), score {score:.2f}"
    return BrandCheck(alignment_score=round(score, 3), issues=issues, summary=summary)


def _mean_sentence_words(text: str) -> float:
    parts = [p for p in re.split(r"[.!?]+", text) if p.strip()]
    return sum(len(p.split()) for p in parts) / len(parts) if parts else 0.0


def _cosine(a: list[float], b: list[float]) -> float:
    dot = sum(x * y for x, y in zip(a, b, strict=True))
    return dot / (math.sqrt(sum(x * x for x in a)) * math.sqrt(sum(y * y for y in b)) or 1.0)


AGENT = BrandGuard()
