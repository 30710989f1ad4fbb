"""The answers of the event routes, as response models (``shared.web.shapes``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from pydantic import Field

from shared.events.log import DispatchStatus
from shared.run_states import RunStatus, TriggerType
from shared.web.shapes import ResponseModel


class Trigger(ResponseModel):
    id: UUID
    user_id: str
    event_type: str
    workflow_id: UUID
    name: str | None
    conditions: dict[str, Any]
    is_active: bool
    allow_recursion: bool
    triggered_count: int
    last_triggered_at: datetime | None
    created_at: datetime


class TriggerSaved(ResponseModel):
    success: bool
    trigger: Trigger


class EventPublished(ResponseModel):
    success: bool
    eventId: UUID


class EventRun(ResponseModel):
    """A workflow run an event started, with its current status."""

    id: UUID
    workflow_id: UUID
    trigger_type: TriggerType
    status: RunStatus
    error: str | None
    started_at: datetime
    finished_at: datetime | None


class EventRow(ResponseModel):
    """One event of the event log, with what its dispatch triggered."""

    id: UUID
    event_type: str
    event_data: dict[str, Any]
    depth: int
    chain: list[UUID] = Field(description="the workflows whose runs led to the event, oldest first")
    occurred_at: datetime
    published_at: datetime | None
    publish_attempts: int
    publish_error: str | None = Field(
        description="why the event can never be published (it was set aside)"
    )
    dispatch_status: DispatchStatus
    dispatched_at: datetime | None
    triggered: list[dict[str, Any]] = Field(
        description="each trigger or handler the dispatch ran, and what became of it"
    )
    detail: str | None
    created_at: datetime
    runs: list[EventRun]
