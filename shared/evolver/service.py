"""One evolution for a user: their settings for the agent (and the variant of a running
experiment, if any), their Digital Soul and the agent's active improvements, the
loop, and the record of it in episodic memory.

When the user disabled the Evolver for the agent, the original is returned unchanged
with ``iterations`` 0, ``finalScore`` ``None``, no model call and nothing recorded.
Recording is best effort: a failure to record is logged and reported as
``logged: false``, never as a failed evolution."""

from __future__ import annotations

import json
import uuid
from dataclasses import replace
from typing import Any

from shared import logs
from shared.evolver.loop import EvolutionResult, Limits, Material, evolve_output
from shared.evolver.settings import EvolverSettings, settings_for
from shared.improve.experiments import variant_for
from shared.improve.service import active_improvements
from shared.memory.episodic import record_interaction
from shared.memory.soul import current_soul
from shared.model import get_model

log = logs.get(__name__)

EVOLUTION = "evolution"
SUMMARY_CHARS = 500  # of the summaries; the context keeps both outputs whole


def _with_variant(settings: EvolverSettings, variant: dict[str, Any] | None) -> Limits:
    limits = settings.limits
    knobs = (variant or {}).get("evolver") or {}
    if knobs.get("maxIterations") is not None:
        limits = replace(limits, max_iterations=int(knobs["maxIterations"]))
    if knobs.get("threshold") is not None:
        limits = replace(limits, threshold=float(knobs["threshold"]))
    return limits


def _text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def _summary(value: Any) -> str:
    """Bounded by characters (whole code points), never by bytes."""
    text = _text(value)
    return text if len(text) <= SUMMARY_CHARS else text[: SUMMARY_CHARS - 1] + "…"


def disabled_result(output: Any) -> dict[str, Any]:
    return {
        "evolutionId": None,
        **EvolutionResult(
            original=output,
            evolved=output,
            iterations=0,
            log=[{"step": "skipped", "reason": "the Evolver is disabled for this agent"}],
            initial_score=None,
            final_score=None,
            stop_reason="disabled",
        ).as_json(),
        "variant": None,
        "logged": False,
    }


def evolve(
    user_id: str,
    agent_id: str,
    output: str | dict[str, Any],
    context: Any = None,
    *,
    source: str = "api",
    depth: int = 0,
) -> dict[str, Any]:
    """Evolve ``output`` of ``agent_id`` for ``user_id``; the answer of
    ``POST /api/oracle/evolve``. Never raises for a model failure."""
    settings = settings_for(user_id, agent_id)
    if not settings.enabled:
        return disabled_result(output)
    evolution_id = str(uuid.uuid4())
    variant = variant_for(user_id, agent_id, evolution_id)
    limits = _with_variant(settings, variant)
    material = Material(
        agent_id=agent_id,
        soul=current_soul(user_id),
        improvements=active_improvements(user_id, agent_id),
        context=context,
        instruction=(variant or {}).get("instruction"),
    )
    result = evolve_output(output, material, limits, get_model())
    logged = _record(user_id, agent_id, evolution_id, result, limits, variant, source, depth)
    return {
        "evolutionId": evolution_id,
        **result.as_json(),
        "variant": variant,
        "logged": logged,
    }


def _record(
    user_id: str,
    agent_id: str,
    evolution_id: str,
    result: EvolutionResult,
    limits: Limits,
    variant: dict[str, Any] | None,
    source: str,
    depth: int,
) -> bool:
    """The evolution as an episodic memory, read by the self-improvement statistics
    and analysis; ``False`` (logged) when it could not be stored."""
    if result.final_score is None:
        outcome = "critique failed"
    else:
        outcome = "improved" if result.evolved != result.original else "kept"
    context = {
        "evolutionId": evolution_id,
        "source": source,
        "evolutionLog": result.log,
        "iterations": result.iterations,
        "initialScore": result.initial_score,
        "finalScore": result.final_score,
        "stopReason": result.stop_reason,
        "usage": {"calls": result.usage.calls, "tokens": result.usage.tokens},
        "modelCalls": result.model_calls,
        "inputTokens": result.usage.input_tokens,
        "outputTokens": result.usage.output_tokens,
        "settings": {
            "maxIterations": limits.max_iterations,
            "threshold": limits.threshold,
            "tokenBudget": limits.token_budget,
        },
        "variant": variant,
        "original": result.original,
        "evolved": result.evolved,
    }
    try:
        record_interaction(
            user_id,
            agent_id,
            EVOLUTION,
            f"evolution {evolution_id}: {_summary(result.original)}",
            _summary(result.evolved),
            outcome,
            context,
            depth=depth,
            dedupe=False,  # every evolution counts in the self-improvement stats
        )
    except Exception:  # recording is for learning; the user's answer stands without it
        log.warning(
            "evolution not recorded",
            exc_info=True,
            extra={"agentId": agent_id, "evolutionId": evolution_id},
        )
        return False
    return True
