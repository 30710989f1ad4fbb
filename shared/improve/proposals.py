"""The shape of an improvement analysis, and its offline answer.

The offline answer is a heuristic, not a judgement: it looks for complaint themes
(keyword lists) in the comments of low-rated feedback and turns each theme into a
fixed instruction; a comment that fits no theme becomes "address this complaint"
with a low confidence. Confidence grows with the number of comments sharing a theme
(0.5 for one, +0.15 each, capped at 0.85, so by default nothing offline activates
itself). Evolution logs are not read by it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, Field

from shared.model.offline import heuristic, words

MAX_PROPOSALS = 5


class Evidence(BaseModel):
    feedback_id: str | None = Field(None, description="id of the feedback this comes from")
    quote: str = Field(description="the words of the feedback or log that support it")


class ProposedImprovement(BaseModel):
    improvement: str = Field(description="one short, actionable instruction for the agent")
    confidence: float = Field(description="0..1: how sure the evidence makes the proposal")
    evidence: list[Evidence] = Field(default_factory=list)


class ImprovementAnalysis(BaseModel):
    proposals: list[ProposedImprovement] = Field(default_factory=list)
    note: str = ""


THEMES: tuple[tuple[frozenset[str], str], ...] = tuple(
    (frozenset(keys.split()), instruction)
    for keys, instruction in (
        (
            "long lengthy verbose wordy rambling shorter concise",
            "Keep outputs concise: cut filler and stay within the length asked for.",
        ),
        (
            "short brief shallow detail details depth thin superficial",
            "Give enough detail: back each point with a concrete example or specific.",
        ),
        (
            "generic bland boring vague cliche cliched repetitive robotic",
            "Be specific and fresh: replace generic phrases with concrete, original wording.",
        ),
        (
            "tone formal casual voice stiff salesy pushy",
            "Match the user's tone and voice, as their Digital Soul describes it.",
        ),
        (
            "wrong incorrect inaccurate false facts factual hallucinated",
            "Check facts and claims before delivering; leave out anything unsupported.",
        ),
        (
            "typo typos grammar spelling misspelled punctuation",
            "Proofread spelling, grammar and punctuation before delivering.",
        ),
        (
            "hashtag hashtags emoji emojis",
            "Use hashtags and emojis sparingly, only where the platform expects them.",
        ),
        (
            "format formatting structure messy unreadable headings",
            "Structure the output clearly: short paragraphs, and lists where they help.",
        ),
        (
            "irrelevant offtopic topic relevant audience",
            "Stay on the requested topic and write for the stated audience.",
        ),
    )
)
NOTE = (
    "offline heuristic: complaint themes found by keyword in low-rated comments, "
    "not a model's judgement; confidence grows with the comments sharing a theme"
)


def _evidence(item: Mapping[str, Any]) -> Evidence:
    return Evidence(feedback_id=item["id"], quote=str(item["comment"])[:200])


@heuristic(ImprovementAnalysis)
def offline_analysis(prompt: str, data: Mapping[str, Any]) -> ImprovementAnalysis:
    commented = [f for f in data.get("feedback", []) if str(f.get("comment") or "").strip()]
    existing = set(data.get("existing", []))
    themed: list[ProposedImprovement] = []
    unthemed = list(commented)
    for keys, instruction in THEMES:
        support = [f for f in commented if keys & set(words(str(f["comment"])))]
        unthemed = [f for f in unthemed if f not in support]
        if not support or instruction in existing:
            continue
        themed.append(
            ProposedImprovement(
                improvement=instruction,
                confidence=min(0.85, 0.35 + 0.15 * len(support)),
                evidence=[_evidence(f) for f in support[:5]],
            )
        )
    themed.sort(key=lambda p: -p.confidence)
    for item in unthemed:
        comment = " ".join(str(item["comment"]).split())
        text = f'Address this complaint: "{comment[:150]}"'
        if len(words(comment)) >= 3 and text not in existing:
            themed.append(
                ProposedImprovement(improvement=text, confidence=0.3, evidence=[_evidence(item)])
            )
    return ImprovementAnalysis(proposals=themed[:MAX_PROPOSALS], note=NOTE)
