"""The deterministic offline model, used when no Gemini credentials are configured.

It never pretends to think. Embeddings are feature hashing of normalised word
unigrams and bigrams into 768 dimensions, L2-normalised, so texts that share words are
close. Structured answers come from the heuristic each capability registers beside its
schema (``@heuristic(Schema)``), which states its rubric. Text generation returns the
prompt's own material, tidied (whitespace collapsed, repeated lines dropped), behind
``OFFLINE_MARKER`` so nobody mistakes it for generated prose."""

from __future__ import annotations

import hashlib
import itertools
import math
import re
from collections.abc import Callable, Mapping
from typing import Any

from pydantic import BaseModel, ValidationError

from shared.model.port import DIMENSIONS, ModelFailure, Result, T, TaskType, Usage

OFFLINE_EMBEDDING_MODEL = "offline-hash-768"
OFFLINE_MARKER = "[offline model]"
_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")


Heuristic = Callable[[str, Mapping[str, Any]], BaseModel]
_heuristics: dict[type[BaseModel], Heuristic] = {}


def heuristic(
    schema: type[T],
) -> Callable[[Callable[[str, Mapping[str, Any]], T]], Callable[[str, Mapping[str, Any]], T]]:
    """Register the offline answer for ``schema``: a function of (prompt, data) that
    states its rubric. Capabilities register theirs beside the schema they define."""

    def register(
        fn: Callable[[str, Mapping[str, Any]], T],
    ) -> Callable[[str, Mapping[str, Any]], T]:
        _heuristics[schema] = fn
        return fn

    return register


def words(text: str) -> list[str]:
    return _WORD.findall(text.lower())


def tidy(text: str) -> str:
    """Whitespace collapsed within lines, blank runs to one blank line, and lines
    already seen (ignoring case and spacing) dropped."""
    seen: set[str] = set()
    lines: list[str] = []
    for raw in text.splitlines():
        line = " ".join(raw.split())
        key = line.lower()
        if line and key in seen:
            continue
        if not line and (not lines or not lines[-1]):
            continue
        seen.add(key)
        lines.append(line)
    return "\n".join(lines).strip()


def _bucket(feature: str) -> tuple[int, float]:
    digest = hashlib.blake2b(feature.encode(), digest_size=8).digest()
    value = int.from_bytes(digest, "big")
    return value % DIMENSIONS, (1.0 if (value >> 63) & 1 else -1.0)


def hash_embedding(text: str) -> list[float]:
    vec = [0.0] * DIMENSIONS
    tokens = words(text)
    features = tokens + [f"{a} {b}" for a, b in itertools.pairwise(tokens)]
    for feature in features:
        index, sign = _bucket(feature)
        vec[index] += sign
    norm = math.sqrt(sum(v * v for v in vec))
    if norm == 0:
        vec[0] = 1.0
        return vec
    return [v / norm for v in vec]


class OfflineModel:
    name = "offline"
    embedding_model = OFFLINE_EMBEDDING_MODEL

    def generate_structured(
        self,
        prompt: str,
        schema: type[T],
        *,
        system: str | None = None,
        data: Mapping[str, Any] | None = None,
    ) -> Result[T]:
        answer = _heuristics.get(schema)
        if answer is None:
            raise ModelFailure(
                f"the offline model has no heuristic for {schema.__name__}",
                kind="permanent",
                usage=Usage(calls=1),
            )
        try:
            value = schema.model_validate(answer(prompt, data or {}))
        except ValidationError as exc:
            raise ModelFailure(
                f"the offline heuristic for {schema.__name__} gave an invalid answer: {exc}",
                kind="invalid_output",
                usage=Usage(calls=1),
            ) from None
        return Result(value, Usage(calls=1))

    def generate_text(self, prompt: str, *, system: str | None = None) -> Result[str]:
        """``OFFLINE_MARKER`` then the prompt tidied; ``system`` is not material."""
        return Result(f"{OFFLINE_MARKER} {tidy(prompt)}".rstrip(), Usage(calls=1))

    def embed(
        self, texts: list[str], task_type: TaskType = "RETRIEVAL_DOCUMENT"
    ) -> Result[list[list[float]]]:
        return Result([hash_embedding(t) for t in texts], Usage(calls=1 if texts else 0))
