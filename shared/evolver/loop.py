"""The critique loop.

The original is critiqued. While the best candidate is below the threshold and the
critic says a rewrite would help, it is regenerated from the critique and the new
candidate is critiqued, up to ``max_iterations`` regenerations. Every candidate is
critiqued; the result is the best-scoring one and ``final_score`` is its score (an
earlier candidate wins ties). The loop stops early when a regeneration does not beat
the best score, when it returns the candidate unchanged, or when the token budget is
spent (checked before each round, so a round in progress completes), and at once
when the critic asks for no rewrite: ``critic satisfied`` when it found nothing wrong,
``critic has no fix`` when it found issues it cannot fix. Logical model
calls are therefore at most ``2 * max_iterations + 1``; an output already good costs
one.

It degrades instead of failing: a critique of the original that fails returns the
original with ``initial_score`` and ``final_score`` ``None`` (nothing was measured);
a later failure, or a regeneration that breaks the output's shape, keeps the best
candidate so far. The log says what happened at each step."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from shared.evolver import heuristics, prompts
from shared.evolver.schemas import Critique, TextRevision
from shared.evolver.shape import as_object, fits, revision_schema, shape_of
from shared.model import Model, ModelFailure, Result, Usage

DEFAULT_MAX_ITERATIONS = 3
DEFAULT_THRESHOLD = 0.85


@dataclass(frozen=True)
class Limits:
    max_iterations: int = DEFAULT_MAX_ITERATIONS
    threshold: float = DEFAULT_THRESHOLD
    token_budget: int | None = None


@dataclass
class Material:
    """What the critic and the reviser see besides the output."""

    agent_id: str
    soul: Mapping[str, Any] | None = None
    improvements: list[str] = field(default_factory=list)
    context: Any = None
    instruction: str | None = None


@dataclass
class EvolutionResult:
    original: Any
    evolved: Any
    iterations: int  # regenerations that produced a candidate (each critiqued)
    log: list[dict[str, Any]]
    initial_score: float | None
    final_score: float | None
    stop_reason: str
    usage: Usage = field(default_factory=Usage)
    model_calls: int = 0

    def usage_json(self) -> dict[str, int]:
        return {
            "calls": self.usage.calls,
            "modelCalls": self.model_calls,
            "inputTokens": self.usage.input_tokens,
            "outputTokens": self.usage.output_tokens,
        }

    def as_json(self) -> dict[str, Any]:
        return {
            "original": self.original,
            "evolved": self.evolved,
            "iterations": self.iterations,
            "evolutionLog": self.log,
            "initialScore": self.initial_score,
            "finalScore": self.final_score,
            "stopReason": self.stop_reason,
            "usage": self.usage_json(),
        }


def critique(
    model: Model, material: Material, candidate: Any, threshold: float
) -> Result[Critique]:
    """One critique of ``candidate``; raises ``ModelFailure``."""
    prompt = prompts.critique_prompt(
        agent_id=material.agent_id,
        output=candidate,
        soul=material.soul,
        improvements=material.improvements,
        context=material.context,
        instruction=material.instruction,
        threshold=threshold,
    )
    data = {
        "output": candidate,
        "soul": material.soul,
        "improvements": material.improvements,
        "context": material.context,
    }
    return model.generate_structured(prompt, Critique, system=prompts.CRITIC_SYSTEM, data=data)


class _Run:
    def __init__(self, model: Model, material: Material, limits: Limits, original: Any) -> None:
        self.model, self.material, self.limits = model, material, limits
        self.shape = None if isinstance(original, str) else shape_of(original)
        self.usage = Usage()
        self.model_calls = 0
        self.log: list[dict[str, Any]] = []

    def _failed(self, step: str, iteration: int, failure: ModelFailure) -> None:
        self.usage.add(failure.usage)
        self.log.append(
            {
                "step": step,
                "iteration": iteration,
                "error": failure.kind,
                "message": failure.message,
            }
        )

    def critique(self, candidate: Any, iteration: int) -> Critique | None:
        self.model_calls += 1
        try:
            result = critique(self.model, self.material, candidate, self.limits.threshold)
        except ModelFailure as failure:
            self._failed("critique", iteration, failure)
            return None
        self.usage.add(result.usage)
        self.log.append({"step": "critique", "iteration": iteration, **result.value.model_dump()})
        return result.value

    def regenerate(self, candidate: Any, critique: Critique, iteration: int) -> Any | None:
        """The new candidate, or ``None`` (logged) when there is none to critique."""
        m = self.material
        prompt = prompts.revision_prompt(
            agent_id=m.agent_id,
            output=candidate,
            issues=critique.issues,
            suggestions=critique.suggestions,
            soul=m.soul,
            improvements=m.improvements,
            context=m.context,
            instruction=m.instruction,
        )
        data = {"output": candidate, "soul": m.soul, "context": m.context}
        schema = TextRevision if self.shape is None else revision_schema(self.shape)
        if self.shape is not None and self.model.name == "offline":
            heuristics.offline_object_revision(schema)
        self.model_calls += 1
        try:
            result = self.model.generate_structured(
                prompt, schema, system=prompts.REVISER_SYSTEM, data=data
            )
        except ModelFailure as failure:
            self._failed("regenerate", iteration, failure)
            return None
        self.usage.add(result.usage)
        value = result.value
        revised = value.content if isinstance(value, TextRevision) else as_object(value)
        if isinstance(revised, str) and not revised.strip():
            problem = "the regeneration was empty"
        elif self.shape is not None and not fits(revised, self.shape):
            problem = "the regeneration does not keep the output's keys and types"
        else:
            self.log.append({"step": "regenerate", "iteration": iteration, "candidate": revised})
            return revised
        self.log.append({"step": "regenerate", "iteration": iteration, "discarded": problem})
        return None

    def result(self, original: Any, best: Any, iterations: int, **scores: Any) -> EvolutionResult:
        return EvolutionResult(
            original=original,
            evolved=best,
            iterations=iterations,
            log=self.log,
            usage=self.usage,
            model_calls=self.model_calls,
            **scores,
        )


def _satisfied(critique: Critique, limits: Limits) -> str | None:
    if critique.score >= limits.threshold:
        return "passed"
    if not critique.shouldImprove:
        # issues found but no rewrite proposed is not satisfaction
        return "critic has no fix" if critique.issues else "critic satisfied"
    return None


def evolve_output(
    original: Any, material: Material, limits: Limits, model: Model
) -> EvolutionResult:
    run = _Run(model, material, limits, original)
    first = run.critique(original, 0)
    if first is None:
        return run.result(
            original,
            original,
            0,
            initial_score=None,
            final_score=None,
            stop_reason="critique failed",
        )
    best, best_critique = original, first
    iterations = 0
    stop = _satisfied(first, limits)
    while stop is None:
        if iterations >= limits.max_iterations:
            stop = "max iterations"
            break
        if limits.token_budget is not None and run.usage.tokens >= limits.token_budget:
            stop = "token budget"
            break
        candidate = run.regenerate(best, best_critique, iterations + 1)
        if candidate is None:
            discarded = "discarded" in run.log[-1]
            stop = "regeneration discarded" if discarded else "regeneration failed"
            break
        if candidate == best:
            run.log[-1]["unchanged"] = True
            stop = "unchanged"
            break
        iterations += 1
        critique = run.critique(candidate, iterations)
        if critique is None:
            stop = "critique failed"
            break
        if critique.score <= best_critique.score:
            stop = "no improvement"
            break
        best, best_critique = candidate, critique
        stop = _satisfied(critique, limits)
    return run.result(
        original,
        best,
        iterations,
        initial_score=first.score,
        final_score=best_critique.score,
        stop_reason=stop,
    )
