"""Which agents exist: the built-in NEXUS agents, and third-party ones from the Python
entry-point group ``segp.agents`` (each entry point names an ``Agent`` instance or a
class to instantiate). Loaded once, on first lookup."""

from __future__ import annotations

import importlib
from functools import cache
from importlib.metadata import entry_points
from typing import Any

from shared.agents.base import Agent
from shared.logs import get

log = get(__name__)

ENTRY_POINT_GROUP = "segp.agents"

# Modules defining a module-level ``AGENT``; each registers one built-in agent.
BUILTIN: list[str] = [
    "shared.agents.oracle_core",
    "shared.agents.scribe",
    "shared.agents.brandguard",
    "shared.agents.scryer",
    "shared.agents.mnemosyne",
]


def _instance(obj: Any) -> Agent:
    agent = obj() if isinstance(obj, type) else obj
    for attr in ("id", "description", "actions", "execute"):
        if not hasattr(agent, attr):
            raise TypeError(f"{obj!r} is not an agent: it has no {attr!r}")
    return agent  # type: ignore[no-any-return]


@cache
def agents() -> dict[str, Agent]:
    found: dict[str, Agent] = {}
    for module in BUILTIN:
        agent = _instance(importlib.import_module(module).AGENT)
        found[agent.id] = agent
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        try:
            agent = _instance(ep.load())
        except Exception:
            log.exception("could not load agent entry point %s", ep.name)
            continue
        if agent.id in found:
            log.warning("agent entry point %s ignored: id %s is built in", ep.name, agent.id)
            continue
        found[agent.id] = agent
    return found


def get_agent(agent_id: str) -> Agent | None:
    return agents().get(agent_id)
