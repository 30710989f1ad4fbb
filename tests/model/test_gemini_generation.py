"""Structured and text generation through the real google-genai SDK against the fake."""

from __future__ import annotations

from shared.model.gemini import GeminiModel
from tests.model.conftest import Critique, Tally
from tests.support.fake_gemini import FakeGemini

GOOD = {"verdict": "revise", "findings": [{"sentence": "Too long.", "severity": 3}]}


def test_structured_generation_returns_a_validated_instance(
    gemini: GeminiModel, fake_gemini: FakeGemini
) -> None:
    fake_gemini.script_json(GOOD)
    result = gemini.generate_structured("Critique this draft.", Critique, system="Be strict.")
    assert result.value == Critique.model_validate(GOOD)
    assert result.usage.calls == 1


def test_structured_request_asks_for_json_with_the_schema_and_the_system_text(
    gemini: GeminiModel, fake_gemini: FakeGemini
) -> None:
    fake_gemini.script_json(GOOD)
    gemini.generate_structured("Critique this draft.", Critique, system="Be strict.")
    (sent,) = fake_gemini.of("generateContent")
    config = sent.body["generationConfig"]
    assert sent.model == "gemini-2.5-flash"
    assert config["responseMimeType"] == "application/json"
    assert config["responseSchema"]["properties"]["verdict"]["enum"] == ["keep", "revise"]
    assert sent.body["systemInstruction"]["parts"][0]["text"] == "Be strict."
    assert sent.body["contents"][0]["parts"][0]["text"] == "Critique this draft."


def test_a_schema_with_a_dict_field_is_sent_as_json_schema(
    gemini: GeminiModel, fake_gemini: FakeGemini
) -> None:
    fake_gemini.script_json({"counts": {"posts": 3}})
    assert gemini.generate_structured("Count.", Tally).value.counts == {"posts": 3}
    config = fake_gemini.of("generateContent")[0].body["generationConfig"]
    assert config["responseJsonSchema"]["properties"]["counts"]["type"] == "object"
    assert "responseSchema" not in config


def test_tokens_reported_by_the_api_are_in_the_usage(
    gemini: GeminiModel, fake_gemini: FakeGemini
) -> None:
    fake_gemini.script_reply(
        {
            "candidates": [{"content": {"role": "model", "parts": [{"text": "Hello there"}]}}],
            "usageMetadata": {
                "promptTokenCount": 11,
                "candidatesTokenCount": 2,
                "thoughtsTokenCount": 5,
            },
        }
    )
    usage = gemini.generate_text("Say hello.").usage
    assert (usage.calls, usage.input_tokens, usage.output_tokens) == (1, 11, 7)


def test_text_generation_returns_the_reply_text(
    gemini: GeminiModel, fake_gemini: FakeGemini
) -> None:
    fake_gemini.script_text("A short, friendly reply.")
    assert gemini.generate_text("Reply please.", system="Warm.").value == "A short, friendly reply."
    assert fake_gemini.of("generateContent")[0].body["systemInstruction"]["parts"][0]["text"] == (
        "Warm."
    )


def test_the_configured_model_name_is_used(fake_gemini: FakeGemini) -> None:
    model = GeminiModel(fake_gemini.settings(GEMINI_MODEL="gemini-2.0-flash"))
    model.generate_text("hi")
    assert fake_gemini.requests[0].path == "/v1/models/gemini-2.0-flash:generateContent"


def test_unscripted_the_fake_answers_json_that_fits_the_schema(
    gemini: GeminiModel, fake_gemini: FakeGemini
) -> None:
    result = gemini.generate_structured("Critique.", Critique)
    assert result.value.verdict == "keep" and len(result.value.findings) == 1
    assert len(fake_gemini.requests) == 1


def test_unscripted_the_fake_echoes_the_prompt_as_text(
    gemini: GeminiModel, fake_gemini: FakeGemini
) -> None:
    assert gemini.generate_text("echo me").value == "echo me"
