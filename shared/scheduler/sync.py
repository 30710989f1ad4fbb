"""Making Cloud Scheduler's jobs match ``scheduled_tasks``: one task after an API change
(``sync_task``), or all of them (``reconcile``: the jobs with our prefix are listed
once; missing ones are created, changed fields updated, the pause state set, orphans
deleted; when everything matches, no write call is made).

The table is the truth. In ``tick`` mode no task has a job, so a reconcile removes
the per-task jobs a former ``mirror`` installation left behind."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from shared.config import get_settings
from shared.db import get_database
from shared.errors import AppError
from shared.logs import get
from shared.scheduler.cloud_scheduler import get_mirror
from shared.scheduler.mirror import JobMirror, JobSpec, changed_fields, desired, job_id

log = get(__name__)

Progress = Callable[[int, int], None]


@dataclass
class SyncReport:
    dry_run: bool = False
    mirror: str = "on"
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    paused: list[str] = field(default_factory=list)
    resumed: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    unchanged: int = 0
    failed: dict[str, str] = field(default_factory=dict)

    @property
    def writes(self) -> int:
        return sum(
            len(x) for x in (self.created, self.updated, self.paused, self.resumed, self.deleted)
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "dryRun": self.dry_run,
            "mirror": self.mirror,
            "summary": {
                "created": len(self.created),
                "updated": len(self.updated),
                "paused": len(self.paused),
                "resumed": len(self.resumed),
                "deleted": len(self.deleted),
                "unchanged": self.unchanged,
                "failed": len(self.failed),
            },
            "created": self.created,
            "updated": self.updated,
            "paused": self.paused,
            "resumed": self.resumed,
            "deleted": self.deleted,
            "failed": self.failed,
        }


def _apply(
    mirror: JobMirror, want: JobSpec | None, have: JobSpec | None, report: SyncReport
) -> None:
    """Make one job right, recording what it took. Dry runs record without calling."""
    live = not report.dry_run
    if want is None:
        if have is not None:
            report.deleted.append(have.job_id)
            if live:
                mirror.delete(have.job_id)
        return
    if have is None:
        report.created.append(want.job_id)
        if live:
            mirror.create(want)
            if want.paused:
                mirror.pause(want.job_id)
        return
    acted = False
    fields = changed_fields(want, have)
    if fields:
        acted = True
        report.updated.append(want.job_id)
        if live:
            mirror.update(want, fields)
    if want.paused and not have.paused:
        acted = True
        report.paused.append(want.job_id)
        if live:
            mirror.pause(want.job_id)
    elif have.paused and not want.paused:
        acted = True
        report.resumed.append(want.job_id)
        if live:
            mirror.resume(want.job_id)
    if not acted:
        report.unchanged += 1


_TASK = "SELECT id, cron_expression, timezone, is_active, mirror_state FROM scheduled_tasks"


def _mark(task_ids: list[str], state: str) -> None:
    if not task_ids:
        return
    with get_database().transaction() as tx:
        tx.execute(
            "UPDATE scheduled_tasks SET mirror_state = %s "
            "WHERE id = ANY(%s::uuid[]) AND mirror_state <> %s",
            (state, task_ids, state),
        )


def sync_task(task_id: str) -> str:
    """Mirror one task's current row (or its absence). Returns ``off``, ``in_sync`` or
    ``out_of_sync``; a failure is logged and left for the next reconcile."""
    settings = get_settings()
    mirror = get_mirror()
    if mirror is None:
        return "off"
    with get_database().transaction() as tx:
        task = tx.one(f"{_TASK} WHERE id = %s", (task_id,))
    want = desired(settings, task) if task and settings.scheduler_mode == "mirror" else None
    try:
        _apply(mirror, want, mirror.get(job_id(settings, task_id)), SyncReport())
    except AppError as exc:
        log.warning("mirror of task %s failed, left for reconcile: %s", task_id, exc.message)
        if task:
            _mark([task_id], "out_of_sync")
        return "out_of_sync"
    if task:
        _mark([task_id], "in_sync")
    return "in_sync"


def reconcile(*, dry_run: bool = False, progress: Progress | None = None) -> SyncReport:
    settings = get_settings()
    report = SyncReport(dry_run=dry_run)
    mirror = get_mirror()
    if mirror is None:
        report.mirror = "off"
        return report
    with get_database().transaction() as tx:
        tasks = (
            tx.all(f"{_TASK} ORDER BY created_at, id")
            if settings.scheduler_mode == "mirror"
            else []
        )
    jobs = {job.job_id: job for job in mirror.list_jobs()}
    total = len(tasks) + len(set(jobs) - {job_id(settings, str(t["id"])) for t in tasks})
    done, ok, bad = 0, [], []
    for task in tasks:
        want = desired(settings, task)
        try:
            _apply(mirror, want, jobs.pop(want.job_id, None), report)
            if task["mirror_state"] != "in_sync":  # only rows whose state changes are written
                ok.append(str(task["id"]))
        except AppError as exc:
            report.failed[want.job_id] = exc.message
            if task["mirror_state"] != "out_of_sync":
                bad.append(str(task["id"]))
        done += 1
        if progress:
            progress(done, total)
    for orphan in jobs.values():
        try:
            _apply(mirror, None, orphan, report)
        except AppError as exc:
            report.failed[orphan.job_id] = exc.message
        done += 1
        if progress:
            progress(done, total)
    if not dry_run:
        _mark(ok, "in_sync")
        _mark(bad, "out_of_sync")
    log.info("scheduler reconcile", extra={"reconcile": report.as_dict()["summary"]})
    return report
