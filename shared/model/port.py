"""The model port: everything that thinks goes through these three operations.

``generate_structured`` returns a validated pydantic instance or raises
``ModelFailure``; it never returns text for the caller to pick apart. Every call
reports its ``Usage`` so callers can account for cost."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, Literal, Protocol, TypeVar

from pydantic import BaseModel

from shared.errors import AppError

T = TypeVar("T", bound=BaseModel)
V = TypeVar("V")
TaskType = Literal["RETRIEVAL_DOCUMENT", "RETRIEVAL_QUERY"]
DIMENSIONS = 768


@dataclass
class Usage:
    """Calls made (retries included) and tokens, when the API reports them."""

    calls: int = 0
    input_tokens: int = 0
    output_tokens: int = 0

    @property
    def tokens(self) -> int:
        return self.input_tokens + self.output_tokens

    def add(self, other: Usage) -> Usage:
        self.calls += other.calls
        self.input_tokens += other.input_tokens
        self.output_tokens += other.output_tokens
        return self


@dataclass
class Result(Generic[V]):
    value: V
    usage: Usage = field(default_factory=Usage)


class ModelFailure(AppError):
    """The model could not give a usable answer: callers degrade on this.

    ``kind`` is ``rate_limited``, ``retryable`` (timeouts, 5xx after the retry budget),
    ``permanent`` (4xx, bad credentials) or ``invalid_output`` (a reply that does not
    parse or fit the schema, after one repair attempt). ``usage`` counts the calls the
    failed operation made; ``retry_after`` is the wait the server asked for, if any."""

    status = 503

    def __init__(
        self,
        message: str,
        *,
        kind: str,
        usage: Usage | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.kind = kind
        self.usage = usage or Usage()
        self.retry_after = retry_after


class Model(Protocol):
    name: str
    embedding_model: str

    def generate_structured(
        self,
        prompt: str,
        schema: type[T],
        *,
        system: str | None = None,
        data: Mapping[str, Any] | None = None,
    ) -> Result[T]:
        """``data`` is the structured input the prompt was written from. Gemini reads the
        prompt; the offline model answers from ``data`` with the heuristic registered
        for ``schema`` (``shared.model.offline.heuristic``)."""
        ...

    def generate_text(self, prompt: str, *, system: str | None = None) -> Result[str]: ...

    def embed(
        self, texts: list[str], task_type: TaskType = "RETRIEVAL_DOCUMENT"
    ) -> Result[list[list[float]]]: ...
