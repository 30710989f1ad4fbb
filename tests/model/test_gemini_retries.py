"""Bounded retries with backoff, observed as requests at the fake server; failures
translated into the ModelFailure kinds callers degrade on."""

from __future__ import annotations

import pytest

from shared.model.gemini import GeminiModel
from shared.model.port import ModelFailure
from tests.model.conftest import adapter
from tests.support.fake_gemini import FakeGemini


@pytest.mark.parametrize("status", [408, 429, 500, 503])
def test_a_transient_error_is_retried_until_it_succeeds(
    gemini: GeminiModel, fake_gemini: FakeGemini, status: int
) -> None:
    fake_gemini.fail(status, times=2)
    fake_gemini.script_text("finally")
    result = gemini.generate_text("hello")
    assert result.value == "finally"
    assert len(fake_gemini.requests) == 3
    assert result.usage.calls == 3


@pytest.mark.parametrize(
    ("status", "kind"), [(503, "retryable"), (500, "retryable"), (429, "rate_limited")]
)
def test_retries_give_up_after_the_attempt_bound(
    gemini: GeminiModel, fake_gemini: FakeGemini, status: int, kind: str
) -> None:
    fake_gemini.fail(status, times=10)
    with pytest.raises(ModelFailure) as failure:
        gemini.generate_text("hello")
    assert failure.value.kind == kind
    assert len(fake_gemini.requests) == 3
    assert failure.value.usage.calls == 3


def test_the_attempt_bound_comes_from_settings(fake_gemini: FakeGemini) -> None:
    fake_gemini.fail(503, times=10)
    with pytest.raises(ModelFailure):
        adapter(fake_gemini, MODEL_MAX_ATTEMPTS=5).generate_text("hello")
    assert len(fake_gemini.requests) == 5


@pytest.mark.parametrize("status", [400, 401, 403, 404])
def test_a_client_error_is_permanent_and_not_retried(
    gemini: GeminiModel, fake_gemini: FakeGemini, status: int
) -> None:
    fake_gemini.fail(status)
    with pytest.raises(ModelFailure) as failure:
        gemini.generate_text("hello")
    assert failure.value.kind == "permanent"
    assert len(fake_gemini.requests) == 1


def test_a_server_asking_for_a_long_wait_is_not_waited_for(
    gemini: GeminiModel, fake_gemini: FakeGemini
) -> None:
    fake_gemini.fail(429, retry_delay="3600s")
    with pytest.raises(ModelFailure) as failure:
        gemini.generate_text("hello")
    assert failure.value.kind == "rate_limited"
    assert failure.value.retry_after == 3600.0
    assert len(fake_gemini.requests) == 1


def test_a_short_server_requested_wait_is_honoured_and_retried(
    gemini: GeminiModel, fake_gemini: FakeGemini
) -> None:
    fake_gemini.fail(429, retry_delay="0.05s")
    fake_gemini.script_text("ok")
    assert gemini.generate_text("hello").value == "ok"
    assert len(fake_gemini.requests) == 2


def test_a_reply_slower_than_the_timeout_is_a_retryable_failure(
    fake_gemini: FakeGemini,
) -> None:
    fake_gemini.delay(30, times=2)
    model = adapter(fake_gemini, MODEL_TIMEOUT_SECONDS=0.3, MODEL_MAX_ATTEMPTS=2)
    with pytest.raises(ModelFailure) as failure:
        model.generate_text("hello")
    assert failure.value.kind == "retryable"
    assert "timed out" in str(failure.value)
    assert len(fake_gemini.requests) == 2


def test_a_timed_out_attempt_is_retried(fake_gemini: FakeGemini) -> None:
    """The second attempt must answer within the timeout even on a loaded machine."""
    fake_gemini.delay(30)
    fake_gemini.script_text("on time")
    model = adapter(fake_gemini, MODEL_TIMEOUT_SECONDS=2.0)
    assert model.generate_text("hello").value == "on time"
    assert len(fake_gemini.requests) == 2


def test_a_reply_body_that_is_not_json_is_retried_then_retryable(
    gemini: GeminiModel, fake_gemini: FakeGemini
) -> None:
    fake_gemini.garbage(times=3)
    with pytest.raises(ModelFailure) as failure:
        gemini.generate_text("hello")
    assert failure.value.kind == "retryable"
    assert len(fake_gemini.requests) == 3


def test_an_unreachable_server_is_retryable(fake_gemini: FakeGemini) -> None:
    model = adapter(fake_gemini, GOOGLE_GEMINI_BASE_URL="http://127.0.0.1:9", MODEL_MAX_ATTEMPTS=2)
    with pytest.raises(ModelFailure) as failure:
        model.generate_text("hi")
    assert failure.value.kind == "retryable"
    assert failure.value.usage.calls == 2


def test_embedding_requests_are_retried_too(gemini: GeminiModel, fake_gemini: FakeGemini) -> None:
    fake_gemini.fail(503)
    result = gemini.embed(["one text"])
    assert len(result.value) == 1
    assert len(fake_gemini.of("batchEmbedContents")) == 2
    assert result.usage.calls == 2
