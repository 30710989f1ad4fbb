"""One settings object, read from the environment once and validated.

Every variable of the design's configuration section is a field here, named by its
environment variable. ``Settings.from_env`` reports every missing or invalid variable
in one error, so a misconfigured deploy fails at start-up with the full list.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from shared.errors import ConfigError

_REPO_ROOT = Path(__file__).resolve().parent.parent
# an HTTP_STEP_ALLOWLIST entry: host or IPv4 with an optional port, [IPv6] with an
# optional port, or a bare IPv6 address
# a CORS_ALLOWED_ORIGINS entry: an origin as a browser sends it, scheme://host[:port]
_ORIGIN = re.compile(r"https?://[A-Za-z0-9.-]+(:\d{1,5})?|https?://\[[0-9A-Fa-f:.]+\](:\d{1,5})?")
_ALLOW_ENTRY = re.compile(
    r"[A-Za-z0-9.-]+(:\d{1,5})?|\[[0-9A-Fa-f:.]+\](:\d{1,5})?|[0-9A-Fa-f.]*(:[0-9A-Fa-f.]*){2,}"
)


def _each_entry(value: str, form: re.Pattern[str], described: str) -> str:
    """A comma-separated list whose every entry has ``form``."""
    for entry in (e.strip() for e in value.split(",")):
        if entry and not form.fullmatch(entry):
            raise ValueError(f"{entry!r} is not {described}")
    return value


class Settings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore", populate_by_name=True)

    # database: a URL, or Cloud SQL through the connector
    database_url: str | None = Field(None, alias="DATABASE_URL")
    instance_connection_name: str | None = Field(None, alias="INSTANCE_CONNECTION_NAME")
    db_user: str | None = Field(None, alias="DB_USER")
    db_name: str | None = Field(None, alias="DB_NAME")
    db_pass: str | None = Field(None, alias="DB_PASS", repr=False)
    db_iam_auth: bool | None = Field(None, alias="DB_IAM_AUTH")
    db_ip_type: Literal["PUBLIC", "PRIVATE", "PSC"] = Field("PUBLIC", alias="DB_IP_TYPE")
    db_pool_size: int = Field(4, ge=1, le=50, alias="DB_POOL_SIZE")

    # model
    model_provider: Literal["offline", "gemini"] | None = Field(None, alias="MODEL_PROVIDER")
    gemini_api_key: str | None = Field(None, alias="GEMINI_API_KEY", repr=False)
    use_vertexai: bool = Field(False, alias="GOOGLE_GENAI_USE_VERTEXAI")
    google_cloud_project: str | None = Field(None, alias="GOOGLE_CLOUD_PROJECT")
    google_cloud_location: str | None = Field(None, alias="GOOGLE_CLOUD_LOCATION")
    gemini_base_url: str | None = Field(None, alias="GOOGLE_GEMINI_BASE_URL")
    gemini_model: str = Field("gemini-2.5-flash", min_length=1, alias="GEMINI_MODEL")
    embedding_model: str = Field("gemini-embedding-001", min_length=1, alias="EMBEDDING_MODEL")
    model_timeout_seconds: float = Field(30.0, gt=0, le=600, alias="MODEL_TIMEOUT_SECONDS")
    model_max_attempts: int = Field(4, ge=1, le=10, alias="MODEL_MAX_ATTEMPTS")
    model_backoff_seconds: float = Field(1.0, ge=0, le=60, alias="MODEL_BACKOFF_SECONDS")
    # more endpoints to spread generate calls across (comma separated): models beside
    # GEMINI_MODEL, and Vertex AI locations beside GOOGLE_CLOUD_LOCATION; one answering
    # 429/5xx is left out for MODEL_ENDPOINT_BACKOFF_SECONDS (shared.model.breaker)
    gemini_models: str = Field("", alias="GEMINI_MODELS")
    google_cloud_locations: str = Field("", alias="GOOGLE_CLOUD_LOCATIONS")
    model_endpoint_backoff_seconds: float = Field(
        60.0, ge=0, le=3600, alias="MODEL_ENDPOINT_BACKOFF_SECONDS"
    )

    # auth
    jwt_secret: str | None = Field(None, min_length=1, alias="JWT_SECRET", repr=False)
    jwt_leeway_seconds: int = Field(30, ge=0, le=3600, alias="JWT_LEEWAY_SECONDS")

    # events
    events_topic: str = Field("segp-events", min_length=1, alias="EVENTS_TOPIC")
    event_max_depth: int = Field(8, ge=0, le=100, alias="EVENT_MAX_DEPTH")
    event_chain_per_minute: int = Field(600, ge=1, alias="EVENT_CHAIN_PER_MINUTE")
    event_bus: Literal["pubsub", "local", "off"] | None = Field(None, alias="EVENT_BUS")
    events_project: str | None = Field(None, alias="EVENTS_PROJECT")
    pubsub_emulator_host: str | None = Field(None, alias="PUBSUB_EMULATOR_HOST")
    event_publish_timeout_seconds: float = Field(
        30.0, gt=0, le=600, alias="EVENT_PUBLISH_TIMEOUT_SECONDS"
    )
    event_dispatch_lease_seconds: int = Field(
        300, ge=1, le=3600, alias="EVENT_DISPATCH_LEASE_SECONDS"
    )

    # scheduler
    scheduler_project: str | None = Field(None, alias="SCHEDULER_PROJECT")
    scheduler_location: str | None = Field(None, alias="SCHEDULER_LOCATION")
    scheduler_job_prefix: str = Field(
        "segp", pattern=r"^[a-zA-Z0-9_-]{1,100}$", alias="SCHEDULER_JOB_PREFIX"
    )
    schedule_fire_url: str | None = Field(None, alias="SCHEDULE_FIRE_URL")
    scheduler_service_account: str | None = Field(None, alias="SCHEDULER_SERVICE_ACCOUNT")
    scheduler_mode: Literal["mirror", "tick"] = Field("mirror", alias="SCHEDULER_MODE")
    scheduler_emulator_host: str | None = Field(None, alias="SCHEDULER_EMULATOR_HOST")
    scheduler_api_timeout_seconds: float = Field(
        10.0, gt=0, le=120, alias="SCHEDULER_API_TIMEOUT_SECONDS"
    )
    scheduler_attempt_deadline_seconds: int = Field(
        300, ge=15, le=1800, alias="SCHEDULER_ATTEMPT_DEADLINE_SECONDS"
    )
    scheduler_retry_count: int = Field(3, ge=0, le=5, alias="SCHEDULER_RETRY_COUNT")
    scheduler_catchup_grace_seconds: int = Field(
        90, ge=0, le=3600, alias="SCHEDULER_CATCHUP_GRACE_SECONDS"
    )
    scheduler_run_stale_seconds: int = Field(
        3600, ge=60, le=7 * 24 * 3600, alias="SCHEDULER_RUN_STALE_SECONDS"
    )
    scheduler_tick_batch: int = Field(1000, ge=1, le=10_000, alias="SCHEDULER_TICK_BATCH")

    # self-improvement
    improve_dedupe_threshold: float = Field(0.9, gt=0, le=1, alias="IMPROVE_DEDUPE_THRESHOLD")
    improve_auto_activate_confidence: float = Field(
        0.9, ge=0, le=1, alias="IMPROVE_AUTO_ACTIVATE_CONFIDENCE"
    )
    improve_analysis_days: int = Field(30, ge=1, le=365, alias="IMPROVE_ANALYSIS_DAYS")
    improve_experiment_alpha: float = Field(0.05, gt=0, lt=1, alias="IMPROVE_EXPERIMENT_ALPHA")
    improve_experiment_max_samples: int = Field(
        1000, ge=2, le=1_000_000, alias="IMPROVE_EXPERIMENT_MAX_SAMPLES"
    )

    # treasury: the Stripe webhook endpoint's signing secret (required by treasury-webhook)
    stripe_webhook_secret: str | None = Field(
        None, min_length=1, alias="STRIPE_WEBHOOK_SECRET", repr=False
    )

    # goals
    goal_dedupe_threshold: float = Field(0.85, gt=0, le=1, alias="GOAL_DEDUPE_THRESHOLD")
    goal_max_open_auto: int = Field(5, ge=0, le=100, alias="GOAL_MAX_OPEN_AUTO")

    # workflows: the http step's limits and the non-global addresses it may reach
    http_step_allowlist: str = Field("", alias="HTTP_STEP_ALLOWLIST")
    http_step_timeout_seconds: float = Field(10.0, gt=0, le=120, alias="HTTP_STEP_TIMEOUT_SECONDS")
    http_step_max_response_bytes: int = Field(
        256 * 1024, ge=1024, le=16 * 1024 * 1024, alias="HTTP_STEP_MAX_RESPONSE_BYTES"
    )
    # memory
    memory_dedupe_threshold: float = Field(0.95, gt=0, le=1, alias="MEMORY_DEDUPE_THRESHOLD")
    memory_exact_scan_max_rows: int = Field(10000, ge=0, alias="MEMORY_EXACT_SCAN_MAX_ROWS")
    memory_ef_search_max: int = Field(1000, ge=40, le=1000, alias="MEMORY_EF_SEARCH_MAX")
    memory_group_similarity: float = Field(0.8, gt=0, le=1, alias="MEMORY_CONSOLIDATION_SIMILARITY")
    memory_consolidation_window_days: int = Field(
        7, ge=1, le=3650, alias="MEMORY_CONSOLIDATION_WINDOW_DAYS"
    )
    memory_archive_after_days: int = Field(30, ge=1, le=36500, alias="MEMORY_ARCHIVE_AFTER_DAYS")
    memory_archive_importance: float = Field(0.3, ge=0, le=1, alias="MEMORY_ARCHIVE_IMPORTANCE")

    # per-user rate limits of the api function (shared.web.ratelimit)
    rate_limit_model_per_minute: int = Field(
        60, ge=1, le=1_000_000, alias="RATE_LIMIT_MODEL_PER_MINUTE"
    )

    # how long a run's executor holds it between renewals; past it, the run is resumed
    # elsewhere (default: the longest function timeout, 540 s, plus a margin)
    workflow_run_lease_seconds: int = Field(
        600, ge=5, le=24 * 3600, alias="WORKFLOW_RUN_LEASE_SECONDS"
    )
    # the topic a claimed run is handed to its own execution on (workflow-run); unset,
    # the claimer executes the run itself (locally the local bus hands it over)
    runs_topic: str | None = Field(None, min_length=1, alias="RUNS_TOPIC")
    # how long a queued run waits for its hand-off before the per-minute job starts it
    workflow_run_start_grace_seconds: int = Field(
        120, ge=0, le=3600, alias="WORKFLOW_RUN_START_GRACE_SECONDS"
    )
    # how many runs the local bus executes at once under `segp serve`
    local_run_workers: int = Field(8, ge=1, le=64, alias="LOCAL_RUN_WORKERS")
    # agent pools: at most this many swarm member calls of one agent at once, in the
    # installation and per user; the rest wait, queued (shared.swarm.pools)
    agent_pool_limit: int = Field(50, ge=1, le=100_000, alias="AGENT_POOL_LIMIT")
    agent_pool_user_limit: int = Field(10, ge=1, le=100_000, alias="AGENT_POOL_USER_LIMIT")

    # data lifecycle: how long each kind of row is kept (days), enforced by the daily
    # purge in batches of retention_batch_rows; exports read export_batch_rows at a time
    retention_events_days: int = Field(90, ge=1, le=36500, alias="RETENTION_EVENTS_DAYS")
    retention_run_payloads_days: int = Field(
        90, ge=1, le=36500, alias="RETENTION_RUN_PAYLOADS_DAYS"
    )
    retention_runs_days: int = Field(365, ge=1, le=36500, alias="RETENTION_RUNS_DAYS")
    retention_fires_days: int = Field(180, ge=1, le=36500, alias="RETENTION_FIRES_DAYS")
    retention_rejected_days: int = Field(30, ge=1, le=36500, alias="RETENTION_REJECTED_DAYS")
    retention_stripe_payload_days: int = Field(
        30, ge=1, le=36500, alias="RETENTION_STRIPE_PAYLOAD_DAYS"
    )
    retention_batch_rows: int = Field(500, ge=1, le=100_000, alias="RETENTION_BATCH_ROWS")
    export_batch_rows: int = Field(500, ge=1, le=100_000, alias="EXPORT_BATCH_ROWS")

    # per-user caps on created objects (409 past them)
    max_workflows_per_user: int = Field(500, ge=1, alias="MAX_WORKFLOWS_PER_USER")
    max_tasks_per_user: int = Field(100, ge=1, alias="MAX_SCHEDULED_TASKS_PER_USER")
    max_triggers_per_user: int = Field(500, ge=1, alias="MAX_TRIGGERS_PER_USER")
    max_webhooks_per_user: int = Field(100, ge=1, alias="MAX_WEBHOOKS_PER_USER")

    # the local shape and the HTTP frame
    segp_home: Path = Field(_REPO_ROOT / ".segp", alias="SEGP_HOME")
    port: int = Field(8080, ge=1, le=65535, alias="PORT")
    max_body_bytes: int = Field(1024 * 1024, ge=1024, alias="MAX_BODY_BYTES")
    # browser origins that may call the api function (CORS); none: no CORS headers
    cors_allowed_origins: str = Field("", alias="CORS_ALLOWED_ORIGINS")
    # the operations console's files at /console (served by the api function): off
    # unless set; the local shape turns it on
    console_enabled: bool = Field(False, alias="CONSOLE_ENABLED")
    # JSON stored from outside (bodies, http step responses, agent outputs, event
    # payloads): how deeply it may nest (well below where recursive readers fail) and
    # how large it may be
    json_max_depth: int = Field(64, ge=1, le=200, alias="JSON_MAX_DEPTH")
    json_max_bytes: int = Field(1024 * 1024, ge=1024, alias="JSON_MAX_BYTES")
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field("INFO", alias="LOG_LEVEL")

    @field_validator("http_step_allowlist")
    @classmethod
    def _allowlist_entries(cls, value: str) -> str:
        return _each_entry(value, _ALLOW_ENTRY, "host, host:port, [v6] or [v6]:port")

    @field_validator("cors_allowed_origins")
    @classmethod
    def _origins(cls, value: str) -> str:
        return _each_entry(value, _ORIGIN, "an origin such as https://app.example.com")

    @model_validator(mode="after")
    def _database_is_complete(self) -> Settings:
        if self.instance_connection_name and not self.database_url:
            missing = [
                n for n, v in (("DB_USER", self.db_user), ("DB_NAME", self.db_name)) if not v
            ]
            if missing:
                raise ValueError(f"{', '.join(missing)} required with INSTANCE_CONNECTION_NAME")
        if self.use_vertexai and self.model_provider != "offline":
            missing = [
                n
                for n, v in (
                    ("GOOGLE_CLOUD_PROJECT", self.google_cloud_project),
                    ("GOOGLE_CLOUD_LOCATION", self.google_cloud_location),
                )
                if not v
            ]
            if missing:
                raise ValueError(f"{', '.join(missing)} required with GOOGLE_GENAI_USE_VERTEXAI")
        if self.model_provider == "gemini" and not (self.gemini_api_key or self.use_vertexai):
            raise ValueError(
                "MODEL_PROVIDER=gemini needs GEMINI_API_KEY or GOOGLE_GENAI_USE_VERTEXAI"
            )
        return self

    @model_validator(mode="after")
    def _summaries_outlive_payloads(self) -> Settings:
        if self.retention_runs_days < self.retention_run_payloads_days:
            raise ValueError(
                "RETENTION_RUNS_DAYS must be at least RETENTION_RUN_PAYLOADS_DAYS "
                "(a run's summary is kept at least as long as its payloads)"
            )
        return self

    @model_validator(mode="after")
    def _mirror_is_complete(self) -> Settings:
        if self.scheduler_project:
            missing = [
                n
                for n, v in (
                    ("SCHEDULER_LOCATION", self.scheduler_location),
                    ("SCHEDULE_FIRE_URL", self.schedule_fire_url),
                    ("SCHEDULER_SERVICE_ACCOUNT", self.scheduler_service_account),
                )
                if not v
            ]
            if missing:
                raise ValueError(f"{', '.join(missing)} required with SCHEDULER_PROJECT")
        return self

    @property
    def mirror_configured(self) -> bool:
        """Cloud Scheduler is reachable: without SCHEDULER_PROJECT (the local shape)
        there is no mirror and the local clock delivers the fires."""
        return bool(self.scheduler_project)

    @property
    def cors_origins(self) -> frozenset[str]:
        """Browsers send the origin in lower case (its host, at least): compare so."""
        return frozenset(
            e.strip().lower() for e in self.cors_allowed_origins.split(",") if e.strip()
        )

    @property
    def model_mode(self) -> Literal["offline", "gemini"]:
        if self.model_provider:
            return self.model_provider
        return "gemini" if (self.gemini_api_key or self.use_vertexai) else "offline"

    @property
    def pubsub_project(self) -> str | None:
        return self.events_project or self.google_cloud_project or self.scheduler_project

    @property
    def bus_mode(self) -> Literal["pubsub", "local", "off"]:
        """Where published events go: ``EVENT_BUS`` when set, else Pub/Sub when a project
        or an emulator is configured, else nowhere (they wait in the outbox)."""
        if self.event_bus:
            return self.event_bus
        return "pubsub" if (self.pubsub_project or self.pubsub_emulator_host) else "off"

    @property
    def run_handoff(self) -> Literal["pubsub", "local", "inline"]:
        """How a claimed run reaches its execution: a message on ``RUNS_TOPIC`` when the
        bus is Pub/Sub and the topic is set, the local bus under ``segp serve``, else
        the claimer executes it."""
        if self.bus_mode == "pubsub" and self.runs_topic:
            return "pubsub"
        return "local" if self.bus_mode == "local" else "inline"

    @property
    def uses_cloud_sql(self) -> bool:
        return bool(self.instance_connection_name) and not self.database_url

    @property
    def iam_auth(self) -> bool:
        return self.db_iam_auth if self.db_iam_auth is not None else not self.db_pass

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, *, local: bool = False) -> Settings:
        """Read and validate. Outside the local shape, a database and ``JWT_SECRET`` are
        required; locally the embedded database and a generated secret stand in."""
        source = dict(os.environ if env is None else env)
        values = {k: v for k, v in source.items() if v != "" and k in _ALIASES}
        try:
            settings = cls.model_validate(values)
        except ValidationError as exc:
            raise ConfigError(_describe(exc)) from None
        if not local:
            problems = []
            if not settings.database_url and not settings.instance_connection_name:
                problems.append("DATABASE_URL: missing (or set INSTANCE_CONNECTION_NAME)")
            if not settings.jwt_secret:
                problems.append("JWT_SECRET: missing")
            if problems:
                raise ConfigError("invalid configuration: " + "; ".join(problems))
        return settings


_ALIASES = {f.alias for f in Settings.model_fields.values() if f.alias}


def _describe(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors():
        where = ".".join(str(p) for p in err["loc"]) or "configuration"
        parts.append(f"{where}: {err['msg']}")
    return "invalid configuration: " + "; ".join(parts)


_configured: Settings | None = None


def configure(settings: Settings) -> None:
    """Install the settings the process runs with (the local server and tests do)."""
    global _configured
    _configured = settings
    get_settings.cache_clear()


@cache
def get_settings() -> Settings:
    return _configured if _configured is not None else Settings.from_env()


def trace_project() -> str | None:
    """The project log lines name their trace in (``GOOGLE_CLOUD_PROJECT``). ``None`` when
    it is unknown, or when the settings do not validate: a log line is no place to fail,
    the request itself reports the misconfiguration."""
    try:
        return get_settings().google_cloud_project
    except ConfigError:
        return None
