from __future__ import annotations

import math

from shared.model.offline import OfflineModel


def cosine(a: list[float], b: list[float]) -> float:
    return sum(x * y for x, y in zip(a, b, strict=True))


def test_embeddings_have_768_dimensions_and_unit_norm() -> None:
    vectors = OfflineModel().embed(["Weekly newsletter about indie games", ""]).value
    assert [len(v) for v in vectors] == [768, 768]
    assert all(math.isclose(math.sqrt(sum(x * x for x in v)), 1.0) for v in vectors)


def test_embeddings_are_deterministic() -> None:
    m = OfflineModel()
    assert m.embed(["same text"]).value == m.embed(["same text"]).value


def test_a_paraphrase_sharing_words_ranks_above_an_unrelated_text() -> None:
    q, para, other = (
        OfflineModel()
        .embed(
            [
                "grow the weekly newsletter audience",
                "grow newsletter audience every week",
                "fix the kitchen sink drain",
            ]
        )
        .value
    )
    assert cosine(q, para) > cosine(q, other) + 0.2
