"""De-duplication by meaning: within a batch, against the suggestion memory, and only
between vectors of the same embedding model."""

from __future__ import annotations

import math

import pytest
from pgvector import Vector

from shared.db import Database
from shared.goals.dedupe import screen

MODEL = "test-model"


def unit(*components: float) -> list[float]:
    vec = list(components) + [0.0] * (768 - len(components))
    norm = math.sqrt(sum(x * x for x in vec))
    return [x / norm for x in vec]


def remember(
    db: Database, user: str, title: str, vector: list[float], days_ago: int, model: str = MODEL
) -> None:
    with db.transaction() as tx:
        tx.execute(
            "INSERT INTO goal_suggestions (user_id, title, embedding, embedding_model, "
            "created_at) VALUES (%s, %s, %s::vector, %s, now() - make_interval(days => %s))",
            (user, title, Vector(vector), model, days_ago),
        )


def judge(db: Database, user: str, titles: list[str], vectors: list[list[float]]) -> list[bool]:
    with db.transaction() as tx:
        return [v.kept for v in screen(tx, user, titles, vectors, MODEL, 0.85)]


def test_a_suggestion_close_to_an_earlier_one_of_the_batch_is_dropped(db: Database) -> None:
    titles = ["Grow the newsletter", "Grow our newsletter", "Post daily"]
    vectors = [unit(1, 0), unit(1, 0.3), unit(0, 1)]  # cosine(0, 1) is about 0.96
    assert judge(db, "batch-user", titles, vectors) == [True, False, True]


def test_a_suggestion_at_most_the_threshold_is_kept(db: Database) -> None:
    # cosine exactly 0.8: below 0.85, so both are kept
    assert judge(db, "batch-user", ["a", "b"], [unit(1, 0), unit(0.8, 0.6)]) == [True, True]


@pytest.mark.parametrize(("days_ago", "kept"), [(29, False), (31, True)])
def test_suggestions_are_remembered_for_thirty_days(
    db: Database, days_ago: int, kept: bool
) -> None:
    user = f"memory-{days_ago}"
    remember(db, user, "Grow the newsletter", unit(0, 0, 1), days_ago)
    assert judge(db, user, ["Grow our newsletter"], [unit(0, 0.1, 1)]) == [kept]


def test_vectors_of_another_embedding_model_are_not_compared(db: Database) -> None:
    remember(db, "model-user", "Grow the newsletter", unit(0, 0, 0, 1), 1, model="other-model")
    assert judge(db, "model-user", ["Grow the newsletter"], [unit(0, 0, 0, 1)]) == [True]


def test_another_users_suggestions_are_not_compared(db: Database) -> None:
    remember(db, "owner", "Grow the newsletter", unit(0, 0, 0, 0, 1), 1)
    assert judge(db, "stranger", ["Grow the newsletter"], [unit(0, 0, 0, 0, 1)]) == [True]
