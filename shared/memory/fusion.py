"""Reciprocal rank fusion of recall's rankings (Cormack, Clarke and Büttcher, 2009).

A memory's fused score is the sum over the rankings that found it of 1 / (k + rank),
rank counted from 1. Only ranks matter, so a cosine similarity and a ``ts_rank`` (which
live on unrelated scales) combine without calibration, and a memory both rankings
found rises above one that only one of them ranked slightly higher. k = 60 is the
constant of the paper, kept by the systems that use the method. Pure: no database."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from shared.db import Row

RRF_K = 60


@dataclass(frozen=True)
class Ranking:
    """One ranking's rows, best first; each row has ``type``, ``id`` and ``score``."""

    name: str  # what ``matchedBy`` says: semantic, keyword
    rows: list[Row]
    details: dict[str, Any] = field(default_factory=dict)  # reported beside each score


def _key(row: Row) -> tuple[str, str]:
    return str(row["type"]), str(row["id"])


def fuse(rankings: Sequence[Ranking], limit: int, k: int = RRF_K) -> list[Row]:
    """The ``limit`` best rows, each with ``matchedBy`` (the rankings that found it),
    ``scores`` (per ranking: its rank and score) and ``score``: the fused one when
    there are several rankings, else the ranking's own."""
    found: dict[tuple[str, str], Row] = {}
    for ranking in rankings:
        for rank, row in enumerate(ranking.rows, start=1):
            key = _key(row)
            entry = found.setdefault(
                key,
                {**{c: v for c, v in row.items() if c != "score"}, "matchedBy": [], "scores": {}},
            )
            if entry.get("similarity") is None and row.get("similarity") is not None:
                entry["similarity"] = row["similarity"]
            entry["matchedBy"].append(ranking.name)
            entry["scores"][ranking.name] = {
                "rank": rank,
                "score": float(row["score"]),
                **ranking.details,
            }
            entry["score"] = entry.get("score", 0.0) + 1.0 / (k + rank)
    if len(rankings) == 1:
        for entry in found.values():
            entry["score"] = entry["scores"][rankings[0].name]["score"]
    ordered = sorted(found.values(), key=lambda r: (-r["score"], _key(r)[1]))
    return ordered[:limit]


def merged(rows: list[Row], limit: int) -> list[Row]:
    """Rows of several stores as one ranking: best ``score`` first, ties by id."""
    return sorted(rows, key=lambda r: (-float(r["score"]), str(r["id"])))[:limit]
