"""A/B experiments over an agent's behaviour: variants of Evolver settings or of a
prompt instruction, each unit (a run, or a user) deterministically assigned to one.

Outcomes arrive with feedback (metric ``rating``) and metrics of the same name, in the
same transaction as the row they come from. After each observation the stop rule is
checked: every variant has ``min_samples`` and a challenger differs from the control
(the first variant) at ``alpha`` (Bonferroni-corrected over the challengers), or every
variant has ``max_samples``. Higher values are better."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from shared.config import get_settings
from shared.db import Row, Tx, get_database, sqlstate
from shared.errors import Conflict, Invalid, NotFound
from shared.ids import object_id
from shared.improve.schemas import ExperimentIn
from shared.improve.significance import finite, mean, stdev, welch_t_test

COLUMNS = (
    "id, user_id, agent_id, name, variants, metric, status, min_samples, max_samples, "
    "result, created_at, stopped_at"
)


def assign(experiment: Row, unit_id: str) -> dict[str, Any]:
    """The variant of ``unit_id``: a hash of the experiment id and the unit, so the same
    unit always gets the same variant and units spread evenly over the variants."""
    variants: list[dict[str, Any]] = experiment["variants"]
    digest = hashlib.sha256(f"{experiment['id']}:{unit_id}".encode()).digest()
    return variants[int.from_bytes(digest[:8], "big") % len(variants)]


def _running(tx: Tx, user_id: str, agent_id: str, *, lock: bool = False) -> Row | None:
    return tx.one(
        f"SELECT {COLUMNS} FROM experiments WHERE user_id = %s AND agent_id = %s "
        "AND status = 'running'" + (" FOR UPDATE" if lock else ""),
        (user_id, agent_id),
    )


def variant_for(user_id: str, agent_id: str, unit_id: str) -> dict[str, Any] | None:
    """The variant a unit (a run id, or the user id) gets in the agent's running
    experiment, with ``experimentId`` added; None when no experiment runs."""
    with get_database().transaction() as tx:
        experiment = _running(tx, user_id, agent_id)
    if experiment is None:
        return None
    return {**assign(experiment, unit_id), "experimentId": str(experiment["id"])}


def create(user_id: str, body: ExperimentIn) -> Row:
    max_samples = body.max_samples or max(
        get_settings().improve_experiment_max_samples, body.min_samples
    )
    if max_samples < body.min_samples:
        raise Invalid("invalid request body: maxSamples: must be at least minSamples")
    variants = [v.model_dump(by_alias=True, exclude_none=True) for v in body.variants]
    try:
        with get_database().transaction() as tx:
            row = tx.one(
                "INSERT INTO experiments (user_id, agent_id, name, variants, metric, "
                f"min_samples, max_samples) VALUES (%s, %s, %s, %s::jsonb, %s, %s, %s) "
                f"RETURNING {COLUMNS}",
                (
                    user_id,
                    body.agent_id,
                    body.name,
                    json.dumps(variants),
                    body.metric,
                    body.min_samples,
                    max_samples,
                ),
            )
    except Exception as exc:
        if sqlstate(exc) == "23505":
            raise Conflict(
                f"agent {body.agent_id} already has a running experiment; stop it first"
            ) from None
        raise
    assert row is not None
    return row


def _owned(tx: Tx, user_id: str, experiment_id: str, *, lock: bool = False) -> Row:
    experiment_id = object_id(experiment_id, "experiment")
    row = tx.one(
        f"SELECT {COLUMNS} FROM experiments WHERE id = %s AND user_id = %s"
        + (" FOR UPDATE" if lock else ""),
        (experiment_id, user_id),
    )
    if row is None:
        raise NotFound("experiment not found")
    return row


def results(tx: Tx, experiment: Row) -> dict[str, Any]:
    """Per-variant n, mean and standard deviation, each challenger tested against the
    control with Welch's t-test, and what the stop rule decides now."""
    values: dict[str, list[float]] = {v["name"]: [] for v in experiment["variants"]}
    for obs in tx.all(
        "SELECT variant, value FROM experiment_observations WHERE experiment_id = %s "
        "AND user_id = %s ORDER BY created_at, id",
        (experiment["id"], experiment["user_id"]),
    ):
        values.setdefault(obs["variant"], []).append(float(obs["value"]))
    names = [v["name"] for v in experiment["variants"]]
    summary = [
        {
            "name": name,
            "n": len(values[name]),
            "mean": mean(values[name]),
            "stddev": stdev(values[name]),
        }
        for name in names
    ]
    alpha = get_settings().improve_experiment_alpha
    corrected = alpha / (len(names) - 1)
    control = names[0]
    comparisons = []
    for name in names[1:]:
        test = welch_t_test(values[name], values[control])
        comparisons.append(
            {
                "variant": name,
                "control": control,
                "t": finite(test.t) if test else None,
                "df": test.df if test else None,
                "pValue": test.p_value if test else None,
                "significant": bool(test and test.p_value < corrected),
            }
        )
    return {
        "variants": summary,
        "comparisons": comparisons,
        "test": "welch-t (two-sided), each variant against the first",
        "alpha": alpha,
        "correctedAlpha": corrected,
        **_decision(experiment, summary, comparisons),
    }


