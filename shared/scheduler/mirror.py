"""The Cloud Scheduler mirror as a port: the job each task should have, what a job
looks like when read back, and which fields differ. Pure: no SDK types here; the
adapter (``cloud_scheduler``) converts to and from ``scheduler_v1.Job``."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Protocol

from shared.config import Settings

# The job fields an update may name in its mask (Cloud Scheduler's field names).
FIELDS = ("schedule", "time_zone", "http_target", "retry_config", "attempt_deadline")


@dataclass(frozen=True)
class RetryPolicy:
    retry_count: int
    min_backoff_seconds: int = 10
    max_backoff_seconds: int = 300
    max_doublings: int = 3


@dataclass(frozen=True)
class JobSpec:
    """A job as we want it (or as read back: then ``paused`` and ``state`` are set)."""

    job_id: str
    schedule: str
    time_zone: str
    uri: str
    body: bytes
    headers: dict[str, str]
    service_account: str
    audience: str
    retry: RetryPolicy
    attempt_deadline_seconds: int
    paused: bool = False
    state: str = "ENABLED"
    extra: dict[str, Any] = field(default_factory=dict, compare=False)


class JobMirror(Protocol):
    """What the sync needs of Cloud Scheduler. Job ids are short (``segp-task-<id>``)."""

    def get(self, job_id: str) -> JobSpec | None: ...
    def list_jobs(self) -> list[JobSpec]: ...
    def create(self, spec: JobSpec) -> None: ...
    def update(self, spec: JobSpec, fields: list[str]) -> None: ...
    def pause(self, job_id: str) -> None: ...
    def resume(self, job_id: str) -> None: ...
    def delete(self, job_id: str) -> None: ...


def task_prefix(settings: Settings) -> str:
    return f"{settings.scheduler_job_prefix}-task-"


def job_id(settings: Settings, task_id: str) -> str:
    return f"{task_prefix(settings)}{task_id}"


def fire_body(task_id: str) -> bytes:
    """Exactly the body docs/contract/deliveries.md describes."""
    return json.dumps({"taskId": task_id}).encode()


def desired(settings: Settings, task: dict[str, Any]) -> JobSpec:
    """The job a task row should have."""
    url = settings.schedule_fire_url or ""
    return JobSpec(
        job_id=job_id(settings, str(task["id"])),
        schedule=str(task["cron_expression"]),
        time_zone=str(task["timezone"]),
        uri=url,
        body=fire_body(str(task["id"])),
        headers={"Content-Type": "application/json"},
        service_account=settings.scheduler_service_account or "",
        audience=url,
        retry=RetryPolicy(settings.scheduler_retry_count),
        attempt_deadline_seconds=settings.scheduler_attempt_deadline_seconds,
        paused=not task["is_active"],
    )


def changed_fields(want: JobSpec, have: JobSpec) -> list[str]:
    """The update mask that makes ``have`` into ``want`` (pause state aside). Headers
    Cloud Scheduler adds by itself are not a difference: only ours must be present."""
    fields = []
    if want.schedule != have.schedule:
        fields.append("schedule")
    if want.time_zone != have.time_zone:
        fields.append("time_zone")
    ours = all(have.headers.get(k) == v for k, v in want.headers.items())
    if (want.uri, want.body, want.service_account, want.audience) != (
        have.uri,
        have.body,
        have.service_account,
        have.audience,
    ) or not ours:
        fields.append("http_target")
    if want.retry != have.retry:
        fields.append("retry_config")
    if want.attempt_deadline_seconds != have.attempt_deadline_seconds:
        fields.append("attempt_deadline")
    if have.state not in ("ENABLED", "PAUSED"):  # UPDATE_FAILED and the like: rewrite it
        fields = list(FIELDS)
    return fields
