"""The ``http`` step: one outbound call (``shared.workflows.http_step`` keeps the
guards), sent with ``Idempotency-Key: <run id>:<step id>`` unless the step sets one."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from shared.config import get_settings
from shared.workflows.errors import StepFailed
from shared.workflows.step_types.base import ConfigModel, Refuse, RunContext, StepModel, StepType
from shared.workflows.templating import render


class HttpConfig(ConfigModel):
    method: Literal["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"] = "POST"
    url: str = Field(min_length=1, max_length=2048)
    headers: dict[str, str] = Field(default_factory=dict)
    body: Any = None
    timeout_seconds: float | None = Field(None, alias="timeoutSeconds", gt=0, le=120)


class HttpStep(StepModel):
    type: Literal["http"]
    config: HttpConfig


class HttpType(StepType[HttpStep]):
    name = "http"
    model = HttpStep

    def check(self, step: HttpStep, refuse: Refuse) -> None:
        if "{{" not in step.config.url:
            scheme = step.config.url.split(":", 1)[0].lower()
            if scheme not in ("http", "https"):
                raise refuse("config.url must be an http or https URL")

    def execute(
        self, step: HttpStep, scope: dict[str, Any], ctx: RunContext, record: dict[str, Any]
    ) -> Any:
        from shared.workflows import http_step  # urllib3: paid by the runs that call out

        cfg = step.config
        url = render(cfg.url, scope)
        if not isinstance(url, str):
            raise StepFailed("url did not render to a string")
        headers = {name: _text(render(value, scope)) for name, value in cfg.headers.items()}
        if not any(name.lower() == "idempotency-key" for name in headers):
            headers["Idempotency-Key"] = ctx.effect_key(step.id)
        body = render(cfg.body, scope)
        record["input"] = {
            "method": cfg.method,
            "url": url,
            "headers": {
                name: "[redacted]" if name.lower() in http_step.SENSITIVE_HEADERS else value
                for name, value in headers.items()
            },
            "body": body,
        }
        return http_step.call(get_settings(), cfg.method, url, headers, body, cfg.timeout_seconds)


def _text(value: Any) -> str:
    return "" if value is None else value if isinstance(value, str) else str(value)


TYPE = HttpType()
