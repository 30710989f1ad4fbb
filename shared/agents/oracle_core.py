"""``oracle_core``: decides which agent should handle a request, breaks a request into
steps for several agents, and hands a request on to the agent it picks.

Actions:
- ``route`` ``{request}`` -> ``{agentId, action, reason, confidence}``
- ``decompose`` ``{request}`` -> ``{steps: [{agentId, action, instruction}], rationale,
  workflowSteps}`` (``workflowSteps`` can be saved as a workflow's steps as they are)
- ``delegate`` ``{request, ...}`` -> routes, then runs the chosen agent with the same
  payload (plus ``topic``/``instruction`` = the request) -> ``{routedTo, output}``

Only agents in the registry (and their actions) are ever chosen: a model answer that
names anything else is refused as invalid output."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, Field

from shared.agents.base import AgentTask
from shared.agents.kit import ModelAgent, Output, PayloadError, text_field, with_context
from shared.model import get_model
from shared.model.offline import heuristic
from shared.model.port import ModelFailure, Result

MAX_PLAN = 8
SYSTEM = (
    "You are Oracle, the coordinator of a creator platform's agents. Choose only among "
    "the agents and actions listed, and explain the choice in one sentence."
)
# Offline routing rubric: (agent, action, cue words), in priority order.
RULES: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    (
        "brandguard_01",
        "check",
        ("on-brand", "on brand", "off-brand", "off brand", "brand check", "sounds like me"),
    ),
    ("scribe_01", "summarize", ("summarize", "summarise", "summary", "tl;dr", "tldr")),
    ("scribe_01", "transform", ("rewrite", "shorten", "rephrase", "translate", "polish", "edit")),
    ("scryer_01", "trends", ("trend", "trends", "over time", "series")),
    ("scryer_01", "analyze", ("analyze", "analyse", "analysis", "insight", "metrics", "research")),
    ("mnemosyne_01", "recall", ("recall", "remind me", "what did i")),
    ("mnemosyne_01", "store", ("remember", "note that", "save this")),
    ("scribe_01", "generate", ("write", "draft", "post", "caption", "thread", "script", "blog")),
)


class Route(BaseModel):
    agent_id: str
    action: str
    reason: str
    confidence: float = Field(ge=0, le=1)


class PlannedStep(BaseModel):
    agent_id: str
    action: str
    instruction: str


class Plan(BaseModel):
    steps: list[PlannedStep] = Field(min_length=1, max_length=MAX_PLAN)
    rationale: str


def _roster(exclude: str) -> list[dict[str, Any]]:
    from shared.agents.registry import agents

    return [
        {"id": a.id, "actions": sorted(a.actions), "description": a.description}
        for a in agents().values()
        if a.id != exclude
    ]


def _known(roster: list[dict[str, Any]], agent_id: str, action: str) -> bool:
    return any(a["id"] == agent_id and action in a["actions"] for a in roster)


class Oracle(ModelAgent):
    id = "oracle_core"
    description = "Routes a request to the right agent, or decomposes it into agent steps"
    actions = frozenset({"route", "decompose", "delegate"})

    def _ask(
        self, task: AgentTask, schema: type[Route] | type[Plan], verb: str
    ) -> tuple[Result[Any], list[dict[str, Any]]]:
        request = text_field(task.payload, "request", "goal", "prompt")
        roster = _roster(self.id)
        lines = "\n".join(
            f"- {a['id']} ({', '.join(a['actions'])}): {a['description']}" for a in roster
        )
        prompt = f"Agents:\n{lines}\n\n{verb}:\n{request}"
        data = {"request": request, "agents": roster}
        return get_model().generate_structured(
            with_context(prompt, task.context), schema, system=SYSTEM, data=data
        ), roster

    def route(self, task: AgentTask) -> Output:
        result, roster = self._ask(task, Route, "Pick the one agent and action for this request")
        r: Route = result.value
        if not _known(roster, r.agent_id, r.action):
            raise ModelFailure(
                f"routed to {r.agent_id}.{r.action}, which does not exist",
                kind="invalid_output",
                usage=result.usage,
            )
        output = {
            "agentId": r.agent_id,
            "action": r.action,
            "reason": r.reason,
            "confidence": round(r.confidence, 3),
        }
        return output, result.usage

    def decompose(self, task: AgentTask) -> Output:
        result, roster = self._ask(task, Plan, "Break this request into ordered agent steps")
        plan: Plan = result.value
        steps = [s for s in plan.steps if _known(roster, s.agent_id, s.action)]
        if not steps:
            raise ModelFailure(
                "the plan named no existing agent", kind="invalid_output", usage=result.usage
            )
        output = {
            "steps": [
                {"agentId": s.agent_id, "action": s.action, "instruction": s.instruction}
                for s in steps
            ],
            "rationale": plan.rationale,
            "dropped": len(plan.steps) - len(steps),
            "workflowSteps": [
                {
                    "id": f"step{i}",
                    "type": "agent",
                    "agentId": s.agent_id,
                    "action": s.action,
                    "config": _config_for(
                        s.action, s.instruction, f"step{i - 1}" if i > 1 else None
                    ),
                }
                for i, s in enumerate(steps, 1)
            ],
        }
        return output, result.usage

    def delegate(self, task: AgentTask) -> Output:
        from shared.agents.registry import get_agent

        routed, usage = self.route(task)
        agent = get_agent(routed["agentId"])
        if agent is None:  # the registry changed under us
            raise PayloadError(f"agent {routed['agentId']} is gone")
        request = text_field(task.payload, "request", "goal", "prompt")
        payload = {"topic": request, "instruction": request, **task.payload}
        result = agent.execute(AgentTask(task.user_id, routed["action"], payload, task.context))
        usage.add(result.usage)
        if not result.success:
            raise PayloadError(f"{routed['agentId']} failed: {result.error}")
        return {"routedTo": routed, "output": result.output}, usage


def _config_for(action: str, instruction: str, previous: str | None) -> dict[str, Any]:
    """A step's config: the instruction, and the previous step's content as the
    material it works on, so a saved plan chains its steps."""
    earlier = f"{{{{steps.{previous}.output.content}}}}" if previous else None
    if action == "generate":
        return {"topic": instruction}
    if action in ("transform", "summarize", "check") and earlier:
        return {"content": earlier, "instruction": instruction}
    if action == "analyze" and earlier:
        return {"material": earlier, "question": instruction}
    return {"request": instruction, "content": instruction, "material": instruction}


def offline_route(request: str, roster: list[dict[str, Any]]) -> tuple[str, str, str, float]:
    """The first rule (in ``RULES`` order) with a cue in the request wins, so a verb
    such as "summarize" outranks the noun "post"; no cue: a low-confidence default to
    writing, else the first agent listed."""
    text = request.lower()
    for agent_id, action, cues in RULES:
        if not _known(roster, agent_id, action):
            continue
        for cue in cues:
            if re.search(rf"(?<![a-z]){re.escape(cue)}(?![a-z])", text):
                return agent_id, action, f"offline rule: the request mentions {cue!r}", 0.6
    if _known(roster, "scribe_01", "generate"):
        return "scribe_01", "generate", "offline rule: no cue matched; defaulting to writing", 0.2
    first = roster[0]
    return first["id"], first["actions"][0], "offline rule: no cue matched; first agent listed", 0.1


@heuristic(Route)
def _offline_route(prompt: str, data: Mapping[str, Any]) -> Route:
    """Rubric: keyword cues per agent action (``RULES``), first matching rule wins."""
    agent_id, action, reason, confidence = offline_route(str(data["request"]), list(data["agents"]))
    return Route(agent_id=agent_id, action=action, reason=reason, confidence=confidence)


_CLAUSES = re.compile(r"\band then\b|\bthen\b|;|\n|(?<=[.!?])\s+", re.IGNORECASE)


@heuristic(Plan)
def _offline_plan(prompt: str, data: Mapping[str, Any]) -> Plan:
    """Rubric: split the request into clauses at "then", ";", sentence ends and line
    breaks; route each clause by the cue rules; keep clauses that name a cue (or the
    whole request once, when none does)."""
    request = str(data["request"])
    roster = list(data["agents"])
    steps = []
    for clause in (c.strip(" ,.") for c in _CLAUSES.split(request)):
        if not clause:
            continue
        agent_id, action, _, confidence = offline_route(clause, roster)
        if confidence >= 0.6:
            steps.append(PlannedStep(agent_id=agent_id, action=action, instruction=clause))
    if not steps:
        agent_id, action, _, _ = offline_route(request, roster)
        steps = [PlannedStep(agent_id=agent_id, action=action, instruction=request.strip())]
    return Plan(
        steps=steps[:MAX_PLAN], rationale="offline heuristic plan: one step per clause with a cue"
    )


AGENT = Oracle()
