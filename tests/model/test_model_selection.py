"""Which model the instance runs with, and the Gemini path reached from the
environment alone (API key + GOOGLE_GEMINI_BASE_URL), as against Google."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from google.oauth2.credentials import Credentials

from shared import bootstrap
from shared.config import Settings
from shared.model import describe, get_model
from shared.model.gemini import GeminiModel
from shared.model.offline import OfflineModel
from tests.support.fake_gemini import FakeGemini


@pytest.fixture
def restored() -> Iterator[None]:
    yield
    bootstrap.configure(Settings(MODEL_PROVIDER="offline"))


def test_with_no_credentials_the_offline_model_is_used(restored: None) -> None:
    bootstrap.configure(Settings.from_env({}, local=True))
    assert isinstance(get_model(), OfflineModel)


def test_model_provider_offline_wins_over_an_api_key(restored: None) -> None:
    bootstrap.configure(
        Settings.from_env({"GEMINI_API_KEY": "k", "MODEL_PROVIDER": "offline"}, local=True)
    )
    assert isinstance(get_model(), OfflineModel)


def test_an_api_key_and_base_url_from_the_environment_reach_that_server(
    fake_gemini: FakeGemini, restored: None
) -> None:
    env = {"GEMINI_API_KEY": "k-123", "GOOGLE_GEMINI_BASE_URL": fake_gemini.url}
    bootstrap.configure(Settings.from_env(env, local=True))
    model = get_model()
    assert isinstance(model, GeminiModel)
    fake_gemini.script_text("hello from the fake")
    assert model.generate_text("hi").value == "hello from the fake"
    assert fake_gemini.requests[0].headers["x-goog-api-key"] == "k-123"


def test_the_fixture_configures_and_restores_the_settings(
    fake_gemini: FakeGemini, restored: None
) -> None:
    bootstrap.configure(Settings(MODEL_PROVIDER="offline"))
    fake_gemini.configure()
    assert isinstance(get_model(), GeminiModel)
    fake_gemini.restore()
    assert isinstance(get_model(), OfflineModel)


def test_vertex_mode_reaches_the_server_with_a_bearer_token(fake_gemini: FakeGemini) -> None:
    settings = fake_gemini.settings(
        GEMINI_API_KEY=None,
        GOOGLE_GENAI_USE_VERTEXAI=True,
        GOOGLE_CLOUD_PROJECT="proj",
        GOOGLE_CLOUD_LOCATION="us-central1",
    )
    model = GeminiModel(settings, credentials=Credentials(token="fake-token"))
    fake_gemini.script_text("vertex says hi")
    assert model.generate_text("hi").value == "vertex says hi"
    vectors = model.embed(["a", "b"]).value
    assert [len(v) for v in vectors] == [768, 768]
    generate, embed = fake_gemini.requests
    assert generate.path == (
        "/v1beta1/projects/proj/locations/us-central1/publishers/google/models/"
        "gemini-2.5-flash:generateContent"
    )
    assert generate.headers["Authorization"] == "Bearer fake-token"
    assert embed.body["requests"][0]["embedContentConfig"]["outputDimensionality"] == 768


def test_the_start_up_line_says_offline_without_credentials() -> None:
    assert describe(Settings.from_env({}, local=True)).startswith("OFFLINE")


def test_the_start_up_line_names_the_gemini_model_and_server() -> None:
    settings = Settings.from_env(
        {"GEMINI_API_KEY": "k-secret", "GOOGLE_GEMINI_BASE_URL": "http://127.0.0.1:1234"},
        local=True,
    )
    line = describe(settings)
    assert line.startswith("Gemini gemini-2.5-flash") and "http://127.0.0.1:1234" in line
    assert "k-secret" not in line
