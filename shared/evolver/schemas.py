"""What the critic answers, what a string regeneration answers, and the request bodies
of the Evolver's routes and private function.

The model-facing schemas name their fields exactly as the wire contract does
(``shouldImprove``, ``voiceConsistency``), so the schema Gemini is given, the JSON it
answers and the evolution log all use one spelling."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
)
from pydantic.json_schema import SkipJsonSchema

from shared.ids import AGENT_ID_PATTERN
from shared.keyset import Cursor
from shared.web.shapes import ResponseModel

MAX_OUTPUT_CHARS = 50_000  # of the output, JSON-encoded when it is an object
MAX_CONTEXT_CHARS = 20_000
MAX_OUTPUT_DEPTH = 6
MAX_OUTPUT_NODES = 500  # values (keys' values, list items) in an object output
MAX_LIST_ITEMS = 20

AgentId = Annotated[str, StringConstraints(pattern=AGENT_ID_PATTERN)]
UserId = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


class Critique(BaseModel):
    """The critic's verdict on one candidate."""

    score: float = Field(ge=0, le=1, allow_inf_nan=False, description="overall quality, 0..1")
    shouldImprove: bool = Field(description="whether a rewrite from the suggestions would help")
    issues: list[Annotated[str, StringConstraints(max_length=500)]] = Field(
        default_factory=list, max_length=MAX_LIST_ITEMS
    )
    suggestions: list[Annotated[str, StringConstraints(max_length=500)]] = Field(
        default_factory=list, max_length=MAX_LIST_ITEMS
    )
    voiceConsistency: float = Field(
        ge=0, le=1, allow_inf_nan=False, description="fit to the creator's voice, 0..1"
    )


class TextRevision(BaseModel):
    """A regeneration of a string output."""

    content: str = Field(description="the improved output, complete, in the same format")


def _size(value: Any, depth: int = 0) -> int:
    """Count of values in ``value``; raises ValueError past the depth bound."""
    if depth > MAX_OUTPUT_DEPTH:
        raise ValueError(f"nested deeper than {MAX_OUTPUT_DEPTH} levels")
    if isinstance(value, dict):
        return 1 + sum(_size(v, depth + 1) for v in value.values())
    if isinstance(value, list):
        return 1 + sum(_size(v, depth + 1) for v in value)
    return 1


def check_output(value: str | dict[str, Any]) -> str | dict[str, Any]:
    """A non-empty string, or a non-empty object within the size bounds."""
    if isinstance(value, str):
        if not value.strip():
            raise ValueError("must be a non-empty string or a JSON object")
        if len(value) > MAX_OUTPUT_CHARS:
            raise ValueError(f"longer than {MAX_OUTPUT_CHARS} characters")
        return value
    if not value:
        raise ValueError("must be a non-empty string or a non-empty JSON object")
    if _size(value) > MAX_OUTPUT_NODES:
        raise ValueError(f"more than {MAX_OUTPUT_NODES} values")
    if len(json.dumps(value, ensure_ascii=False)) > MAX_OUTPUT_CHARS:
        raise ValueError(f"longer than {MAX_OUTPUT_CHARS} characters as JSON")
    return value


# the texts' bounds, stated in the schema as well as checked below
OutputText = Annotated[str, StringConstraints(max_length=MAX_OUTPUT_CHARS, pattern=r"\S")]
ContextText = Annotated[str, StringConstraints(max_length=MAX_CONTEXT_CHARS)]


class EvolveIn(BaseModel):
    """``POST /api/oracle/evolve``."""

    model_config = ConfigDict(populate_by_name=True)

    agent_id: AgentId = Field(alias="agentId")
    output: OutputText | Annotated[dict[str, Any], Field(min_length=1)] = Field(
        description="a non-empty string or JSON object"
    )
    context: ContextText | dict[str, Any] | None = Field(
        None, description="what the output was for (the request, the brief)"
    )

    @field_validator("output")
    @classmethod
    def _output(cls, value: str | dict[str, Any]) -> str | dict[str, Any]:
        return check_output(value)

    @field_validator("context")
    @classmethod
    def _context(cls, value: str | dict[str, Any] | None) -> str | dict[str, Any] | None:
        if value is not None and len(json.dumps(value, ensure_ascii=False)) > MAX_CONTEXT_CHARS:
            raise ValueError(f"longer than {MAX_CONTEXT_CHARS} characters")
        return value


