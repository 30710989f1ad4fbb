"""Request bodies of the memory and soul routes (also the mnemosyne agent's payloads).
camelCase on the wire; every limit names its field when it is broken."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from shared.memory.kinds import MemoryType
from shared.memory.recall import MAX_LIMIT, MAX_QUERY_CHARS, RecallMode

MAX_CONTENT_CHARS = 8000
MAX_JSON_CHARS = 16000
MAX_EXEMPLARS = 20
MAX_EXEMPLAR_CHARS = 5000

_CAMEL = ConfigDict(populate_by_name=True)
Label = Field(None, min_length=1, max_length=100)


NOT_BLANK = r"\S"  # a text with at least one character that is not white space


def _small_json(value: dict[str, Any] | None) -> dict[str, Any] | None:
    if value is not None and len(json.dumps(value, default=str)) > MAX_JSON_CHARS:
        raise ValueError(f"at most {MAX_JSON_CHARS} characters of JSON")
    return value


class StoreMemory(BaseModel):
    model_config = _CAMEL

    type: MemoryType
    content: str = Field(min_length=1, max_length=MAX_CONTENT_CHARS, pattern=NOT_BLANK)
    agent_id: str | None = Field(None, alias="agentId", min_length=1, max_length=100)
    category: str | None = Label
    metadata: dict[str, Any] | None = None
    interaction_type: str | None = Field(
        None, alias="interactionType", min_length=1, max_length=100
    )
    outcome: str | None = Field(None, min_length=1, max_length=100)
    importance: float | None = Field(None, ge=0, le=1)
    confidence: float | None = Field(None, ge=0, le=1)
    name: str | None = Field(None, min_length=1, max_length=200)

    _metadata = field_validator("metadata")(_small_json)


class RecallMemories(BaseModel):
    model_config = _CAMEL

    query: str = Field(min_length=1, max_length=MAX_QUERY_CHARS, pattern=NOT_BLANK)
    mode: RecallMode = "hybrid"
    type: MemoryType | None = None
    limit: int = Field(10, ge=1, le=MAX_LIMIT)
    agent_id: str | None = Field(None, alias="agentId", min_length=1, max_length=100)
    category: str | None = Label
    since: datetime | None = None
    until: datetime | None = None


# an exemplar text: 1..MAX_EXEMPLAR_CHARS characters, not all blank
Exemplar = Annotated[
    str, StringConstraints(min_length=1, max_length=MAX_EXEMPLAR_CHARS, pattern=NOT_BLANK)
]


class SemanticFingerprint(BaseModel):
    """The voice profile. The named keys are typed; any other key is kept as given."""

    model_config = ConfigDict(extra="allow")

    tone: str | list[str] | None = None
    vocabulary: list[str] | str | None = None
    avoid: list[str] | str | None = None
    audience: str | list[str] | None = None


class IngestSoul(BaseModel):
    model_config = _CAMEL

    semantic_fingerprint: SemanticFingerprint = Field(alias="semanticFingerprint")
    exemplars: list[Exemplar] | None = Field(None, max_length=MAX_EXEMPLARS)

    @field_validator("semantic_fingerprint")
    @classmethod
    def _fingerprint_size(cls, value: SemanticFingerprint) -> SemanticFingerprint:
        if len(json.dumps(value.model_dump(exclude_unset=True), default=str)) > MAX_JSON_CHARS:
            raise ValueError(f"at most {MAX_JSON_CHARS} characters of JSON")
        return value

    def fingerprint(self) -> dict[str, Any]:
        """The keys the client sent (explicit nulls included: they remove a key)."""
        return self.semantic_fingerprint.model_dump(exclude_unset=True)
