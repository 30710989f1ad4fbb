"""The documentation names Cloud Scheduler's mirror jobs as the code builds them: a
job created by hand from a wrong name would never fire (schedule-fire refuses a
delivery whose job name is not the task's mirror job)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from shared.config import Settings
from shared.errors import BadRequest
from shared.scheduler.delivery import parse
from shared.scheduler.mirror import job_id

ROOT = Path(__file__).resolve().parents[2]
# a placeholder job name for one task: `<prefix>-...<task id>` or `<prefix>-...<id>`
TASK_JOB = re.compile(r"<(?:prefix|SCHEDULER_JOB_PREFIX)>(-[a-z-]*)<(?:task id|id)>")


def documents() -> list[Path]:
    return [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]


def test_every_task_job_name_in_the_docs_is_the_one_the_code_builds() -> None:
    built = job_id(Settings(SCHEDULER_JOB_PREFIX="P"), "ID")
    found = {
        (path.name, "P" + middle + "ID")
        for path in documents()
        if path.exists()
        for middle in TASK_JOB.findall(path.read_text())
    }
    assert found, "the docs name no mirror job"
    assert {name for _, name in found} == {built}, sorted(found)


def test_schedule_fire_accepts_the_documented_job_name_and_refuses_another(
    settings: Settings,
) -> None:
    task = "7b0f4d8e-5b1c-4a5e-9a43-0c4d6f1e2a10"
    prefix = settings.scheduler_job_prefix
    body = {"taskId": task}
    assert parse(body, {"X-CloudScheduler-JobName": f"{prefix}-task-{task}"})
    with pytest.raises(BadRequest, match="is not the job of task"):
        parse(body, {"X-CloudScheduler-JobName": f"{prefix}-mirror-task-{task}"})
