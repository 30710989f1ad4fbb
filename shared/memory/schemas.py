"""Request bodies of the memory and soul routes (also the mnemosyne agent's payloads),
camelCase on the wire, every limit naming its field when it is broken; and the
models of their answers."""

from __future__ import annotations

import json
import struct
from datetime import datetime
from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
)

from shared.memory.kinds import MemoryType
from shared.memory.recall import MAX_LIMIT, MAX_QUERY_CHARS, RecallMode
from shared.web.shapes import ResponseModel, optional_key

MAX_CONTENT_CHARS = 8000
MAX_JSON_CHARS = 16000
MAX_EXEMPLARS = 20
MAX_EXEMPLAR_CHARS = 5000

_CAMEL = ConfigDict(populate_by_name=True)
Label = Field(None, min_length=1, max_length=100)


NOT_BLANK = r"\S"  # a text with at least one character that is not white space


def _as_real(value: float) -> float:
    """The nearest value PostgreSQL's ``real`` (4-byte float) holds: a number the
    document admits is stored, not refused by the database (1e-307 is stored as 0)."""
    return float(struct.unpack("f", struct.pack("f", value))[0])


# 0..1, as a real holds it
Share = Annotated[float, Field(ge=0, le=1), AfterValidator(_as_real)]


def _small_json(value: dict[str, Any] | None) -> dict[str, Any] | None:
    if value is not None and len(json.dumps(value, default=str)) > MAX_JSON_CHARS:
        raise ValueError(f"at most {MAX_JSON_CHARS} characters of JSON")
    return value


class StoreMemory(BaseModel):
    # a procedural memory is an agent's: agentId is required for it, and not null
    # (checked when the memory is written, stated here for the document)
    model_config = ConfigDict(
        populate_by_name=True,
        json_schema_extra={
            "if": {"properties": {"type": {"const": "procedural"}}, "required": ["type"]},
            "then": {"required": ["agentId"], "properties": {"agentId": {"type": "string"}}},
        },
    )

    type: MemoryType
    content: str = Field(min_length=1, max_length=MAX_CONTENT_CHARS, pattern=NOT_BLANK)
    agent_id: str | None = Field(None, alias="agentId", min_length=1, max_length=100)
    category: str | None = Label
    metadata: dict[str, Any] | None = None
    interaction_type: str | None = Field(
        None, alias="interactionType", min_length=1, max_length=100
    )
    outcome: str | None = Field(None, min_length=1, max_length=100)
    importance: Share | None = None
    confidence: Share | None = None
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


# The answers, as response models (``shared.web.shapes``). A memory is the row of its
# store (never the embedding) with ``type`` naming the store.


class _Memory(ResponseModel):
    id: UUID
    user_id: str
    agent_id: str | None
    content: str
    seen_count: int = Field(description="how many identical writes it stands for")
    embedding_model: str | None
    created_at: datetime
    updated_at: datetime


class EpisodicMemory(_Memory):
    type: Literal["episodic"]
    interaction_type: str | None
    input_summary: str | None
    output_summary: str | None
    outcome: str | None
    context: dict[str, Any]
    importance: float
    archived_at: datetime | None
    consolidated_at: datetime | None = Field(description="when it was folded into a summary")


class SemanticMemory(_Memory):
    type: Literal["semantic"]
    category: str | None
    confidence: float
    source: str | None
    metadata: dict[str, Any]
    source_memory_ids: list[UUID] = Field(description="the memories a summary was made of")
    valid_from: datetime
    valid_until: datetime | None


class ProceduralMemory(_Memory):
    type: Literal["procedural"]
    name: str | None
    metadata: dict[str, Any]
    usage_count: int
    success_count: int


Memory = Annotated[EpisodicMemory | SemanticMemory | ProceduralMemory, Field(discriminator="type")]


class Stored(ResponseModel):
    success: bool
    memory: Memory
    action: Literal["created", "refreshed", "updated"] = Field(
        description="created; refreshed (an identical memory existed); updated (a near "
        "duplicate was updated, its previous state kept in history)"
    )


class RankingScore(ResponseModel):
    rank: int = Field(description="1 = this ranking's best")
    score: float = Field(
        description="semantic: cosine similarity; keyword: ts_rank, or the trigram word "
        "similarity when method is trigram"
    )
    method: Literal["fulltext", "trigram"] = optional_key("keyword: how it matched")


class Scores(ResponseModel):
    semantic: RankingScore = optional_key()
    keyword: RankingScore = optional_key()


class _Ranked(ResponseModel):
    similarity: float | None = Field(
        description="cosine similarity to the query; null in keyword mode and for a memory "
        "of another embedding model"
    )
    matchedBy: list[Literal["semantic", "keyword"]]
    scores: Scores
    score: float = Field(
        description="what the order follows: the reciprocal rank fusion in hybrid mode, else "
        "the one ranking's score"
    )


class RecalledEpisodic(EpisodicMemory, _Ranked):
    pass


class RecalledSemantic(SemanticMemory, _Ranked):
    pass


class RecalledProcedural(ProceduralMemory, _Ranked):
    pass


Recalled = Annotated[
    RecalledEpisodic | RecalledSemantic | RecalledProcedural, Field(discriminator="type")
]


class RecallAnswer(ResponseModel):
    memories: list[Recalled]


class Summarised(ResponseModel):
    memoryId: UUID = Field(description="the semantic memory the summary is")
    action: Literal["created", "refreshed", "updated"]
    sources: list[UUID] = Field(description="the episodic memories it summarises")


class Consolidation(ResponseModel):
    userId: str
    examined: int
    groups: int
    summarised: list[Summarised]
    merged: int = Field(description="episodic memories folded into summaries")
    archived: int = Field(description="old low-importance memories archived")
    degraded: bool = Field(description="a model call failed; what it was for was left as it was")
    errors: list[str]


class Soul(ResponseModel):
    id: UUID
    user_id: str
    version: int
    semantic_fingerprint: dict[str, Any]
    exemplars: list[str]
    is_current: bool
    created_at: datetime
    updated_at: datetime


class SoulIngested(ResponseModel):
    success: bool
    soul: Soul


class CurrentSoul(ResponseModel):
    soul: Soul | None = Field(description="null when none was ingested")