def _decision(
    experiment: Row, summary: list[dict[str, Any]], comparisons: list[dict[str, Any]]
) -> dict[str, Any]:
    counts = [s["n"] for s in summary]
    significant = [c["variant"] for c in comparisons if c["significant"]]
    if min(counts) >= experiment["min_samples"] and significant:
        means = {s["name"]: s["mean"] for s in summary}
        contenders = [summary[0]["name"], *significant]
        winner = max(contenders, key=lambda name: means[name])
        return {"stop": True, "winner": winner, "reason": "significant difference"}
    if min(counts) >= (experiment["max_samples"] or experiment["min_samples"]):
        return {
            "stop": True,
            "winner": None,
            "reason": "every variant reached maxSamples without a significant difference",
        }
    return {"stop": False, "winner": None, "reason": None}


def observe(
    tx: Tx,
    user_id: str,
    agent_id: str,
    *,
    metric: str,
    value: float,
    unit_id: str,
    source: str,
    source_id: str,
) -> dict[str, Any] | None:
    """Record an outcome in the agent's running experiment on ``metric``, inside the
    transaction of the feedback or metric it comes from; conclude when the stop rule
    says so. Returns what was recorded, or None when no experiment measures it."""
    experiment = _running(tx, user_id, agent_id, lock=True)
    if experiment is None or experiment["metric"] != metric:
        return None
    variant = assign(experiment, unit_id)["name"]
    tx.execute(
        "INSERT INTO experiment_observations (experiment_id, user_id, unit_id, variant, "
        "value, source, source_id) VALUES (%s, %s, %s, %s, %s, %s, %s) "
        "ON CONFLICT DO NOTHING",
        (experiment["id"], user_id, unit_id, variant, value, source, source_id),
    )
    outcome = results(tx, experiment)
    if outcome["stop"]:
        tx.execute(
            "UPDATE experiments SET status = 'concluded', result = %s::jsonb, "
            "stopped_at = now() WHERE id = %s AND user_id = %s",
            (json.dumps(outcome), experiment["id"], user_id),
        )
    return {"experimentId": str(experiment["id"]), "variant": variant}


def show(user_id: str, experiment_id: str) -> Row:
    """The experiment with its results: live while running, as decided once ended."""
    with get_database().transaction() as tx:
        experiment = _owned(tx, user_id, experiment_id)
        if experiment["status"] == "running":
            experiment["result"] = results(tx, experiment)
    return experiment


def stop(user_id: str, experiment_id: str) -> Row:
    """End a running experiment by hand, keeping its results as they stand."""
    with get_database().transaction() as tx:
        experiment = _owned(tx, user_id, experiment_id, lock=True)
        if experiment["status"] != "running":
            raise Conflict(f"experiment is already {experiment['status']}")
        outcome = {
            **results(tx, experiment),
            "stop": True,
            "winner": None,
            "reason": "stopped by the user",
        }
        row = tx.one(
            "UPDATE experiments SET status = 'stopped', result = %s::jsonb, stopped_at = now() "
            f"WHERE id = %s AND user_id = %s RETURNING {COLUMNS}",
            (json.dumps(outcome), experiment["id"], user_id),
        )
    assert row is not None
    return row
