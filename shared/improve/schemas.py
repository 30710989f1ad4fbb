"""Request bodies of the self-improvement routes and the models of their answers.

Bodies are camelCase on the wire (``agentId``) and validated here, so a bad value is a
422 that names its field before anything is written."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from shared.ids import AGENT_ID_PATTERN
from shared.web.shapes import Number, ResponseModel, optional_key

METRIC_PATTERN = r"^[A-Za-z0-9_.:-]{1,100}$"
RATING_METRIC = "rating"
MAX_OUTPUT_CHARS = 100_000  # a rated output kept as text (an object is bounded by the body size)
# Counts, scores, latencies, costs and rates all fit; a sum of a billion of them still
# fits a double many times over, so no aggregate of accepted values can overflow.
MAX_METRIC_MAGNITUDE = 1e12

AgentId = Annotated[str, StringConstraints(pattern=AGENT_ID_PATTERN)]
MetricName = Annotated[str, StringConstraints(pattern=METRIC_PATTERN)]
UnitId = Annotated[str, StringConstraints(min_length=1, max_length=200)]


class _Body(BaseModel):
    model_config = ConfigDict(populate_by_name=True)


class FeedbackIn(_Body):
    agent_id: AgentId = Field(alias="agentId")
    rating: int = Field(strict=True, ge=1, le=5, description="1 (bad) to 5 (good)")
    comment: str | None = Field(None, max_length=5000)
    output_id: UnitId | None = Field(
        None, alias="outputId", description="the run, output or episodic memory rated"
    )
    output: (
        Annotated[str, StringConstraints(max_length=MAX_OUTPUT_CHARS)] | dict[str, Any] | None
    ) = Field(None, description="the rated output itself")


class MetricIn(_Body):
    name: MetricName
    value: float = Field(
        allow_inf_nan=False,
        ge=-MAX_METRIC_MAGNITUDE,
        le=MAX_METRIC_MAGNITUDE,
        description="a finite number from -1e12 to 1e12",
    )
    agent_id: AgentId = Field(alias="agentId")
    output_id: UnitId | None = Field(
        None, alias="outputId", description="the run or output measured, if any"
    )

    @field_validator("name")
    @classmethod
    def _not_rating(cls, name: str) -> str:
        if name == RATING_METRIC:
            raise ValueError("'rating' is reserved for feedback ratings")
        return name


class EvolverVariant(_Body):
    max_iterations: int | None = Field(None, strict=True, ge=1, le=5, alias="maxIterations")
    threshold: float | None = Field(None, ge=0, le=1, allow_inf_nan=False)


class VariantIn(_Body):
    name: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_.:-]{1,50}$")]
    evolver: EvolverVariant | None = None
    instruction: str | None = Field(None, min_length=1, max_length=2000)


class ExperimentIn(_Body):
    agent_id: AgentId = Field(alias="agentId")
    name: str = Field(min_length=1, max_length=200)
    variants: list[VariantIn] = Field(min_length=2, max_length=10)
    metric: MetricName = RATING_METRIC
    min_samples: int = Field(30, strict=True, ge=2, le=100_000, alias="minSamples")
    max_samples: int | None = Field(None, strict=True, ge=2, le=1_000_000, alias="maxSamples")

    @field_validator("variants")
    @classmethod
    def _distinct_names(cls, variants: list[VariantIn]) -> list[VariantIn]:
        names = [v.name for v in variants]
        if len(set(names)) != len(names):
            raise ValueError("variant names must be distinct")
        return variants


# The answers, as response models (``shared.web.shapes``).


class Feedback(ResponseModel):
    id: UUID
    user_id: str
    agent_id: str
    rating: int = Field(ge=1, le=5)
    comment: str | None
    output_id: str | None
    output: Any = Field(description="the rated output, as given (null when none was)")
    created_at: datetime


class Metric(ResponseModel):
    id: UUID
    user_id: str
    agent_id: str
    name: str
    value: float
    created_at: datetime


class Observed(ResponseModel):
    """The running experiment the value counted in, and the variant it counted for."""

    experimentId: UUID
    variant: str


class FeedbackRecorded(ResponseModel):
    success: bool
    feedback: Feedback
    experiment: Observed | None


class MetricRecorded(ResponseModel):
    success: bool
    metric: Metric
    experiment: Observed | None


class Evidence(ResponseModel):
    feedbackId: str | None
    quote: str


class Improvement(ResponseModel):
    id: UUID
    user_id: str
    agent_id: str
    improvement: str
    evidence: list[Evidence]
    confidence: float = Field(ge=0, le=1)
    status: Literal["proposed", "active", "rejected"]
    embedding_model: str | None
    created_at: datetime
    decided_at: datetime | None


class ImprovementDecided(ResponseModel):
    success: bool
    improvement: Improvement


class Duplicate(ResponseModel):
    """A proposal not stored: close in meaning to one stored (or to one proposed with
    it, ``duplicateOf`` null)."""

    improvement: str
    duplicateOf: UUID | None
    similarity: float = optional_key()


class AnalysisUsage(ResponseModel):
    calls: int
    tokens: int


class Analysis(ResponseModel):
    agentId: str
    proposals: list[Improvement]
    duplicates: list[Duplicate]
    note: str | None
    model: str = optional_key("the model that analysed (absent when none was asked)")
    usage: AnalysisUsage


class FeedbackFigures(ResponseModel):
    count: int
    meanRating: float | None
    lowRated: int = Field(description="ratings of 2 or less")
    byRating: dict[str, int] = Field(description='count per rating, "1" to "5"')


class MetricFigures(ResponseModel):
    name: str
    count: int
    mean: float | None
    min: float | None
    max: float | None


class RunFigures(ResponseModel):
    count: int
    withOutcome: int
    succeeded: int
    successRate: float | None


class EvolverFigures(ResponseModel):
    evolutions: int
    meanIterations: float | None
    meanScoreGain: float | None
    calls: int
    tokens: int


class AgentStats(ResponseModel):
    agentId: str
    feedback: FeedbackFigures
    metrics: list[MetricFigures]
    runs: RunFigures
    evolver: EvolverFigures
    improvements: dict[str, int] = Field(description="count per status")


class ExperimentVariant(ResponseModel):
    name: str
    evolver: dict[str, Number] = optional_key("maxIterations and threshold of the variant")
    instruction: str = optional_key()


class VariantFigures(ResponseModel):
    name: str
    n: int
    mean: Number | None
    stddev: Number | None


class Comparison(ResponseModel):
    variant: str
    control: str
    t: Number | None
    df: Number | None
    pValue: Number | None
    significant: bool


class ExperimentResult(ResponseModel):
    variants: list[VariantFigures]
    comparisons: list[Comparison]
    test: str
    alpha: Number
    correctedAlpha: Number
    stop: bool = Field(description="whether the stop rule ends the experiment")
    winner: str | None
    reason: str | None


class Experiment(ResponseModel):
    id: UUID
    user_id: str
    agent_id: str
    name: str
    variants: list[ExperimentVariant]
    metric: str
    status: Literal["running", "stopped", "concluded"]
    min_samples: int
    max_samples: int | None
    result: ExperimentResult | None = Field(
        description="live while running, as decided once ended (null when never computed)"
    )
    created_at: datetime
    stopped_at: datetime | None


class ExperimentSaved(ResponseModel):
    success: bool
    experiment: Experiment
