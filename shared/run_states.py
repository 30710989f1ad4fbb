"""The vocabulary of a workflow run that other capabilities read too (the event log
shows the runs an event started): what can start a run, and the statuses it passes
through. The workflows package owns the runs; this module only names their states."""

from __future__ import annotations

from typing import Literal, get_args

TriggerType = Literal["manual", "scheduled", "event", "webhook"]
TRIGGER_TYPES: tuple[str, ...] = get_args(TriggerType)
RunStatus = Literal[
    "queued", "running", "sleeping", "waiting", "succeeded", "failed", "skipped", "cancelled"
]
STATUSES: tuple[str, ...] = get_args(RunStatus)
