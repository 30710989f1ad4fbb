"""A local HTTP server speaking the Gemini REST API, for tests.

The real google-genai SDK is pointed at it through ``GOOGLE_GEMINI_BASE_URL``. It
answers ``generateContent``, ``batchEmbedContents``, ``embedContent`` (and Vertex
``predict``) under any version prefix (``/v1``, ``/v1beta``, ``/v1beta1/projects/...``),
records every request, and replies from a per-test script:

    fake_gemini.script_json({"score": 7})     # the next generateContent reply
    fake_gemini.script_json(v, when="Beta")   # ... the next one whose request holds "Beta"
    fake_gemini.script_text("plain words")    # a text reply (also: a non-JSON reply)
    fake_gemini.fail(429, times=2)            # the next two requests of any kind fail
    fake_gemini.delay(5)                      # the next request answers after 5 s
    fake_gemini.requests                      # what the model saw (path, body)
    fake_gemini.most_generating               # the most generateContent requests open at once
    FakeGemini(latency=0.05)                  # every reply takes 50 ms (benchmarks)
    FakeGemini(generate_latency=0.5)          # every generateContent reply takes 500 ms

With nothing scripted, generateContent echoes the last user text (or, for a JSON
request, an instance built from the response schema) and embeddings are feature
hashes of the text, scaled so their norm is not 1 (as Gemini's 768-d vectors are not).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from shared import bootstrap
from shared.config import Settings, get_settings
from shared.errors import ConfigError
from shared.model.offline import hash_embedding

STATUS_NAMES = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    408: "DEADLINE_EXCEEDED",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    503: "UNAVAILABLE",
    504: "DEADLINE_EXCEEDED",
}
EMBED_SCALE = 3.0  # Gemini's truncated (768-d) embeddings are not unit length
OPERATIONS = ("generateContent", "batchEmbedContents", "embedContent", "predict")


@dataclass
class Recorded:
    """One request as the server received it."""

    method: str
    path: str
    body: Any
    headers: dict[str, str]

    @property
    def operation(self) -> str:
        return self.path.rsplit(":", 1)[-1] if ":" in self.path else ""

    @property
    def model(self) -> str:
        return self.path.rsplit("/models/", 1)[-1].split(":", 1)[0]


@dataclass
class _Reply:
    applies_to: str  # "any", "generate" or "embed"
    status: int = 200
    body: bytes | None = None  # None: answer with the default reply
    delay: float = 0.0
    when: str | None = None  # only for a request whose body holds this text


@dataclass
class FakeGemini:
    """The server and its script. Start with ``start()``; ``close()`` stops it."""

    requests: list[Recorded] = field(default_factory=list)
    latency: float = 0.0  # seconds every request waits before its reply (a model's own time)
    generate_latency: float = 0.0  # more seconds each generateContent reply waits
    most_generating: int = 0  # the most generateContent requests in flight at once
    _generating: int = 0
    _script: list[_Reply] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _wake: threading.Event = field(default_factory=threading.Event)
    _server: ThreadingHTTPServer | None = None
    _previous: Settings | None = None

    # -- lifecycle -----------------------------------------------------------------
    def start(self) -> FakeGemini:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                fake._handle(self)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def close(self) -> None:
        self._wake.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    @property
    def url(self) -> str:
        assert self._server is not None, "start() the fake first"
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def reset(self) -> None:
        """Forget the script and the recorded requests; wake delayed replies."""
        with self._lock:
            self._script.clear()
            self.requests.clear()
            self.most_generating = 0
            self._wake.set()
            self._wake = threading.Event()

    # -- settings ------------------------------------------------------------------
    def env(self, **overrides: Any) -> dict[str, Any]:
        """The environment that points the Gemini adapter at this server."""
        values: dict[str, Any] = {
            "MODEL_PROVIDER": "gemini",
            "GEMINI_API_KEY": "x",
            "GOOGLE_GEMINI_BASE_URL": self.url,
            "MODEL_TIMEOUT_SECONDS": 5.0,
            "MODEL_BACKOFF_SECONDS": 0.01,
        }
        values.update(overrides)
        return values

    def settings(self, base: Settings | None = None, **overrides: Any) -> Settings:
        """``base`` (or the configured settings) pointed at this server."""
        start = base if base is not None else _current() or Settings()
        return Settings.model_validate(
            {**start.model_dump(by_alias=True, exclude_none=True), **self.env(**overrides)}
        )

    def configure(self, base: Settings | None = None, **overrides: Any) -> Settings:
        """Install settings pointed at this server; the fixture restores the previous
        ones after the test."""
        if self._previous is None:
            self._previous = _current()
        settings = self.settings(base, **overrides)
        bootstrap.configure(settings)
        return settings

    def restore(self) -> None:
        if self._previous is not None:
            bootstrap.configure(self._previous)
            self._previous = None

    # -- script --------------------------------------------------------------------
    def script_json(self, value: Any, *, times: int = 1, when: str | None = None) -> None:
        """The next generateContent reply carries ``value`` serialised as JSON; with
        ``when``, the next one to a request whose JSON body holds that text (requests
        sent side by side then get their replies whatever order they arrive in)."""
        self.script_text(json.dumps(value), times=times, when=when)

    def script_text(self, text: str, *, times: int = 1, when: str | None = None) -> None:
        """The next generateContent reply carries ``text`` as its only part."""
        body = json.dumps(generate_reply(text)).encode()
        self._push(_Reply("generate", body=body, when=when), times)

    def script_reply(self, body: Any, *, status: int = 200, times: int = 1) -> None:
        """The next generateContent reply is exactly ``body`` (JSON-able or bytes)."""
        raw = body if isinstance(body, bytes) else json.dumps(body).encode()
        self._push(_Reply("generate", status=status, body=raw), times)

    def script_embeddings(self, vectors: list[list[float]]) -> None:
        """The next embedding request is answered with ``vectors``."""
        body = json.dumps({"embeddings": [{"values": v} for v in vectors]}).encode()
        self._push(_Reply("embed", body=body), 1)

    def fail(
        self,
        status: int,
        *,
        times: int = 1,
        message: str = "injected fault",
        retry_delay: str | None = None,
    ) -> None:
        """The next ``times`` requests of any kind answer ``status`` with Google's error
        body (429 carries RESOURCE_EXHAUSTED, and a RetryInfo when ``retry_delay``)."""
        error: dict[str, Any] = {
            "code": status,
            "message": message,
            "status": STATUS_NAMES.get(status, "UNKNOWN"),
        }
        if retry_delay is not None:
            error["details"] = [
                {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": retry_delay}
            ]
        body = json.dumps({"error": error}).encode()
        self._push(_Reply("any", status=status, body=body), times)

    def garbage(self, *, times: int = 1) -> None:
        """The next ``times`` requests get a 200 whose body is not JSON at all."""
        self._push(_Reply("any", body=b"<html>upstream says hello</html>"), times)

    def delay(self, seconds: float, *, times: int = 1, only: str = "any") -> None:
        """The next ``times`` requests (of any kind, or ``only="generate"``) wait
        ``seconds`` before their (default) reply."""
        self._push(_Reply(only, delay=seconds), times)

    def _push(self, reply: _Reply, times: int) -> None:
        with self._lock:
            self._script.extend([reply] * times)

    def of(self, operation: str) -> list[Recorded]:
        """The recorded requests of one operation (e.g. ``"generateContent"``)."""
        return [r for r in self.requests if r.operation == operation]

    # -- serving -------------------------------------------------------------------
    def _next(self, kind: str, raw: str) -> _Reply | None:
        with self._lock:
            for i, reply in enumerate(self._script):
                if reply.applies_to in ("any", kind) and (reply.when is None or reply.when in raw):
                    return self._script.pop(i)
        return None

    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        length = int(handler.headers.get("Content-Length") or 0)
        raw = handler.rfile.read(length)
        try:
            body: Any = json.loads(raw) if raw else None
        except ValueError:
            body = raw.decode(errors="replace")
        path = handler.path.split("?", 1)[0]
        recorded = Recorded("POST", path, body, dict(handler.headers.items()))
        with self._lock:
            self.requests.append(recorded)
            wake = self._wake
        operation = recorded.operation
        if operation not in OPERATIONS:
            _send(handler, 404, _error_body(404, f"no such method: {path}"))
            return
        kind = "generate" if operation == "generateContent" else "embed"
        if kind == "generate":
            with self._lock:
                self._generating += 1
                self.most_generating = max(self.most_generating, self._generating)
        try:
            self._reply(handler, recorded, body, kind, raw, wake)
        finally:
            if kind == "generate":
                with self._lock:
                    self._generating -= 1

    def _reply(
        self,
        handler: BaseHTTPRequestHandler,
        recorded: Recorded,
        body: Any,
        kind: str,
        raw: bytes,
        wake: threading.Event,
    ) -> None:
        reply = self._next(kind, raw.decode(errors="replace"))
        delay = self.latency + (reply.delay if reply is not None else 0.0)
        if kind == "generate":
            delay += self.generate_latency
        if delay and wake.wait(delay):
            return  # reset while delayed: the client is long gone
        if reply is not None and reply.body is not None:
            _send(handler, reply.status, reply.body)
            return
        default = _default(recorded, body if isinstance(body, dict) else {})
        _send(handler, 200, json.dumps(default).encode())


def _current() -> Settings | None:
    try:
        return get_settings()
    except ConfigError:
        return None


def _send(handler: BaseHTTPRequestHandler, status: int, body: bytes) -> None:
    try:
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json; charset=UTF-8")
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)
    except (BrokenPipeError, ConnectionResetError):
        pass  # the client timed out and hung up


def _error_body(status: int, message: str) -> bytes:
    error = {"code": status, "message": message, "status": STATUS_NAMES.get(status, "UNKNOWN")}
    return json.dumps({"error": error}).encode()


def generate_reply(text: str, *, prompt_tokens: int = 7) -> dict[str, Any]:
    """A minimal, well-formed generateContent reply carrying ``text``."""
    return {
        "candidates": [
            {
                "content": {"role": "model", "parts": [{"text": text}]},
                "finishReason": "STOP",
                "index": 0,
            }
        ],
        "usageMetadata": {
            "promptTokenCount": prompt_tokens,
            "candidatesTokenCount": max(1, len(text.split())),
            "totalTokenCount": prompt_tokens + max(1, len(text.split())),
        },
        "modelVersion": "fake-gemini",
    }


def _texts(content: Any) -> Iterator[str]:
    if isinstance(content, str):
        yield content
    elif isinstance(content, dict):
        for part in content.get("parts") or []:
            if isinstance(part, dict) and isinstance(part.get("text"), str):
                yield part["text"]


def _embedding(text: str, dimensions: int) -> list[float]:
    base = hash_embedding(text)
    values = (base * (dimensions // len(base) + 1))[:dimensions]
    return [EMBED_SCALE * v for v in values]


def _default(recorded: Recorded, body: dict[str, Any]) -> dict[str, Any]:
    operation = recorded.operation
    if operation == "generateContent":
        contents = body.get("contents") or []
        words = [t for c in contents[-1:] for t in _texts(c)]
        prompt_tokens = sum(len(t.split()) for c in contents for t in _texts(c))
        config = body.get("generationConfig") or {}
        if config.get("responseMimeType") == "application/json":
            schema = config.get("responseJsonSchema") or config.get("responseSchema") or {}
            return generate_reply(json.dumps(example(schema)), prompt_tokens=prompt_tokens)
        return generate_reply(" ".join(words), prompt_tokens=prompt_tokens)
    if operation == "batchEmbedContents":
        return {
            "embeddings": [
                {"values": _embedding(" ".join(_texts(r.get("content"))), _dims(r))}
                for r in body.get("requests") or []
            ]
        }
    if operation == "embedContent":
        if "requests" in body:  # Vertex batches through embedContent too
            return _default(Recorded("POST", ":batchEmbedContents", body, {}), body)
        text = " ".join(_texts(body.get("content")))
        return {"embedding": {"values": _embedding(text, _dims(body))}}
    instances = body.get("instances") or []  # Vertex predict
    dims = int((body.get("parameters") or {}).get("outputDimensionality") or 3072)
    return {
        "predictions": [
            {"embeddings": {"values": _embedding(str(i.get("content", "")), dims)}}
            for i in instances
        ]
    }


def _dims(request: dict[str, Any]) -> int:
    config = request.get("embedContentConfig") or request  # Vertex nests the config
    return int(config.get("outputDimensionality") or 3072)


def example(schema: dict[str, Any], defs: dict[str, Any] | None = None) -> Any:
    """A small instance of a Gemini (OpenAPI-subset) or JSON schema: the first enum
    value, minimum numbers, one-item arrays, "x" strings."""
    defs = schema.get("$defs", defs or {})
    if "$ref" in schema:
        return example(defs.get(schema["$ref"].rsplit("/", 1)[-1], {}), defs)
    if "anyOf" in schema:
        options = [s for s in schema["anyOf"] if str(s.get("type", "")).upper() != "NULL"]
        return example(options[0] if options else {}, defs)
    if schema.get("enum"):
        return schema["enum"][0]
    kind = str(schema.get("type", "OBJECT" if "properties" in schema else "STRING")).upper()
    if kind == "OBJECT":
        return {k: example(v, defs) for k, v in (schema.get("properties") or {}).items()}
    if kind == "ARRAY":
        count = max(1, int(schema.get("minItems") or 1))
        return [example(schema.get("items") or {}, defs) for _ in range(count)]
    if kind in ("INTEGER", "NUMBER"):
        low = schema.get("minimum")
        return int(low) if low is not None and kind == "INTEGER" else (low or 0)
    if kind == "BOOLEAN":
        return False
    return "x" * max(1, int(schema.get("minLength") or 1))


@pytest.fixture(scope="session")
def fake_gemini_server() -> Iterator[FakeGemini]:
    """One fake Gemini for the session; its URL never changes, so module-scoped
    settings may point at it (``fake_gemini_server.settings(base)``)."""
    fake = FakeGemini().start()
    yield fake
    fake.close()


@pytest.fixture
def fake_gemini(fake_gemini_server: FakeGemini) -> Iterator[FakeGemini]:
    """The session's fake, with an empty script and no recorded requests for this
    test. Settings installed with ``fake_gemini.configure(...)`` are undone after it."""
    fake_gemini_server.reset()
    yield fake_gemini_server
    fake_gemini_server.restore()
    fake_gemini_server.reset()
