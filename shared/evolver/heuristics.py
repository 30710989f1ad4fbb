"""The offline model's critic and reviser. No language model: a stated rubric, applied
deterministically, so ``make run`` and the test suite exercise the whole loop.

The critic's rubric, over the output's text (a string, or every string in an object):
starting from 1.0, an empty text scores 0; fewer than ``MIN_WORDS`` words costs 0.25
and more than ``MAX_WORDS`` costs 0.2; each repeated sentence costs 0.15 (at most
0.45); each phrase the Digital Soul says to avoid costs 0.2 (at most 0.6); each stock
phrase of ``CLICHES`` costs 0.1 (at most 0.2); shouting (three or more ``!``, or two or
more words of four or more capitals) costs 0.1; using none of the soul's vocabulary
costs 0.1. ``voiceConsistency`` counts only the voice items (avoided phrases 0.25 each,
vocabulary 0.15, shouting 0.1). Every issue comes with a suggestion. ``shouldImprove``
is true only when the reviser below can fix one of the issues: the offline loop never
spends a call on a rewrite it knows cannot help, and then says the critic had no fix
(never that it was satisfied).

The reviser puts a shouted text in sentence case (words in capitals lowered, one
exclamation mark kept), removes avoided and stock phrases, drops repeated sentences
and tidies the spacing left behind, line by line; in an object output it does so in
every string. A text too short to stand on its own gets the parts it is missing
(``PARTS``: what it is about, who it is for, what to do) from the evolution's
``context`` when that names them (``{"topic": "the spring preset pack"}`` adds
``About the spring preset pack.``): nothing is invented. A text it would empty
entirely is left as it was: that is no rewrite."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from pydantic import BaseModel

from shared.evolver.schemas import Critique, TextRevision
from shared.model.offline import heuristic

MIN_WORDS = 8
MAX_WORDS = 1200
CLICHES = (
    "in today's fast-paced world",
    "game-changer",
    "game changer",
    "unlock your potential",
    "at the end of the day",
    "take it to the next level",
)
# what a short text is missing, in order: the context key that holds it, and how its
# sentence starts
PARTS = (
    ("topic", "About"),
    ("audience", "For"),
    ("callToAction", ""),
)
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
_CAPS = re.compile(r"\b[A-Z]{4,}\b")
_WORD = re.compile(r"[A-Za-z0-9']+")


def strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from strings(v)


def _listed(value: Any) -> list[str]:
    if isinstance(value, str):
        return [p.strip() for p in value.split(",") if p.strip()]
    if isinstance(value, list):
        return [str(v).strip() for v in value if str(v).strip()]
    return []


def voice(soul: Mapping[str, Any] | None) -> tuple[list[str], list[str]]:
    """(phrases to avoid, vocabulary) from a soul row or a bare fingerprint."""
    if not soul:
        return [], []
    fingerprint = soul.get("semantic_fingerprint", soul)
    if not isinstance(fingerprint, Mapping):
        return [], []
    return _listed(fingerprint.get("avoid")), _listed(fingerprint.get("vocabulary"))


def _phrase(phrase: str) -> re.Pattern[str]:
    return re.compile(rf"(?<![\w-]){re.escape(phrase)}(?![\w-])", re.IGNORECASE)


def _sentence_key(sentence: str) -> str:
    return " ".join(_WORD.findall(sentence.lower()))


def _repeated(text: str) -> list[str]:
    seen: set[str] = set()
    repeats: list[str] = []
    for line in text.splitlines():
        for sentence in _SENTENCE_END.split(line):
            key = _sentence_key(sentence)
            if key and key in seen:
                repeats.append(sentence.strip())
            seen.add(key)
    return repeats


def _shouts(text: str) -> bool:
    return text.count("!") >= 3 or len(_CAPS.findall(text)) >= 2


def _context_texts(context: Any) -> dict[str, str]:
    """The context's texts by key, its own and those one object down (an agent step
    passes ``{"action", "request": payload}``)."""
    if not isinstance(context, Mapping):
        return {}
    found: dict[str, str] = {}
    for key, value in context.items():
        if isinstance(value, str):
            found.setdefault(str(key), value)
        elif isinstance(value, Mapping):
            for inner, text in value.items():
                if isinstance(text, str):
                    found.setdefault(str(inner), text)
    return found


def _missing_parts(text: str, context: Any) -> list[str]:
    """Sentences for the parts of ``PARTS`` the context names and the text lacks."""
    texts = _context_texts(context)
    parts: list[str] = []
    for key, lead in PARTS:
        value = " ".join(texts.get(key, "").split())
        if not _WORD.search(value) or len(value) > 300 or value.lower() in text.lower():
            continue
        sentence = f"{lead} {value}" if lead else value[:1].upper() + value[1:]
        parts.append(sentence if sentence[-1] in ".!?" else sentence + ".")
    return parts


def critique(output: Any, soul: Mapping[str, Any] | None, context: Any = None) -> Critique:
    text = "\n".join(strings(output))
    count = len(_WORD.findall(text))
    if count == 0:
        return Critique(
            score=0.0,
            shouldImprove=False,
            issues=["the output has no text"],
            suggestions=[],
            voiceConsistency=0.0,
        )
    avoid, vocabulary = voice(soul)
    issues: list[str] = []
    suggestions: list[str] = []
    score, voice_score = 1.0, 1.0
    completable = False
    if count < MIN_WORDS:
        score -= 0.25
        issues.append(f"only {count} words: too short to stand on its own")
        completable = isinstance(output, str) and bool(_missing_parts(text, context))
        suggestions.append(
            "add what it is about and who it is for, from the context"
            if completable
            else "say what it is about, who it is for and what the reader should do next"
        )
    if count > MAX_WORDS:
        score -= 0.2
        issues.append(f"{count} words: longer than {MAX_WORDS}")
        suggestions.append(f"cut it to at most {MAX_WORDS} words")
    repeats = _repeated(text)
    if repeats:
        score -= min(0.45, 0.15 * len(repeats))
        issues += [f"repeated sentence: {r[:120]!r}" for r in repeats[:5]]
        suggestions.append("drop the repeated sentences")
    banned = [p for p in avoid if _phrase(p).search(text)]
    if banned:
        score -= min(0.6, 0.2 * len(banned))
        voice_score -= 0.25 * len(banned)
        issues += [f"uses {p!r}, which the creator avoids" for p in banned]
        suggestions += [f"remove {p!r}" for p in banned]
    cliches = [c for c in CLICHES if _phrase(c).search(text)]
    if cliches:
        score -= min(0.2, 0.1 * len(cliches))
        issues += [f"stock phrase {c!r}" for c in cliches]
        suggestions += [f"remove the stock phrase {c!r}" for c in cliches]
    shouting = _shouts(text)
    if shouting:
        score -= 0.1
        voice_score -= 0.1
        issues.append("shouting: many exclamation marks or words in capitals")
        suggestions.append("write it in sentence case, with one exclamation mark at most")
    if vocabulary and not any(_phrase(v).search(text) for v in vocabulary):
        score -= 0.1
        voice_score -= 0.15
        issues.append("uses none of the creator's vocabulary: " + ", ".join(vocabulary[:8]))
        suggestions.append("use some of the creator's words: " + ", ".join(vocabulary[:8]))
    return Critique(
        score=round(max(0.0, score), 4),
        shouldImprove=bool(repeats or banned or cliches or shouting or completable),
        issues=issues[:20],
        suggestions=suggestions[:20],
        voiceConsistency=round(max(0.0, voice_score), 4),
    )


def _calm(text: str) -> str:
    """A shouted text in sentence case: words in capitals lowered, one ``!`` kept."""
    text = re.sub(r"\b[A-Z][A-Z']+\b", lambda m: m.group(0).lower(), text)
    text = re.sub(r"!{2,}", "!", text)
    first = text.find("!")
    text = text[: first + 1] + text[first + 1 :].replace("!", ".")
    return re.sub(r"(^|[.!?]\s+)([a-z])", lambda m: m.group(1) + m.group(2).upper(), text)


def _complete(text: str, context: Any) -> str:
    """A too-short text with the parts the context holds and it lacks."""
    for part in _missing_parts(text, context):
        text = text.rstrip()
        text = f"{text if text[-1:] in '.!?' else text + '.'} {part}"
    return text


def revise_text(text: str, soul: Mapping[str, Any] | None, context: Any = None) -> str:
    if _shouts(text):
        text = _calm(text)
    if len(_WORD.findall(text)) < MIN_WORDS:
        text = _complete(text, context)
    avoid, _ = voice(soul)
    patterns = [_phrase(p) for p in (*avoid, *CLICHES)]
    seen: set[str] = set()
    lines: list[str] = []
    for line in text.splitlines():
        kept: list[str] = []
        for sentence in _SENTENCE_END.split(line):
            key = _sentence_key(sentence)
            if key and key in seen:
                continue
            seen.add(key)
            cut = sentence
            for pattern in patterns:
                cut = pattern.sub("", cut)
            sentence = _tidy(cut) if cut != sentence else sentence.strip()
            if _WORD.search(sentence):
                kept.append(sentence)
        if kept or not line.strip():
            lines.append(" ".join(kept))
    revised = re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
    return revised if _WORD.search(revised) else text  # nothing left: not a rewrite


def _tidy(sentence: str) -> str:
    sentence = re.sub(r"[ \t]{2,}", " ", sentence)
    sentence = re.sub(r"\s+([,.;:!?])", r"\1", sentence)
    sentence = re.sub(r"([,;:])(?:\s*[,;:])+", r"\1", sentence)
    sentence = re.sub(r"^[\s,;:]+", "", sentence).strip()
    return sentence[:1].upper() + sentence[1:] if sentence[:1].islower() else sentence


def revise(value: Any, soul: Mapping[str, Any] | None) -> Any:
    """``revise_text`` applied to every string of ``value``, structure unchanged."""
    if isinstance(value, str):
        return revise_text(value, soul) if value.strip() else value
    if isinstance(value, dict):
        return {k: revise(v, soul) for k, v in value.items()}
    if isinstance(value, list):
        return [revise(v, soul) for v in value]
    return value


@heuristic(Critique)
def offline_critique(prompt: str, data: Mapping[str, Any]) -> Critique:
    return critique(data.get("output"), data.get("soul"), data.get("context"))


@heuristic(TextRevision)
def offline_revision(prompt: str, data: Mapping[str, Any]) -> TextRevision:
    output, soul = str(data.get("output", "")), data.get("soul")
    return TextRevision(content=revise_text(output, soul, data.get("context")))


def offline_object_revision(schema: type[BaseModel]) -> None:
    """Register the reviser for one object shape's revision schema."""

    def answer(prompt: str, data: Mapping[str, Any]) -> BaseModel:
        return schema.model_validate(revise(data.get("output"), data.get("soul")))

    heuristic(schema)(answer)
