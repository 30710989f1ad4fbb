"""A task's schedule as a person reads it: the cron in words, and the instants it
fires at next, computed by the same ``Schedule`` the fires use (so daylight-saving
gaps and repeats come out as they will happen). Pure, apart from reading the task."""

from __future__ import annotations

from datetime import datetime
from itertools import islice
from typing import Any

from shared import clock
from shared.scheduler import tasks
from shared.scheduler.cron import Schedule, rfc3339

MAX_COUNT = 50


def describe(expression: str) -> str:
    """English words for a cron expression ("At 09:00, only on Monday"), in 24-hour
    time; the expression itself when the describer cannot read it."""
    from cron_descriptor import ExpressionDescriptor, FormatError, Options, WrongArgumentError

    options = Options()
    options.use_24hour_time_format = True
    try:
        return str(ExpressionDescriptor(expression, options).get_description())
    except (FormatError, WrongArgumentError, ValueError):
        return expression


def next_fires(expression: str, timezone: str, after: datetime, count: int) -> list[datetime]:
    return [slot.at for slot in islice(Schedule(expression, timezone).after(after), count)]


def upcoming(user_id: str, task_id: str, count: int, now: datetime | None = None) -> dict[str, Any]:
    """A paused task lists the slots it would fire at once resumed."""
    task = tasks.get(user_id, task_id)
    expression, zone = task["cron_expression"], task["timezone"]
    fires = next_fires(expression, zone, now or clock.now(), count)
    return {
        "taskId": str(task["id"]),
        "cronExpression": expression,
        "timezone": zone,
        "description": f"{describe(expression)}, {zone}",
        "isActive": task["is_active"],
        "nextFires": [rfc3339(at) for at in fires],
    }
