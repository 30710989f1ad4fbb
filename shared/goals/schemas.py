"""The answers of the goal routes, as response models (``shared.web.shapes``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from pydantic import Field

from shared.goals.lifecycle import Status
from shared.web.shapes import ResponseModel


class Goal(ResponseModel):
    id: UUID
    user_id: str
    title: str
    description: str | None
    priority: int = Field(ge=1, le=10)
    status: Status
    parent_id: UUID | None
    context: dict[str, Any]
    created_at: datetime
    updated_at: datetime
    completed_at: datetime | None


class GoalSaved(ResponseModel):
    success: bool
    goal: Goal


class Subtasks(ResponseModel):
    success: bool
    subtasks: list[Goal]


class DroppedSuggestion(ResponseModel):
    """A suggestion not made a goal: too close in meaning to another."""

    title: str
    similarTo: str | None
    similarity: float | None
    source: Literal["goal", "suggestion", "batch"] | None


class Generated(ResponseModel):
    createdGoals: list[Goal]
    insights: list[str]
    skipped: Literal["daily_limit", "open_goal_cap", "analysis_unavailable"] | None
    droppedSuggestions: list[DroppedSuggestion]
