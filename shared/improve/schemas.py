"""Request bodies of the self-improvement routes and the JSON schemas of their answers.

Bodies are camelCase on the wire (``agentId``) and validated here, so a bad value is a
422 that names its field before anything is written."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from shared.ids import AGENT_ID_PATTERN

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


def _obj(properties: dict[str, Any], required: list[str] | None = None) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "object", "properties": properties}
    if required:
        schema["required"] = required
    return schema


_STR = {"type": "string"}
_NUM = {"type": ["number", "null"]}
_INT = {"type": "integer"}

FEEDBACK_ROW = _obj(
    {
        "id": _STR,
        "user_id": _STR,
        "agent_id": _STR,
        "rating": _INT,
        "comment": {"type": ["string", "null"]},
        "output_id": {"type": ["string", "null"]},
        "output": {},
        "created_at": _STR,
    },
    ["id", "agent_id", "rating"],
)
METRIC_ROW = _obj(
    {"id": _STR, "agent_id": _STR, "name": _STR, "value": {"type": "number"}, "created_at": _STR},
    ["id", "agent_id", "name", "value"],
)
IMPROVEMENT_ROW = _obj(
    {
        "id": _STR,
        "agent_id": _STR,
        "improvement": _STR,
        "evidence": {
            "type": "array",
            "items": _obj({"feedbackId": {"type": ["string", "null"]}, "quote": _STR}),
        },
        "confidence": {"type": "number"},
        "status": {"type": "string", "enum": ["proposed", "active", "rejected"]},
        "created_at": _STR,
        "decided_at": {"type": ["string", "null"]},
    },
    ["id", "agent_id", "improvement", "status"],
)
EXPERIMENT_ROW = _obj(
    {
        "id": _STR,
        "agent_id": _STR,
        "name": _STR,
        "variants": {"type": "array", "items": {"type": "object"}},
        "metric": _STR,
        "status": {"type": "string", "enum": ["running", "stopped", "concluded"]},
        "min_samples": _INT,
        "max_samples": _INT,
        "result": {"type": ["object", "null"]},
    },
    ["id", "agent_id", "name", "variants", "metric", "status"],
)


def success(key: str, row: dict[str, Any]) -> dict[str, Any]:
    return _obj({"success": {"type": "boolean"}, key: row}, ["success", key])
