"""The model layer: the port, the Gemini adapter and the offline model."""

from __future__ import annotations

from functools import cache

from shared import bootstrap
from shared.config import get_settings
from shared.model.port import Model


@bootstrap.on_configure
@cache
def get_model() -> Model:
    """The instance's model, chosen by settings: Gemini, or the offline model."""
    from shared.model.offline import OfflineModel

    settings = get_settings()
    if settings.model_mode == "gemini":
        raise NotImplementedError("the Gemini adapter lands with the model layer")
    return OfflineModel()
