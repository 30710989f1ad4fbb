"""Feedback and metrics: what users and systems say about an agent's outputs.

Each is stored with its ``feedback.received`` event (feedback only) and its experiment
observation in one transaction, so the event, the row and the observation exist
together or not at all."""

from __future__ import annotations

import json
from typing import Any

from shared.db import Row, get_database
from shared.events import outbox
from shared.improve import experiments
from shared.improve.schemas import RATING_METRIC, FeedbackIn, MetricIn

FEEDBACK_COLUMNS = "id, user_id, agent_id, rating, comment, output_id, output, created_at"
METRIC_COLUMNS = "id, user_id, agent_id, name, value, created_at"


def record_feedback(user_id: str, body: FeedbackIn) -> dict[str, Any]:
    """Store a rating. The experiment unit is the rated output when named, else the
    user, the same unit a run without an id is assigned by."""
    with get_database().transaction() as tx:
        row: Row | None = tx.one(
            "INSERT INTO agent_feedback (user_id, agent_id, rating, comment, output_id, output) "
            f"VALUES (%s, %s, %s, %s, %s, %s::jsonb) RETURNING {FEEDBACK_COLUMNS}",
            (
                user_id,
                body.agent_id,
                body.rating,
                body.comment,
                body.output_id,
                None if body.output is None else json.dumps(body.output),
            ),
        )
        assert row is not None
        outbox.record(
            tx,
            user_id,
            "feedback.received",
            {
                "feedbackId": str(row["id"]),
                "agentId": body.agent_id,
                "rating": body.rating,
                "comment": body.comment,
                "outputId": body.output_id,
            },
        )
        observed = experiments.observe(
            tx,
            user_id,
            body.agent_id,
            metric=RATING_METRIC,
            value=float(body.rating),
            unit_id=body.output_id or user_id,
            source="feedback",
            source_id=str(row["id"]),
        )
    return {"success": True, "feedback": row, "experiment": observed}


def record_metric(user_id: str, body: MetricIn) -> dict[str, Any]:
    with get_database().transaction() as tx:
        row: Row | None = tx.one(
            "INSERT INTO agent_metrics (user_id, agent_id, name, value) "
            f"VALUES (%s, %s, %s, %s) RETURNING {METRIC_COLUMNS}",
            (user_id, body.agent_id, body.name, body.value),
        )
        assert row is not None
        observed = experiments.observe(
            tx,
            user_id,
            body.agent_id,
            metric=body.name,
            value=body.value,
            unit_id=body.output_id or user_id,
            source="metric",
            source_id=str(row["id"]),
        )
    return {"success": True, "metric": row, "experiment": observed}
