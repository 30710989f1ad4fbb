"""``segp doctor``: is this environment fit to run SEGP? Each check says what it found
and, when it fails, what to do. It reads the settings the functions would read, so an
operator runs it with the environment of a deployment (docs/operations/deploy.md ends
with it) or locally, where the local shape stands in.

The checks use the adapters themselves (the pool, the model port, the Pub/Sub and Cloud
Scheduler clients), so a pass means the code paths the functions take work from here."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from shared.config import Settings
from shared.errors import AppError

MIN_PGVECTOR = (0, 5)


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    found: str
    fix: str = ""
    skipped: bool = False

    def lines(self) -> list[str]:
        mark = "skip" if self.skipped else ("ok" if self.ok else "FAIL")
        out = [f"{mark:<4}  {self.name:<15} {self.found}"]
        if not self.ok:
            out.append(f"{'':<4}  {'':<15} fix: {self.fix}")
        return out


def _version(text: str) -> tuple[int, ...]:
    return tuple(int(p) for p in text.split(".") if p.isdigit())


def database(settings: Settings) -> Check:
    from shared.db import database_for
    from shared.db.migrate import discover

    db = database_for(settings)
    where = (
        "Cloud SQL " + str(settings.instance_connection_name)
        if settings.uses_cloud_sql
        else "DATABASE_URL"
    )
    try:
        with db.transaction() as tx:
            server = str(tx.scalar("SHOW server_version"))
            vector = tx.scalar("SELECT extversion FROM pg_extension WHERE extname = 'vector'")
            recorded = tx.scalar("SELECT to_regclass('schema_migrations') IS NOT NULL")
            applied = (
                {r["version"]: r["checksum"] for r in tx.all("SELECT * FROM schema_migrations")}
                if recorded
                else {}
            )
    except AppError as exc:
        return Check(
            "database",
            False,
            f"{where} unreachable: {exc.message}",
            "check DATABASE_URL (or INSTANCE_CONNECTION_NAME, DB_USER, DB_NAME and the "
            "IAM user or DB_PASS), that the server runs and that this machine may reach it",
        )
    finally:
        db.close()
    files = discover()
    pending = [m.name for m in files if m.version not in applied]
    changed = [m.name for m in files if m.version in applied and applied[m.version] != m.checksum]
    found = f"PostgreSQL {server} via {where}, pgvector {vector or 'missing'}"
    if changed:
        return Check(
            "database",
            False,
            found + f"; changed after apply: {changed}",
            "restore those files as applied and fix forward with a new migration",
        )
    if pending:
        return Check(
            "database",
            False,
            found + f"; {len(pending)} pending migrations ({pending[0]}...)",
            "run `segp migrate` with the same environment",
        )
    if vector is None or _version(str(vector)) < MIN_PGVECTOR:
        return Check(
            "database",
            False,
            found,
            "pgvector is missing or too old: `segp migrate` creates the extension; "
            "on Cloud SQL use a PostgreSQL version that ships pgvector 0.5 or later",
        )
    return Check("database", True, found + f"; {len(files)} migrations applied")


def model(settings: Settings) -> Check:
    from shared.model import ModelFailure, describe, get_model

    which = describe(settings)
    try:
        reply = get_model().generate_text("Reply with the word ready.")
    except ModelFailure as exc:
        return Check(
            "model",
            False,
            f"{which}: {exc.kind}: {exc.message}",
            "check GEMINI_API_KEY, or GOOGLE_GENAI_USE_VERTEXAI with GOOGLE_CLOUD_PROJECT, "
            "GOOGLE_CLOUD_LOCATION and credentials allowed to use Vertex AI; "
            "rate_limited or retryable: try again later",
        )
    return Check("model", True, f"{which}; a test call answered ({reply.usage.calls} call)")


def pubsub(settings: Settings) -> Check:
    if settings.bus_mode != "pubsub":
        return Check("pubsub", True, f"not used (EVENT_BUS {settings.bus_mode})", skipped=True)
    from shared.events.pubsub import check_topic

    try:
        return Check("pubsub", True, f"topic {check_topic(settings)} exists")
    except AppError as exc:
        return Check(
            "pubsub",
            False,
            exc.message,
            "create the topic (infra/pubsub.tf), set EVENTS_TOPIC and EVENTS_PROJECT, and "
            "give this account roles/pubsub.viewer or more on it",
        )


def scheduler(settings: Settings) -> Check:
    if not settings.mirror_configured:
        return Check("cloud scheduler", True, "not used (SCHEDULER_PROJECT unset)", skipped=True)
    from shared.scheduler.cloud_scheduler import CloudSchedulerMirror
    from shared.scheduler.mirror import task_prefix

    where = f"{settings.scheduler_project}/{settings.scheduler_location}"
    try:
        CloudSchedulerMirror(settings).get(task_prefix(settings) + "doctor-probe")
    except AppError as exc:
        return Check(
            "cloud scheduler",
            False,
            f"{where}: {exc.message}",
            "enable cloudscheduler.googleapis.com, check SCHEDULER_PROJECT and "
            "SCHEDULER_LOCATION, and give this account roles/cloudscheduler.viewer or more",
        )
    return Check("cloud scheduler", True, f"{where} answered (mode {settings.scheduler_mode})")


CHECKS: tuple[Callable[[Settings], Check], ...] = (database, model, pubsub, scheduler)


def run(read_settings: Callable[[], Settings]) -> Iterator[Check]:
    """Every check, the settings first: without valid settings nothing else can run."""
    from shared import bootstrap
    from shared.errors import ConfigError

    try:
        settings = read_settings()
    except ConfigError as exc:
        yield Check(
            "settings",
            False,
            exc.message,
            "set the variables named (docs/reference/configuration.md lists every one)",
        )
        return
    yield Check("settings", True, "valid")
    bootstrap.configure(settings)
    for check in CHECKS:
        yield check(settings)
