"""The model layer: the port, the Gemini adapter and the offline model."""

from __future__ import annotations

from functools import cache

from shared import bootstrap
from shared.config import Settings, get_settings
from shared.model.port import Model, ModelFailure, Result, Usage

__all__ = ["Model", "ModelFailure", "Result", "Usage", "describe", "get_model"]


@bootstrap.on_configure
@cache
def get_model() -> Model:
    """The instance's model, chosen by settings: Gemini (API key or Vertex AI, at
    Google or any server speaking its REST API), or the deterministic offline model."""
    settings = get_settings()
    if settings.model_mode == "gemini":
        from shared.model.breaker_store import DatabaseBreakerState
        from shared.model.gemini import GeminiModel

        return GeminiModel(settings, shared=DatabaseBreakerState())
    from shared.model.offline import OfflineModel

    return OfflineModel()


def describe(settings: Settings) -> str:
    """One line saying which model serves and where, for start-up banners."""
    if settings.model_mode == "offline":
        return (
            "OFFLINE deterministic model (no Gemini credentials; set GEMINI_API_KEY to use Gemini)"
        )
    if settings.use_vertexai:
        where = f"Vertex AI {settings.google_cloud_project}/{settings.google_cloud_location}"
    else:
        where = "the Gemini API"
    if settings.gemini_base_url:
        where += f" at {settings.gemini_base_url}"
    return f"Gemini {settings.gemini_model} (embeddings {settings.embedding_model}) via {where}"