class PrivateEvolveIn(EvolveIn):
    """The private ``evolve`` function: the same body plus the user it acts for."""

    user_id: UserId = Field(alias="userId")


class SettingsIn(BaseModel):
    """``PUT /api/evolver/settings/<agentId>``: only the fields given change."""

    model_config = ConfigDict(populate_by_name=True, extra="forbid")

    enabled: bool | None = Field(None, strict=True)
    max_iterations: int | None = Field(None, strict=True, ge=1, le=5, alias="maxIterations")
    # stored as ``real`` (six significant digits), which cannot hold 1e-50: rounded to
    # what it keeps, so a tiny value is 0 instead of an underflow in the database
    # the bounds sit on the number, not on the optional, so the document states them
    threshold: (
        Annotated[
            float,
            Field(strict=True, ge=0, le=1, allow_inf_nan=False),
            AfterValidator(lambda v: round(v, 6)),
        ]
        | None
    ) = None
    token_budget: int | None = Field(
        None,
        strict=True,
        ge=100,
        le=10_000_000,
        alias="tokenBudget",
        description="tokens after which the loop stops with the best so far; null: none",
    )


class SettingsRow(ResponseModel):
    """A user's Evolver settings for an agent."""

    agent_id: str
    enabled: bool
    max_iterations: int = Field(ge=1, le=5)
    threshold: float = Field(ge=0, le=1)
    token_budget: int | None
    updated_at: datetime | None = Field(description="null: never set, the defaults")


class EvolutionUsage(ResponseModel):
    calls: int = Field(description="HTTP attempts, retries included")
    modelCalls: int = Field(description="logical model calls")
    inputTokens: int
    outputTokens: int


class EvolutionOut(ResponseModel):
    """The answer of ``POST /api/oracle/evolve``; its schema is the route's document."""

    evolutionId: str | None = Field(
        description="null when the Evolver is disabled for the agent (nothing was logged)"
    )
    original: str | dict[str, Any]
    evolved: str | dict[str, Any]
    iterations: int
    evolutionLog: list[dict[str, Any]]
    initialScore: float | None
    finalScore: float | None
    stopReason: str
    usage: EvolutionUsage
    variant: dict[str, Any] | None = Field(description="the experiment variant used, if any")
    logged: bool


class HistoryFilter(BaseModel):
    """``GET /api/evolver/history``."""

    model_config = ConfigDict(populate_by_name=True)

    agent_id: AgentId | SkipJsonSchema[None] = Field(
        None, alias="agentId", description="only this agent's evolutions"
    )
    limit: int = Field(20, ge=1, le=100)
    cursor: Cursor = None


class RecordedUsage(BaseModel):
    """What an evolution cost, as recorded; null where the record does not say."""

    calls: int | None = Field(description="HTTP attempts, retries included")
    modelCalls: int | None = Field(description="logical model calls")
    tokens: int | None
    inputTokens: int | None
    outputTokens: int | None


class EvolutionSummary(BaseModel):
    """An evolution as recorded, without its texts and log. Each field is null where
    the record does not hold it (a memory stored by hand as an ``evolution``)."""

    evolutionId: str | None = Field(description="the id POST /api/oracle/evolve answered")
    agentId: str | None
    createdAt: datetime
    source: str | None = Field(
        description="api (the route or the evolve function) or workflow (an agent step)"
    )
    outcome: str | None = Field(description="improved, kept or critique failed")
    iterations: int | None
    initialScore: float | None
    finalScore: float | None
    stopReason: str | None
    usage: RecordedUsage


class EvolutionListItem(EvolutionSummary):
    originalPreview: str | None = Field(
        description="the first 200 characters of the original (JSON text for an object)"
    )
    evolvedPreview: str | None = Field(description="the same of the evolved output")


class EvolutionPage(BaseModel):
    """``GET /api/evolver/history``: newest first."""

    evolutions: list[EvolutionListItem]
    next_cursor: str | None


class RecordedSettings(BaseModel):
    maxIterations: int | None
    threshold: float | None
    tokenBudget: int | None


class EvolutionRecord(EvolutionSummary):
    """``GET /api/evolver/history/<evolutionId>``: the evolution whole, as
    ``POST /api/oracle/evolve`` answered it, with the settings it ran under."""

    original: Any
    evolved: Any
    evolutionLog: list[dict[str, Any]]
    settings: RecordedSettings
    variant: dict[str, Any] | None
