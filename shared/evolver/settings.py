"""Evolver settings per user and agent: whether outputs are evolved, how many
regenerations at most, the score that is good enough, and an optional token budget.
An agent never configured has the defaults; a row exists only once a user changed
something."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from shared.db import Row, get_database
from shared.evolver.loop import DEFAULT_MAX_ITERATIONS, DEFAULT_THRESHOLD, Limits
from shared.evolver.schemas import SettingsIn

COLUMNS = "agent_id, enabled, max_iterations, threshold, token_budget, updated_at"
# body field -> column; the only identifiers an update writes
_WRITABLE = {
    "enabled": "enabled",
    "max_iterations": "max_iterations",
    "threshold": "threshold",
    "token_budget": "token_budget",
}


@dataclass(frozen=True)
class EvolverSettings:
    agent_id: str
    enabled: bool = True
    max_iterations: int = DEFAULT_MAX_ITERATIONS
    threshold: float = DEFAULT_THRESHOLD
    token_budget: int | None = None
    updated_at: Any = None  # None: never set, the defaults

    @property
    def limits(self) -> Limits:
        return Limits(self.max_iterations, self.threshold, self.token_budget)

    def as_row(self) -> dict[str, Any]:
        return {
            "agent_id": self.agent_id,
            "enabled": self.enabled,
            "max_iterations": self.max_iterations,
            "threshold": self.threshold,
            "token_budget": self.token_budget,
            "updated_at": self.updated_at,
        }


def _from_row(row: Row) -> EvolverSettings:
    # ``real`` comes back as a binary float: 0.85 reads 0.8500000238...
    return EvolverSettings(
        agent_id=row["agent_id"],
        enabled=row["enabled"],
        max_iterations=row["max_iterations"],
        threshold=round(float(row["threshold"]), 6),
        token_budget=row["token_budget"],
        updated_at=row["updated_at"],
    )


def settings_for(user_id: str, agent_id: str) -> EvolverSettings:
    with get_database().transaction() as tx:
        row = tx.one(
            f"SELECT {COLUMNS} FROM evolver_settings WHERE user_id = %s AND agent_id = %s",
            (user_id, agent_id),
        )
    return EvolverSettings(agent_id) if row is None else _from_row(row)


def update_settings(user_id: str, agent_id: str, changes: SettingsIn) -> EvolverSettings:
    """Apply the fields given (a ``tokenBudget`` of ``null`` removes the budget) over
    the current settings, or over the defaults for an agent never configured."""
    given = {f: getattr(changes, f) for f in changes.model_fields_set if f in _WRITABLE}
    given = {f: v for f, v in given.items() if v is not None or f == "token_budget"}
    defaults = EvolverSettings(agent_id).as_row()
    insert = [defaults[c] if f not in given else given[f] for f, c in _WRITABLE.items()]
    sets = [f"{_WRITABLE[f]} = EXCLUDED.{_WRITABLE[f]}" for f in given] + ["updated_at = now()"]
    with get_database().transaction() as tx:
        row = tx.one(
            "INSERT INTO evolver_settings (user_id, agent_id, enabled, max_iterations, "
            "threshold, token_budget) VALUES (%s, %s, %s, %s, %s, %s) "
            f"ON CONFLICT (user_id, agent_id) DO UPDATE SET {', '.join(sets)} "
            f"RETURNING {COLUMNS}",
            (user_id, agent_id, *insert),
        )
    assert row is not None
    return _from_row(row)
