"""What ``schedule-fire`` receives (docs/contract/deliveries.md), decoded into one command:
fire one task (``{"taskId"}`` with Cloud Scheduler's headers), the per-minute tick
(``{"tick": true}``), a reconcile (``{"reconcile": true}``, the hourly job) or the daily
consolidation request (``{"consolidate": true}``). Anything else is 400.

A 400 is non-2xx, so Cloud Scheduler retries it up to the job's retry count and then
gives up: a job with a malformed body costs a few calls, never an endless loop."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from shared.clock import as_utc
from shared.errors import BadRequest
from shared.logs import get
from shared.scheduler.fire import Delivery

log = get(__name__)

SCHEDULE_TIME = "X-CloudScheduler-ScheduleTime"
JOB_NAME = "X-CloudScheduler-JobName"
COMMANDS = ("tick", "reconcile", "consolidate")
USAGE = (
    'body must be {"taskId": "<id>"}, {"tick": true}, {"reconcile": true} or {"consolidate": true}'
)

Command = Delivery | str


def header(headers: Mapping[str, str], name: str) -> str | None:
    """A header by name, whatever its case (proxies and test clients lowercase them)."""
    wanted = name.lower()
    for key, value in headers.items():
        if key.lower() == wanted:
            return value
    return None


def schedule_time(raw: str | None) -> datetime | None:
    """The RFC 3339 schedule time, or None when absent or unusable (a forced run)."""
    if not raw:
        return None
    try:
        parsed = datetime.fromisoformat(raw.strip())
    except ValueError:
        return None
    return as_utc(parsed) if parsed.tzinfo is not None else None


def _names_task(job_name: str, task_id: str) -> bool:
    """Whether a job name (short, or a full resource name) is this task's mirror job."""
    from shared.config import get_settings
    from shared.scheduler.mirror import job_id

    return job_name.rsplit("/", 1)[-1] == job_id(get_settings(), task_id)


def parse(body: Any, headers: Mapping[str, str]) -> Command:
    if not isinstance(body, dict) or len(body) != 1:
        raise BadRequest(USAGE)
    ((name, value),) = body.items()
    if name == "taskId":
        if not isinstance(value, str) or not value:
            raise BadRequest("taskId: must be a task id (uuid)")
        job_name = header(headers, JOB_NAME)
        if job_name is not None and not _names_task(job_name, value):
            raise BadRequest(f"job {job_name!r} is not the job of task {value}")
        return Delivery(
            task_id=value,
            schedule_time=schedule_time(header(headers, SCHEDULE_TIME)),
            job_name=job_name,
        )
    if name in COMMANDS and value is True:
        return str(name)
    raise BadRequest(USAGE)


def _housekeeping() -> dict[str, int]:
    """The per-minute job's other duties, each best effort: the fires are done, and
    the next minute does what this one could not. It relays events whose publish
    failed after their commit, dispatches events no delivery dispatched (published
    past the grace period, or their dispatch lease expired), drops ended rate-limit
    windows, resumes workflow runs whose executor died (their lease expired), starts
    queued runs whose hand-off was lost, wakes sleeping runs whose wake time has come,
    starts runs a concurrency limit held once they fit, closes the fire history of runs
    that ended or starts the runs of fires claimed by a process that died, hands off
    again swarm members waiting for a slot of their agent's pool, whose hand-off was lost
    or whose executor died, wakes agent steps waiting for a pool that has room, and once
    a day purges what retention no longer keeps."""
    from shared.events.publish import relay_pending
    from shared.events.redispatch import redispatch_stranded
    from shared.lifecycle.retention import purge_daily
    from shared.scheduler.settle import settle_fires
    from shared.swarm.queueing import requeue_members, wake_waiting_steps
    from shared.web.ratelimit import prune
    from shared.workflows.engine import resume_expired, start_held, start_queued, wake_due

    duties: dict[str, Callable[[], int]] = {
        "relayed": relay_pending,
        "eventsRedispatched": redispatch_stranded,
        "rateLimitWindowsPruned": prune,
        "runsResumed": resume_expired,
        "runsStarted": start_queued,
        "runsWoken": wake_due,
        "heldRunsStarted": start_held,
        "firesSettled": settle_fires,
        "swarmMembersRequeued": requeue_members,
        "agentStepsWoken": wake_waiting_steps,
        "retentionPurged": purge_daily,
    }
    done: dict[str, int] = {}
    for name, duty in duties.items():
        try:
            done[name] = duty()
        except Exception as exc:
            log.warning("per-minute duty failed", extra={"duty": name, "error": str(exc)})
            done[name] = 0
    return done


def handle(command: Command, now: datetime | None = None) -> dict[str, Any]:
    if isinstance(command, Delivery):
        from shared.scheduler.fire import fire

        return fire(command, now)
    if command == "tick":
        from shared.scheduler.tick import tick

        return {**tick(now), **_housekeeping()}
    if command == "reconcile":
        from shared.scheduler.sync import reconcile

        return reconcile().as_dict()
    from shared.scheduler.consolidate import request_consolidation

    return request_consolidation(now)


def reject(reason: str, body: bytes, headers: Mapping[str, str]) -> dict[str, Any]:
    """A delivery a retry cannot fix (malformed body, unknown task id) is acknowledged
    and recorded, so Cloud Scheduler does not retry it (docs/contract/deliveries.md)."""
    from shared.rejections import record_rejection

    record_rejection(
        "schedule-fire",
        reason,
        body=body[:10_000].decode("utf-8", "replace"),
        delivery_id=header(headers, JOB_NAME),
    )
    return {"status": "rejected", "error": reason}
