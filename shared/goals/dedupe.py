"""Whether a suggested goal is new, judged by meaning.

A suggestion is dropped when its title embedding's cosine similarity is above the
threshold to the title of one of the user's pending or active goals, to a goal
suggested to the user in the last 30 days, or to an earlier suggestion of the same
batch. Only vectors of the same embedding model are compared; titles are never
matched as patterns, so ``%`` and ``_`` are ordinary characters."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from shared.db import Tx
from shared.db.vector import to_vector
from shared.goals.lifecycle import OPEN

SUGGESTION_MEMORY_DAYS = 30


@dataclass
class Verdict:
    title: str
    kept: bool
    similar_to: str | None = None
    similarity: float | None = None
    source: str | None = None  # 'goal', 'suggestion' or 'batch'

    def as_json(self) -> dict[str, object]:
        return {
            "title": self.title,
            "similarTo": self.similar_to,
            "similarity": None if self.similarity is None else round(self.similarity, 4),
            "source": self.source,
        }


def cosine(a: Sequence[float], b: Sequence[float]) -> float:
    dot = sum(x * y for x, y in zip(a, b, strict=True))
    norm = math.sqrt(sum(x * x for x in a)) * math.sqrt(sum(y * y for y in b))
    return dot / norm if norm else 0.0


def nearest_stored(
    tx: Tx, user_id: str, vector: Sequence[float], model: str
) -> tuple[float, str, str] | None:
    """The most similar open goal or recent suggestion of this user: an exact scan of
    the user's rows (no approximate index, so no match is missed)."""
    v = to_vector(list(vector))
    row = tx.one(
        "SELECT similarity, title, source FROM ("
        " SELECT 1 - (embedding <=> %s::vector) AS similarity, title, 'goal' AS source"
        " FROM goals WHERE user_id = %s AND status = ANY(%s) AND embedding_model = %s"
        " AND embedding IS NOT NULL"
        " UNION ALL"
        " SELECT 1 - (embedding <=> %s::vector), title, 'suggestion'"
        " FROM goal_suggestions WHERE user_id = %s AND embedding_model = %s"
        " AND embedding IS NOT NULL AND created_at > now() - make_interval(days => %s)"
        ") candidates ORDER BY similarity DESC LIMIT 1",
        (v, user_id, list(OPEN), model, v, user_id, model, SUGGESTION_MEMORY_DAYS),
    )
    if row is None:
        return None
    return float(row["similarity"]), str(row["title"]), str(row["source"])


def screen(
    tx: Tx,
    user_id: str,
    titles: Sequence[str],
    vectors: Sequence[Sequence[float]],
    model: str,
    threshold: float,
) -> list[Verdict]:
    """One verdict per suggestion, in order."""
    verdicts: list[Verdict] = []
    for i, (title, vector) in enumerate(zip(titles, vectors, strict=True)):
        stored = nearest_stored(tx, user_id, vector, model)
        if stored is not None and stored[0] > threshold:
            verdicts.append(Verdict(title, False, stored[1], stored[0], stored[2]))
            continue
        earlier = [(cosine(vector, vectors[j]), titles[j]) for j in range(i)]
        closest = max(earlier, default=None)
        if closest is not None and closest[0] > threshold:
            verdicts.append(Verdict(title, False, closest[1], closest[0], "batch"))
            continue
        verdicts.append(Verdict(title, True))
    return verdicts
