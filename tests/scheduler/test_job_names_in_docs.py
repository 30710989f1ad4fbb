"""The documentation names Cloud Scheduler's mirror jobs as the code builds them and
as the Terraform configures them: a job created by hand from a wrong name would never
fire (schedule-fire refuses a delivery whose job name is not the task's mirror job).

Two placeholders appear: ``<SCHEDULER_JOB_PREFIX>`` (the setting itself) and, in the
deploy sections, ``<prefix>`` (Terraform's ``name_prefix``, from which it derives
``SCHEDULER_JOB_PREFIX``)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from shared.config import Settings
from shared.errors import BadRequest
from shared.scheduler.delivery import parse
from shared.scheduler.mirror import job_id
from tests.infra.terraform import load

ROOT = Path(__file__).resolve().parents[2]
TASK_JOB = re.compile(r"<(prefix|SCHEDULER_JOB_PREFIX)>(-[a-z-]*)<(?:task id|id)>")


def documents() -> list[Path]:
    return [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]


def deployed_job_prefix(name_prefix: str) -> str:
    """``SCHEDULER_JOB_PREFIX`` as the Terraform sets it for a ``name_prefix``."""
    configured = str(load().locals["scheduler_job_prefix"])
    return configured.replace("${var.name_prefix}", name_prefix)


def test_every_task_job_name_in_the_docs_is_the_one_the_code_builds() -> None:
    named = [
        (placeholder, middle)
        for path in documents()
        if path.exists()
        for placeholder, middle in TASK_JOB.findall(path.read_text())
    ]
    assert {p for p, _ in named} == {"prefix", "SCHEDULER_JOB_PREFIX"}, named
    for placeholder, middle in named:
        if placeholder == "SCHEDULER_JOB_PREFIX":
            expected = job_id(Settings(SCHEDULER_JOB_PREFIX="P"), "ID")
            assert "P" + middle + "ID" == expected, (placeholder, middle)
        else:
            expected = job_id(Settings(SCHEDULER_JOB_PREFIX=deployed_job_prefix("N")), "ID")
            assert "N" + middle + "ID" == expected, (placeholder, middle)


def test_schedule_fire_accepts_the_documented_job_name_and_refuses_another(
    settings: Settings,
) -> None:
    task = "7b0f4d8e-5b1c-4a5e-9a43-0c4d6f1e2a10"
    prefix = settings.scheduler_job_prefix
    body = {"taskId": task}
    assert parse(body, {"X-CloudScheduler-JobName": f"{prefix}-task-{task}"})
    with pytest.raises(BadRequest, match="is not the job of task"):
        parse(body, {"X-CloudScheduler-JobName": f"{prefix}-mirror-task-{task}"})
