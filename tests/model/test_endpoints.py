"""Generate calls spread across the configured endpoints, and the circuit breaker that
leaves out an endpoint answering 429/5xx for a backoff period (the project's clock
stopped, so the period ends when the test moves it)."""

from __future__ import annotations

from datetime import timedelta

from google.oauth2.credentials import Credentials

from shared import clock
from shared.model.breaker import Breaker, Endpoint
from shared.model.gemini import GeminiModel
from tests.model.conftest import adapter
from tests.support.fake_gemini import FakeGemini

FIRST, SECOND = "gemini-2.5-flash", "gemini-2.5-flash-lite"


def models_asked(fake: FakeGemini) -> list[str]:
    return [r.model for r in fake.of("generateContent")]


def two_models(fake: FakeGemini) -> GeminiModel:
    return adapter(
        fake, GEMINI_MODELS=SECOND, MODEL_BACKOFF_SECONDS=0, MODEL_ENDPOINT_BACKOFF_SECONDS=60
    )


def test_calls_go_round_the_models_in_turn(fake_gemini: FakeGemini) -> None:
    model = two_models(fake_gemini)

    for _ in range(4):
        model.generate_text("hi")

    assert models_asked(fake_gemini) == [FIRST, SECOND, FIRST, SECOND]


def test_a_rate_limited_model_is_left_out_until_its_backoff_passes(
    fake_gemini: FakeGemini, fixed_clock: clock.FixedClock
) -> None:
    model = two_models(fake_gemini)
    fake_gemini.fail(429)

    assert model.generate_text("hi").usage.calls == 2  # the retry went to the other model
    assert model.breaker.open() == [Endpoint(FIRST)]
    model.generate_text("again")
    model.generate_text("and again")
    assert models_asked(fake_gemini) == [FIRST, SECOND, SECOND, SECOND]

    fixed_clock.advance(timedelta(seconds=61))
    model.generate_text("later")

    assert models_asked(fake_gemini)[-1] == FIRST
    assert model.breaker.open() == []


def test_a_failing_model_back_in_after_its_backoff_is_left_out_again(
    fake_gemini: FakeGemini, fixed_clock: clock.FixedClock
) -> None:
    model = two_models(fake_gemini)
    fake_gemini.fail(503)
    model.generate_text("hi")
    fixed_clock.advance(timedelta(seconds=61))
    fake_gemini.fail(503)

    model.generate_text("still down?")

    assert models_asked(fake_gemini)[-2:] == [FIRST, SECOND]
    assert model.breaker.open() == [Endpoint(FIRST)]


def test_with_every_endpoint_open_the_first_to_reopen_is_tried(
    fixed_clock: clock.FixedClock,
) -> None:
    breaker = Breaker(["a", "b", "c"], backoff_seconds=60)
    breaker.failed("b")
    fixed_clock.advance(timedelta(seconds=10))
    breaker.failed("a")
    breaker.failed("c")

    assert breaker.pick() == "b"


def test_vertex_calls_go_round_the_locations(fake_gemini: FakeGemini) -> None:
    settings = fake_gemini.settings(
        GEMINI_API_KEY=None,
        GOOGLE_GENAI_USE_VERTEXAI=True,
        GOOGLE_CLOUD_PROJECT="proj",
        GOOGLE_CLOUD_LOCATION="us-central1",
        GOOGLE_CLOUD_LOCATIONS="europe-west4",
    )
    model = GeminiModel(settings, credentials=Credentials(token="fake-token"))

    model.generate_text("hi")
    model.generate_text("hi")

    assert [r.path.split("/locations/")[1].split("/")[0] for r in fake_gemini.requests] == [
        "us-central1",
        "europe-west4",
    ]
