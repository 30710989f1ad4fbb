"""Embeddings through the real SDK: 768 values, unit length, batches of at most 100."""

from __future__ import annotations

import math

import pytest

from shared.model.gemini import GeminiModel
from shared.model.port import ModelFailure
from tests.support.fake_gemini import FakeGemini


def norm(v: list[float]) -> float:
    return math.sqrt(sum(x * x for x in v))


def test_embeddings_have_768_values_and_unit_norm(
    gemini: GeminiModel, fake_gemini: FakeGemini
) -> None:
    vectors = gemini.embed(["weekly newsletter", "indie games"]).value
    assert [len(v) for v in vectors] == [768, 768]
    assert all(math.isclose(norm(v), 1.0) for v in vectors)


def test_the_request_names_the_task_type_and_768_dimensions(
    gemini: GeminiModel, fake_gemini: FakeGemini
) -> None:
    gemini.embed(["where is my audience"], task_type="RETRIEVAL_QUERY")
    (sent,) = fake_gemini.of("batchEmbedContents")
    (request,) = sent.body["requests"]
    assert sent.model == "gemini-embedding-001"
    assert request["taskType"] == "RETRIEVAL_QUERY"
    assert request["outputDimensionality"] == 768
    assert request["content"]["parts"][0]["text"] == "where is my audience"


def test_stored_text_is_embedded_as_retrieval_document_by_default(
    gemini: GeminiModel, fake_gemini: FakeGemini
) -> None:
    gemini.embed(["a memory"])
    assert fake_gemini.of("batchEmbedContents")[0].body["requests"][0]["taskType"] == (
        "RETRIEVAL_DOCUMENT"
    )


def test_250_texts_go_in_3_batches_of_at_most_100_in_order(
    gemini: GeminiModel, fake_gemini: FakeGemini
) -> None:
    texts = [f"text number {i}" for i in range(250)]
    result = gemini.embed(texts)
    sizes = [len(r.body["requests"]) for r in fake_gemini.of("batchEmbedContents")]
    assert sizes == [100, 100, 50]
    assert result.usage.calls == 3
    sent = [
        q["content"]["parts"][0]["text"]
        for r in fake_gemini.of("batchEmbedContents")
        for q in r.body["requests"]
    ]
    assert sent == texts
    assert result.value[120] == gemini.embed([texts[120]]).value[0]


def test_no_texts_make_no_request(gemini: GeminiModel, fake_gemini: FakeGemini) -> None:
    result = gemini.embed([])
    assert result.value == [] and result.usage.calls == 0
    assert fake_gemini.requests == []


def test_a_reply_with_the_wrong_number_of_embeddings_is_invalid_output(
    gemini: GeminiModel, fake_gemini: FakeGemini
) -> None:
    fake_gemini.script_embeddings([[0.1] * 768])
    with pytest.raises(ModelFailure) as failure:
        gemini.embed(["one", "two"])
    assert failure.value.kind == "invalid_output"


def test_a_reply_with_the_wrong_dimensions_is_invalid_output(
    gemini: GeminiModel, fake_gemini: FakeGemini
) -> None:
    fake_gemini.script_embeddings([[0.1] * 3072])
    with pytest.raises(ModelFailure) as failure:
        gemini.embed(["one"])
    assert failure.value.kind == "invalid_output"
