"""The Gemini adapter: google-genai with an API key or Vertex AI.

The same code path serves Google and any server that speaks the Gemini REST API
(``GOOGLE_GEMINI_BASE_URL``). Every request runs under a per-call timeout and bounded
retries (``shared.model.retry``); SDK errors become ``ModelFailure``. Generate calls
go round the configured endpoints (``GEMINI_MODELS``, ``GOOGLE_CLOUD_LOCATIONS``), each
attempt to the next one the circuit breaker has not left out (``shared.model.breaker``,
its state shared by every instance through the database). Structured
output is asked for as JSON with the schema attached, validated with pydantic, and
repaired at most once by showing the model its reply and what was wrong with it."""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Mapping
from functools import cache
from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import BaseModel, ValidationError

from shared import logs
from shared.config import Settings
from shared.model.breaker import Breaker, Endpoint, SharedState
from shared.model.gemini_faults import classify
from shared.model.port import DIMENSIONS, ModelFailure, Result, T, TaskType, Usage
from shared.model.retry import retrying

if TYPE_CHECKING:
    from google import genai
    from google.genai import types

R = TypeVar("R")
SATURATED = frozenset({"rate_limited", "retryable"})  # what opens an endpoint's breaker
EMBED_BATCH = 100
REPAIR = (
    "Your previous reply could not be used: {problem}\n"
    "Reply again with only the corrected JSON, fitting the response schema exactly."
)
log = logs.get(__name__)


class GeminiModel:
    name = "gemini"

    def __init__(
        self, settings: Settings, *, credentials: Any = None, shared: SharedState | None = None
    ) -> None:
        """``credentials`` (google-auth) for Vertex AI; by default the SDK finds the
        application default credentials itself. ``shared``: the breaker state every
        instance shares (used with more than one endpoint and
        ``MODEL_ENDPOINT_SHARE_SECONDS`` above 0)."""
        self.settings = settings
        self.model = settings.gemini_model
        self.embedding_model = settings.embedding_model
        self._credentials = credentials
        self.endpoints = endpoints(settings)
        sharing = len(self.endpoints) > 1 and settings.model_endpoint_share_seconds > 0
        self.breaker = Breaker(
            self.endpoints,
            settings.model_endpoint_backoff_seconds,
            shared=shared if sharing else None,
            share_seconds=settings.model_endpoint_share_seconds,
        )
        self._clients: dict[str | None, genai.Client] = {}
        self._clients_lock = threading.Lock()

    @property
    def _client(self) -> genai.Client:
        """The client of the first endpoint's location (embeddings go there)."""
        return self._client_at(self.endpoints[0].location)

    def _client_at(self, location: str | None) -> genai.Client:
        with self._clients_lock:
            if location not in self._clients:
                self._clients[location] = self._new_client(location)
            return self._clients[location]

    def _new_client(self, location: str | None) -> genai.Client:
        from google import genai
        from google.genai import types

        s = self.settings
        options = types.HttpOptions(
            timeout=math.ceil(s.model_timeout_seconds * 1000), base_url=s.gemini_base_url
        )
        if s.use_vertexai:
            return genai.Client(
                vertexai=True,
                project=s.google_cloud_project,
                location=location,
                credentials=self._credentials,
                http_options=options,
            )
        return genai.Client(api_key=s.gemini_api_key, http_options=options)

    def _call(self, request: Callable[[], R], usage: Usage, what: str) -> R:
        return retrying(
            request,
            classify=classify,
            usage=usage,
            attempts=self.settings.model_max_attempts,
            base_delay=self.settings.model_backoff_seconds,
            patience=self.settings.model_timeout_seconds,
            what=what,
        )

    def _generate(
        self, contents: list[types.Content], config: types.GenerateContentConfig, usage: Usage
    ) -> types.GenerateContentResponse:
        def attempt() -> types.GenerateContentResponse:
            endpoint = self.breaker.pick()
            try:
                reply = self._client_at(endpoint.location).models.generate_content(
                    model=endpoint.model, contents=contents, config=config
                )
            except Exception as exc:
                fault = classify(exc)
                if fault is not None and fault.kind in SATURATED:
                    self.breaker.failed(endpoint)
                raise
            self.breaker.succeeded(endpoint)
            return reply

        reply = self._call(attempt, usage, f"generate with {self.model}")
        meta = reply.usage_metadata
        if meta is not None:
            usage.input_tokens += meta.prompt_token_count or 0
            usage.output_tokens += (meta.candidates_token_count or 0) + (
                meta.thoughts_token_count or 0
            )
        return reply

    def generate_structured(
        self,
        prompt: str,
        schema: type[T],
        *,
        system: str | None = None,
        data: Mapping[str, Any] | None = None,
    ) -> Result[T]:
        from google.genai import types

        usage = Usage()
        config = types.GenerateContentConfig(
            system_instruction=system, response_mime_type="application/json", **self._schema(schema)
        )
        contents = [_turn("user", prompt)]
        text = _text(self._generate(contents, config, usage))
        try:
            return Result(_fit(schema, text), usage)
        except _Unfit as first:
            log.warning(
                "model reply did not fit the schema; asking once for a repair",
                extra={"schema": schema.__name__},
            )
            if text:
                contents.append(_turn("model", text))
            contents.append(_turn("user", REPAIR.format(problem=first)))
        text = _text(self._generate(contents, config, usage))
        try:
            return Result(_fit(schema, text), usage)
        except _Unfit as second:
            raise ModelFailure(
                f"the reply did not fit {schema.__name__} after one repair: {second}",
                kind="invalid_output",
                usage=usage,
            ) from None

    def _schema(self, schema: type[BaseModel]) -> dict[str, Any]:
        """``response_schema`` (the SDK's OpenAPI subset) when the model fits it; the
        Developer API refuses ``additionalProperties`` (dict fields) there, so those
        schemas go as ``response_json_schema`` instead."""
        if not self.settings.use_vertexai and _has_dict_fields(schema):
            return {"response_json_schema": schema.model_json_schema()}
        return {"response_schema": schema}

    def generate_text(self, prompt: str, *, system: str | None = None) -> Result[str]:
        from google.genai import types

        usage = Usage()
        config = types.GenerateContentConfig(system_instruction=system)
        text = _text(self._generate([_turn("user", prompt)], config, usage))
        if not text or not text.strip():
            raise ModelFailure("the model replied with no text", kind="invalid_output", usage=usage)
        return Result(text, usage)

    def embed(
        self, texts: list[str], task_type: TaskType = "RETRIEVAL_DOCUMENT"
    ) -> Result[list[list[float]]]:
        from google.genai import types

        usage = Usage()
        config = types.EmbedContentConfig(task_type=task_type, output_dimensionality=DIMENSIONS)
        vectors: list[list[float]] = []
        for start in range(0, len(texts), EMBED_BATCH):
            batch = texts[start : start + EMBED_BATCH]
            reply = self._call(
                lambda batch=batch: self._client.models.embed_content(  # type: ignore[misc]
                    model=self.embedding_model, contents=batch, config=config
                ),
                usage,
                f"embed with {self.embedding_model}",
            )
            got = [e.values or [] for e in reply.embeddings or []]
            if len(got) != len(batch) or any(len(v) != DIMENSIONS or not any(v) for v in got):
                raise ModelFailure(
                    f"expected {len(batch)} non-zero embeddings of {DIMENSIONS} values, "
                    f"got {[len(v) for v in got]}",
                    kind="invalid_output",
                    usage=usage,
                )
            vectors.extend(_unit(v) for v in got)
        return Result(vectors, usage)


