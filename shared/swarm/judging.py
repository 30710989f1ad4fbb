"""The model's part in a swarm's decision: the Evolver's critic scores members' outputs
(with the user's Digital Soul and the agent's learned improvements, as it scores any
agent's output), and for ``merge`` a judge call combines them into one.

Critiques of different outputs run side by side. A critique that fails leaves its
output without a score: it cannot win ``best``, and a merge whose critique fails is
not kept. The judge answers in the shape of the best member's output (the same
revision schema the Evolver's reviser uses), so a merge can stand in for any member."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from shared.evolver import heuristics
from shared.evolver.loop import DEFAULT_THRESHOLD, Material, critique
from shared.evolver.prompts import REVISER_SYSTEM, as_data
from shared.evolver.schemas import TextRevision
from shared.evolver.shape import as_object, fits, revision_schema, shape_of
from shared.improve.service import active_improvements
from shared.memory.soul import current_soul
from shared.model import ModelFailure, Usage, get_model


@dataclass
class Scored:
    score: float | None
    critique: dict[str, Any] | None = None
    error: str | None = None
    usage: Usage = field(default_factory=Usage)


def scores(user_id: str, candidates: list[tuple[str, Any]]) -> list[Scored]:
    """One critique per (agent id, output), side by side, in order."""
    if not candidates:
        return []
    soul = current_soul(user_id)
    improvements = {a: active_improvements(user_id, a) for a in {a for a, _ in candidates}}
    materials = [Material(a, soul, improvements[a]) for a, _ in candidates]
    with ThreadPoolExecutor(max_workers=len(candidates), thread_name_prefix="swarm-critic") as pool:
        return list(pool.map(_scored, materials, [o for _, o in candidates]))


def _scored(material: Material, output: Any) -> Scored:
    try:
        result = critique(get_model(), material, output, DEFAULT_THRESHOLD)
    except ModelFailure as failure:
        return Scored(None, error=failure.kind, usage=failure.usage)
    value = result.value
    return Scored(value.score, value.model_dump(), usage=result.usage)


JUDGE_PROMPT = (
    "Combine the outputs below, written by several AI agents for the same task, into one "
    "output that keeps the best of each: the strongest points, no repetition, nothing "
    "invented. Answer in the shape of the first output."
)


@dataclass
class Merged:
    output: Any | None
    error: str | None = None
    usage: Usage = field(default_factory=Usage)


def merge(agent_id: str, outputs: list[Any], soul: Any = None) -> Merged:
    """The judge's combination of ``outputs`` (the best first), or why there is none."""
    first = outputs[0]
    shape = None if isinstance(first, str) else shape_of(first)
    schema = TextRevision if shape is None else revision_schema(shape)
    model = get_model()
    if shape is not None and model.name == "offline":
        heuristics.offline_object_revision(schema)
    prompt = f'{JUDGE_PROMPT}\n\nThe agent: "{agent_id}".\n\n' + as_data("OUTPUTS", outputs)
    try:
        result = model.generate_structured(
            prompt, schema, system=REVISER_SYSTEM, data={"output": first, "soul": soul}
        )
    except ModelFailure as failure:
        return Merged(None, error=failure.kind, usage=failure.usage)
    value = result.value
    combined = value.content if isinstance(value, TextRevision) else as_object(value)
    if shape is not None and not fits(combined, shape):
        return Merged(None, "the merge does not keep the output's keys and types", result.usage)
    return Merged(combined, usage=result.usage)
