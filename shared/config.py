"""One settings object, read from the environment once and validated.

Every variable is a field here, named by its environment variable (its alias) and
described by the docstring below it: docs/reference/configuration.md is generated from
this model (``python -m docsgen``). ``Settings.from_env`` reports every missing or invalid variable
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
    model_config = ConfigDict(
        frozen=True, extra="ignore", populate_by_name=True, use_attribute_docstrings=True
    )

    # database: a URL, or Cloud SQL through the connector
    database_url: str | None = Field(None, alias="DATABASE_URL")
    """`postgresql://user:pass@host:port/db`, or a socket: `postgresql://user@/db?host=/dir` or `?unix_sock=/path`. Unset locally: the embedded PostgreSQL."""
    instance_connection_name: str | None = Field(None, alias="INSTANCE_CONNECTION_NAME")
    """Cloud SQL instance (`project:region:instance`), reached through cloud-sql-python-connector (pg8000, `refresh_strategy="LAZY"`); needs `DB_USER` and `DB_NAME`."""
    db_user: str | None = Field(None, alias="DB_USER")
    """Cloud SQL database user (with IAM authentication, the function's IAM database user)."""
    db_name: str | None = Field(None, alias="DB_NAME")
    """Cloud SQL database name."""
    db_pass: str | None = Field(None, alias="DB_PASS", repr=False)
    """Cloud SQL password; unset: IAM database authentication."""
    db_iam_auth: bool | None = Field(None, alias="DB_IAM_AUTH")
    """Force IAM database authentication on or off (default: on when `DB_PASS` is unset)."""
    db_ip_type: Literal["PUBLIC", "PRIVATE", "PSC"] = Field("PUBLIC", alias="DB_IP_TYPE")
    """How the connector reaches Cloud SQL: `PUBLIC`, `PRIVATE` or `PSC`."""
    db_pool_size: int = Field(4, ge=1, le=50, alias="DB_POOL_SIZE")
    """Database connections per instance (the deployment sets it to the function's concurrency, so the pool never makes a request wait)."""

    # model
    model_provider: Literal["offline", "gemini"] | None = Field(None, alias="MODEL_PROVIDER")
    """`offline` or `gemini`; unset: Gemini when `GEMINI_API_KEY` or `GOOGLE_GENAI_USE_VERTEXAI` is set, else the offline model."""
    gemini_api_key: str | None = Field(None, alias="GEMINI_API_KEY", repr=False)
    """Gemini through the API key."""
    use_vertexai: bool = Field(False, alias="GOOGLE_GENAI_USE_VERTEXAI")
    """Gemini through Vertex AI (needs `GOOGLE_CLOUD_PROJECT` and `GOOGLE_CLOUD_LOCATION`, and application default credentials)."""
    google_cloud_project: str | None = Field(None, alias="GOOGLE_CLOUD_PROJECT")
    """The project of Vertex AI, of the log lines' traces and (unless `EVENTS_PROJECT` is set) of `EVENTS_TOPIC`."""
    google_cloud_location: str | None = Field(None, alias="GOOGLE_CLOUD_LOCATION")
    """Vertex AI location, e.g. `global` or a region."""
    gemini_base_url: str | None = Field(None, alias="GOOGLE_GEMINI_BASE_URL")
    """Any server speaking the Gemini REST API (the tests' fake, a proxy)."""
    gemini_model: str = Field("gemini-2.5-flash", min_length=1, alias="GEMINI_MODEL")
    """Generation model."""
    embedding_model: str = Field("gemini-embedding-001", min_length=1, alias="EMBEDDING_MODEL")
    """Embedding model, asked for 768 dimensions."""
    model_timeout_seconds: float = Field(30.0, gt=0, le=600, alias="MODEL_TIMEOUT_SECONDS")
    """Timeout of one model HTTP request."""
    model_max_attempts: int = Field(4, ge=1, le=10, alias="MODEL_MAX_ATTEMPTS")
    """Attempts per model call, retries included (on 408, 429, 5xx, timeouts and transport errors)."""
    model_backoff_seconds: float = Field(1.0, ge=0, le=60, alias="MODEL_BACKOFF_SECONDS")
    """First retry delay of a model call; doubles per attempt (jittered, capped at 30 s)."""
    gemini_models: str = Field("", alias="GEMINI_MODELS")
    """More models to spread generate calls across (comma separated), beside
    `GEMINI_MODEL`; one answering 429/5xx is left out for
    `MODEL_ENDPOINT_BACKOFF_SECONDS`."""
    google_cloud_locations: str = Field("", alias="GOOGLE_CLOUD_LOCATIONS")
    """More Vertex AI locations to spread generate calls across (comma separated), beside
    `GOOGLE_CLOUD_LOCATION`."""
    model_endpoint_backoff_seconds: float = Field(
        60.0, ge=0, le=3600, alias="MODEL_ENDPOINT_BACKOFF_SECONDS"
    )
    """How long a model endpoint that answered 429/5xx or timed out is left out."""
    model_endpoint_share_seconds: float = Field(
        5.0, ge=0, le=300, alias="MODEL_ENDPOINT_SHARE_SECONDS"
    )
    """With more than one endpoint, how long an instance goes on with its copy of the endpoints every instance left out (`model_endpoint_breakers`) before reading it again: at most one query per this many seconds per instance. 0: each instance keeps its breaker to itself. See [Model](../concepts/model.md)."""

    # auth
    jwt_secret: str | None = Field(None, min_length=1, alias="JWT_SECRET", repr=False)
    """HS256 secret shared with the Node.js backend that signs user tokens. Generated locally under `SEGP_HOME`."""
    jwt_leeway_seconds: int = Field(30, ge=0, le=3600, alias="JWT_LEEWAY_SECONDS")
    """Clock skew allowed on a token's `exp`, `nbf` and `iat` (0 to 3600)."""

    # events
    events_topic: str = Field("segp-events", min_length=1, alias="EVENTS_TOPIC")
    """Pub/Sub topic events are published to (a full `projects/p/topics/t` needs no project)."""
    event_max_depth: int = Field(8, ge=0, le=100, alias="EVENT_MAX_DEPTH")
    """Events caused by events beyond this depth are recorded (`too_deep`), not dispatched."""
    event_chain_per_minute: int = Field(600, ge=1, alias="EVENT_CHAIN_PER_MINUTE")
    """A user's events caused by other events (depth > 0) past this many dispatched in a minute are recorded as `throttled`, not dispatched: depth bounds how long a chain gets, this how wide."""
    event_bus: Literal["pubsub", "local", "off"] | None = Field(None, alias="EVENT_BUS")
    """`pubsub`, `local` (the in-process stand-in of `segp serve`) or `off` (events wait in the outbox); unset: Pub/Sub when a project or `PUBSUB_EMULATOR_HOST` is configured, else `off` (`local` under `segp serve`)."""
    events_project: str | None = Field(None, alias="EVENTS_PROJECT")
    """Project of `EVENTS_TOPIC`; unset: `GOOGLE_CLOUD_PROJECT`, else `SCHEDULER_PROJECT`."""
    pubsub_emulator_host: str | None = Field(None, alias="PUBSUB_EMULATOR_HOST")
    """Publish over plaintext gRPC to this `host:port` (the Pub/Sub emulator, the tests' fake)."""
    event_publish_timeout_seconds: float = Field(
        30.0, gt=0, le=600, alias="EVENT_PUBLISH_TIMEOUT_SECONDS"
    )
    """How long one publish, retries included, may take before it is left to the relay."""
    event_dispatch_lease_seconds: int = Field(
        300, ge=1, le=3600, alias="EVENT_DISPATCH_LEASE_SECONDS"
    )
    """How long a delivery holds an event it dispatches before a redelivery may take over."""
    event_redispatch_grace_seconds: int = Field(
        300, ge=0, le=86400, alias="EVENT_REDISPATCH_GRACE_SECONDS"
    )
    """An event published this long ago and still not dispatched is dispatched by the
    per-minute job itself."""

    # scheduler
    scheduler_project: str | None = Field(None, alias="SCHEDULER_PROJECT")
    """Project of the Cloud Scheduler mirror; set, it requires `SCHEDULER_LOCATION`, `SCHEDULE_FIRE_URL` and `SCHEDULER_SERVICE_ACCOUNT`. Unset (the local shape): no mirror, the local clock delivers the fires."""
    scheduler_location: str | None = Field(None, alias="SCHEDULER_LOCATION")
    """Region of the mirrored Cloud Scheduler jobs."""
    scheduler_job_prefix: str = Field(
        "segp", pattern=r"^[a-zA-Z0-9_-]{1,100}$", alias="SCHEDULER_JOB_PREFIX"
    )
    """Mirrored jobs are named `<SCHEDULER_JOB_PREFIX>-task-<task id>`."""
    schedule_fire_url: str | None = Field(None, alias="SCHEDULE_FIRE_URL")
    """URL of the `schedule-fire` function, the mirrored jobs' target and OIDC audience."""
    scheduler_service_account: str | None = Field(None, alias="SCHEDULER_SERVICE_ACCOUNT")
    """Service account whose OIDC token the mirrored jobs carry."""
    scheduler_mode: Literal["mirror", "tick"] = Field("mirror", alias="SCHEDULER_MODE")
    """`mirror`: one Cloud Scheduler job per task; `tick`: no per-task jobs, the per-minute job fires every due task (beyond Cloud Scheduler's 1,000 jobs per region)."""
    scheduler_emulator_host: str | None = Field(None, alias="SCHEDULER_EMULATOR_HOST")
    """`host:port` of a plaintext gRPC Cloud Scheduler (the tests' fake)."""
    scheduler_api_timeout_seconds: float = Field(
        10.0, gt=0, le=120, alias="SCHEDULER_API_TIMEOUT_SECONDS"
    )
    """Per Cloud Scheduler call, retries included."""
    scheduler_attempt_deadline_seconds: int = Field(
        300, ge=15, le=1800, alias="SCHEDULER_ATTEMPT_DEADLINE_SECONDS"
    )
    """The mirrored jobs' attempt deadline."""
    scheduler_retry_count: int = Field(3, ge=0, le=5, alias="SCHEDULER_RETRY_COUNT")
    """The mirrored jobs' retry count (backoff 10 s doubling up to 300 s)."""
    scheduler_catchup_grace_seconds: int = Field(
        90, ge=0, le=3600, alias="SCHEDULER_CATCHUP_GRACE_SECONDS"
    )
    """Mirror mode: how late a slot must be before the tick catches it up."""
    scheduler_run_stale_seconds: int = Field(
        3600, ge=60, le=7 * 24 * 3600, alias="SCHEDULER_RUN_STALE_SECONDS"
    )
    """A fire still `running` after this no longer blocks overlap."""
    scheduler_tick_batch: int = Field(1000, ge=1, le=10_000, alias="SCHEDULER_TICK_BATCH")
    """Due tasks claimed per batch of the tick (a tick takes batches until none is due, at most 100)."""

    # self-improvement
    improve_dedupe_threshold: float = Field(0.9, gt=0, le=1, alias="IMPROVE_DEDUPE_THRESHOLD")
    """Cosine similarity at or above which a proposed improvement duplicates an existing one."""
    improve_auto_activate_confidence: float = Field(
        0.9, ge=0, le=1, alias="IMPROVE_AUTO_ACTIVATE_CONFIDENCE"
    )
    """Proposals at least this confident are active at once, without acceptance."""
    improve_analysis_days: int = Field(30, ge=1, le=365, alias="IMPROVE_ANALYSIS_DAYS")
    """How far back analysis reads feedback and evolution logs."""
    improve_experiment_alpha: float = Field(0.05, gt=0, lt=1, alias="IMPROVE_EXPERIMENT_ALPHA")
    """Significance level of the experiments' stop rule."""
    improve_experiment_max_samples: int = Field(
        1000, ge=2, le=1_000_000, alias="IMPROVE_EXPERIMENT_MAX_SAMPLES"
    )
    """Default `maxSamples` per variant of an experiment."""

    # treasury: the Stripe webhook endpoint's signing secret (required by treasury-webhook)
    stripe_webhook_secret: str | None = Field(
        None, min_length=1, alias="STRIPE_WEBHOOK_SECRET", repr=False
    )
    """The Stripe webhook endpoint's signing secret (`whsec_...`); required by `treasury-webhook` (503 without it). Generated locally under `SEGP_HOME`."""

    # goals
    goal_dedupe_threshold: float = Field(0.85, gt=0, le=1, alias="GOAL_DEDUPE_THRESHOLD")
    """A suggested goal whose title embedding has a cosine above this to an open goal, a recent suggestion or another suggestion of its batch is dropped."""
    goal_max_open_auto: int = Field(5, ge=0, le=100, alias="GOAL_MAX_OPEN_AUTO")
    """No auto-generation while the user has this many open (pending or active) auto-generated goals."""

    # workflows: the http step's limits and the non-global addresses it may reach
    http_step_allowlist: str = Field("", alias="HTTP_STEP_ALLOWLIST")
    """Comma-separated `host`, `host:port` or `[v6]:port` entries the workflow http step may reach although they are loopback, link-local, private or otherwise non-global, e.g. `127.0.0.1:9000,hooks.internal`."""
    http_step_timeout_seconds: float = Field(10.0, gt=0, le=120, alias="HTTP_STEP_TIMEOUT_SECONDS")
    """Total time of one http step (redirects included); a step's `timeoutSeconds` may only lower it."""
    http_step_max_response_bytes: int = Field(
        256 * 1024, ge=1024, le=16 * 1024 * 1024, alias="HTTP_STEP_MAX_RESPONSE_BYTES"
    )
    """A larger response body fails the http step."""
    # memory
    memory_dedupe_threshold: float = Field(0.95, gt=0, le=1, alias="MEMORY_DEDUPE_THRESHOLD")
    """Cosine similarity at or above which a write updates the nearest memory instead of adding one."""
    memory_exact_scan_max_rows: int = Field(10000, ge=0, alias="MEMORY_EXACT_SCAN_MAX_ROWS")
    """Recall scans a user's matching rows exactly up to this many; beyond, the HNSW index."""
    memory_index_build_mb: int = Field(512, ge=64, le=65536, alias="MEMORY_INDEX_BUILD_MB")
    """`maintenance_work_mem` (MB) a user's own HNSW index is built with: a graph that
    does not fit builds far slower (about 4 KiB a row at 768 dimensions)."""
    memory_ef_search_max: int = Field(1000, ge=40, le=1000, alias="MEMORY_EF_SEARCH_MAX")
    """Before pgvector 0.8: highest `hnsw.ef_search` recall raises a query to (pgvector's
    maximum); past it, an exact scan."""
    memory_group_similarity: float = Field(0.8, gt=0, le=1, alias="MEMORY_CONSOLIDATION_SIMILARITY")
    """Cosine similarity that groups episodic memories for a summary."""
    memory_consolidation_window_days: int = Field(
        7, ge=1, le=3650, alias="MEMORY_CONSOLIDATION_WINDOW_DAYS"
    )
    """How recent an episodic memory must be to be consolidated."""
    memory_archive_after_days: int = Field(30, ge=1, le=36500, alias="MEMORY_ARCHIVE_AFTER_DAYS")
    """Episodic memories older than this with importance below `MEMORY_ARCHIVE_IMPORTANCE` are archived."""
    memory_archive_importance: float = Field(0.3, ge=0, le=1, alias="MEMORY_ARCHIVE_IMPORTANCE")
    """Episodic memories with importance below this, older than `MEMORY_ARCHIVE_AFTER_DAYS`, are archived."""

    # per-user rate limits of the api function (shared.web.ratelimit)
    rate_limit_model_per_minute: int = Field(
        60, ge=1, le=1_000_000, alias="RATE_LIMIT_MODEL_PER_MINUTE"
    )
    """Per user: requests a minute to the routes that call the model (`rate_limit="model"`); past it 429 with `Retry-After`."""

    # how long a run's executor holds it between renewals; past it, the run is resumed
    # elsewhere (default: the longest function timeout, 540 s, plus a margin)
    workflow_run_lease_seconds: int = Field(
        600, ge=5, le=24 * 3600, alias="WORKFLOW_RUN_LEASE_SECONDS"
    )
    """How long a run's executor holds it between renewals (the default is the longest function timeout, 540 s, plus a margin); a run whose lease expired is resumed by the per-minute job or a redelivery."""
    runs_topic: str | None = Field(None, min_length=1, alias="RUNS_TOPIC")
    """The Pub/Sub topic runs are handed off on (`<prefix>-runs` in Terraform); unset, whoever starts a run executes it (under `segp serve` the local bus hands it to `/workflow-run`)."""
    workflow_run_start_grace_seconds: int = Field(
        120, ge=0, le=3600, alias="WORKFLOW_RUN_START_GRACE_SECONDS"
    )
    """How long a queued run waits for its hand-off before the per-minute job starts it itself."""
    local_run_workers: int = Field(8, ge=1, le=64, alias="LOCAL_RUN_WORKERS")
    """Runs the local bus executes side by side under `segp serve`."""
    agent_pool_limit: int = Field(50, ge=1, le=100_000, alias="AGENT_POOL_LIMIT")
    """At most this many calls of one agent at once in the installation (a workflow's agent steps and swarm members alike); the rest wait, queued, holding no process. See [Swarm](../concepts/swarm.md#agent-pools)."""
    agent_pool_user_limit: int = Field(10, ge=1, le=100_000, alias="AGENT_POOL_USER_LIMIT")
    """At most this many calls of one agent at once per user (agent steps and swarm members); one user's calls never count against another user's share."""

    # data lifecycle (docs/concepts/lifecycle.md): how long each kind of row is kept,
    # enforced by the daily purge
    retention_events_days: int = Field(90, ge=1, le=36500, alias="RETENTION_EVENTS_DAYS")
    """Days the event log (`usage_events`, with its dispatch record) is kept; the ids of deleted events stay in `retired_events`, so a late delivery is a duplicate. See [Data lifecycle](../concepts/lifecycle.md)."""
    retention_run_payloads_days: int = Field(
        90, ge=1, le=36500, alias="RETENTION_RUN_PAYLOADS_DAYS"
    )
    """Days a finished run keeps its payloads (input, trigger data, step results, definition); then they are emptied and the summary stays."""
    retention_runs_days: int = Field(365, ge=1, le=36500, alias="RETENTION_RUNS_DAYS")
    """Days a finished run's summary is kept (at least the payloads' days); then it is deleted."""
    retention_fires_days: int = Field(180, ge=1, le=36500, alias="RETENTION_FIRES_DAYS")
    """Days the fire history (`scheduled_task_runs`) is kept; `retention_marks` remembers where it ends, so a delivery of an older slot is a duplicate."""
    retention_rejected_days: int = Field(30, ge=1, le=36500, alias="RETENTION_REJECTED_DAYS")
    """Days rejected deliveries are kept."""
    retention_stripe_payload_days: int = Field(
        30, ge=1, le=36500, alias="RETENTION_STRIPE_PAYLOAD_DAYS"
    )
    """Days a Stripe event keeps its full payload; then it is reduced to what the ledger reads (the row and ledger entries stay)."""
    retention_batch_rows: int = Field(500, ge=1, le=100_000, alias="RETENTION_BATCH_ROWS")
    """Rows per batch of the daily purge and of an erasure (each batch a short transaction)."""
    export_batch_rows: int = Field(500, ge=1, le=100_000, alias="EXPORT_BATCH_ROWS")
    """Rows read per batch of an export (`GET /api/me/export`)."""

    # per-user caps on created objects (409 past them)
    max_workflows_per_user: int = Field(500, ge=1, alias="MAX_WORKFLOWS_PER_USER")
    """Per-user cap on workflows; one more is 409 and nothing is stored. A workflow has at most 50 steps, of which at most 10 `emit` steps (422)."""
    max_tasks_per_user: int = Field(100, ge=1, alias="MAX_SCHEDULED_TASKS_PER_USER")
    """Per-user cap on scheduled tasks (409 past it)."""
    max_triggers_per_user: int = Field(500, ge=1, alias="MAX_TRIGGERS_PER_USER")
    """Per-user cap on event triggers (409 past it)."""
    max_webhooks_per_user: int = Field(100, ge=1, alias="MAX_WEBHOOKS_PER_USER")
    """Per-user cap on active inbound webhooks (409 past it)."""

    # the local shape and the HTTP frame
    segp_home: Path = Field(_REPO_ROOT / ".segp", alias="SEGP_HOME")
    """Local state: the embedded database, generated secrets."""
    port: int = Field(8080, ge=1, le=65535, alias="PORT")
    """Port of `segp serve`."""
    max_body_bytes: int = Field(1024 * 1024, ge=1024, alias="MAX_BODY_BYTES")
    """Request body limit, for every function (event-dispatch acknowledges and records a CloudEvent past it); 413 past it."""
    # browser origins that may call the api function (CORS); none: no CORS headers
    cors_allowed_origins: str = Field("", alias="CORS_ALLOWED_ORIGINS")
    """Comma-separated browser origins (`https://app.example.com`, `http://localhost:3000`) that may call the api function; empty: no CORS headers."""
    console_enabled: bool = Field(False, alias="CONSOLE_ENABLED")
    """The api function serves the [operations console](../operations/console.md) at `/console` (`true` under `segp serve`; Terraform `console_enabled`)."""
    # JSON stored from outside (bodies, http step responses, agent outputs, event
    # payloads): how deeply it may nest (well below where recursive readers fail) and
    # how large it may be
    json_max_depth: int = Field(64, ge=1, le=200, alias="JSON_MAX_DEPTH")
    """How deeply stored JSON may nest (bodies, http step responses, agent answers, event payloads); at most 200."""
    json_max_bytes: int = Field(1024 * 1024, ge=1024, alias="JSON_MAX_BYTES")
    """How large stored JSON may be; an event payload is also held to what fits, in base64, in a CloudEvent of `MAX_BODY_BYTES`."""
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field("INFO", alias="LOG_LEVEL")
    """`DEBUG`, `INFO`, `WARNING` or `ERROR`: the lowest severity every function and `segp serve` write."""

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