def endpoints(settings: Settings) -> list[Endpoint]:
    """Every (model, location) pair the settings name, the configured ones first."""
    models = _unique([settings.gemini_model, *_listed(settings.gemini_models)])
    locations: list[str | None] = [None]
    if settings.use_vertexai:
        locations = list(
            _unique(
                [settings.google_cloud_location or "", *_listed(settings.google_cloud_locations)]
            )
        )
    return [Endpoint(model, location or None) for location in locations for model in models]


def _listed(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


def _unique(values: list[str]) -> list[str]:
    return list(dict.fromkeys(values))


class _Unfit(Exception):
    """A reply that is not JSON, or JSON that does not fit the schema."""


def _turn(role: str, text: str) -> types.Content:
    from google.genai import types

    return types.Content(role=role, parts=[types.Part(text=text)])


def _text(reply: types.GenerateContentResponse) -> str | None:
    """The reply's text parts joined (``None`` when blocked or empty). Thought parts
    are not the answer and are skipped."""
    for candidate in reply.candidates or []:
        parts = candidate.content.parts if candidate.content else None
        texts = [p.text for p in parts or [] if p.text and not p.thought]
        if texts:
            return "".join(texts)
    return None


def _fit(schema: type[T], text: str | None) -> T:
    if not text:
        raise _Unfit("the reply was empty")
    try:
        return schema.model_validate_json(text)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'reply'}: {e['msg']}" for e in exc.errors()
        )
        raise _Unfit(problems[:2000]) from None


@cache
def _has_dict_fields(schema: type[BaseModel]) -> bool:
    """Whether the schema has ``additionalProperties``: decided once per schema class,
    since building its JSON schema costs about a millisecond and every call asked."""
    return _has_additional_properties(schema.model_json_schema())


def _has_additional_properties(node: Any) -> bool:
    if isinstance(node, dict):
        if node.get("additionalProperties"):
            return True
        return any(_has_additional_properties(v) for v in node.values())
    if isinstance(node, list):
        return any(_has_additional_properties(v) for v in node)
    return False


def _unit(vector: list[float]) -> list[float]:
    """L2-normalised: Gemini's 768-d (truncated) embeddings are not unit length."""
    norm = math.sqrt(sum(v * v for v in vector))
    return [v / norm for v in vector]
