"""The vocabulary of response models. A route declares its answer as a pydantic model
(``response=`` on ``Router.route``, beside ``body=`` and ``query=``); the frame passes
whatever the handler returns through it (``shared.web.responses.shaped``) and the
OpenAPI document's schema is the model's, so the two cannot disagree.

The rules every response model keeps:
- a key the model does not name is a bug, not a field dropped in silence
  (``extra="forbid"``); only a genuinely open payload (user JSON such as a run's
  ``trigger_data`` or an event's payload) is ``dict[str, Any]`` or ``OpenResponse``;
- a key that is only sometimes there is ``optional_key()``: left out of the answer
  when the handler leaves it out, and, when there, of its type (never null unless the
  type says so). Nothing is added: the answer holds the keys the handler gave;
- a database time is ``datetime`` and goes out as ``datetime.isoformat()``
  (``2026-11-27T09:00:00+00:00``); a time held as text inside stored JSON is
  ``TimeText`` and goes out as it was stored; a number an SQL aggregate computes
  (``numeric``) is ``Number``, written as an integer when it is one."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, WithJsonSchema

# what every text of a request matches: no U+0000, which PostgreSQL cannot store
NO_NUL = "^[^\\u0000]*$"


class ResponseModel(BaseModel):
    """A response, or a part of one: exactly the keys it names."""

    model_config = ConfigDict(extra="forbid", defer_build=True)


class OpenResponse(BaseModel):
    """A response part whose keys are not ours to fix (a payload a user or a step
    type wrote): the named keys are typed, any other key is kept as it is."""

    model_config = ConfigDict(extra="allow", defer_build=True)


def optional_key(description: str | None = None, **kw: Any) -> Any:
    """A field whose key the answer holds only when it applies. The default (None)
    is the key's absence, so the document states no default for it (see
    ``shared.web.openapi``)."""
    return Field(None, description=description, **kw)


def _iso_text(value: str) -> str:
    datetime.fromisoformat(value)  # ValueError: not a date-time
    return value


TimeText = Annotated[
    str,
    AfterValidator(_iso_text),
    WithJsonSchema({"type": "string", "format": "date-time"}),
]
Number = Annotated[Decimal | int | float, WithJsonSchema({"type": "number"})]


class Success(ResponseModel):
    success: bool


class Error(OpenResponse):
    """Every error answer: the message, and on a few routes keys the contract adds
    (``success: false`` beside a refused cron expression)."""

    error: str = Field(description="what was wrong, naming the field or parameter")
