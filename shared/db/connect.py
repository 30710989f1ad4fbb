"""Opening connections: one interface (pg8000 DB-API) for a ``DATABASE_URL`` and for
Cloud SQL through cloud-sql-python-connector. The connector is imported only here and
only when Cloud SQL is configured; it costs over a second at cold start."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from shared.config import Settings
from shared.errors import ConfigError

Connect = Callable[[], Any]


def url_params(url: str) -> dict[str, Any]:
    """pg8000 keyword arguments for a libpq-style URL.

    Accepts ``postgresql://user:pass@host:port/db`` and the socket forms
    ``postgresql://user@/db?host=/dir`` (a directory holding ``.s.PGSQL.<port>``, as the
    embedded server and libpq use) and ``?unix_sock=/path/to/socket``.
    """
    parts = urlsplit(url)
    if parts.scheme not in {"postgres", "postgresql", "postgresql+pg8000"}:
        raise ConfigError(f"DATABASE_URL: unsupported scheme {parts.scheme!r}")
    query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
    params: dict[str, Any] = {
        "user": unquote(parts.username or "postgres"),
        "database": unquote(parts.path.lstrip("/")) or "postgres",
    }
    if parts.password:
        params["password"] = unquote(parts.password)
    port = parts.port or 5432
    host = query.get("host") or parts.hostname
    if "unix_sock" in query:
        params["unix_sock"] = query["unix_sock"]
    elif host and host.startswith("/"):
        params["unix_sock"] = f"{host.rstrip('/')}/.s.PGSQL.{port}"
    else:
        params["host"] = host or "127.0.0.1"
        params["port"] = port
    if query.get("sslmode") in {"require", "verify-ca", "verify-full"}:
        import ssl

        params["ssl_context"] = ssl.create_default_context()
    return params


def url_connector(url: str) -> Connect:
    params = url_params(url)

    def connect() -> Any:
        import pg8000.dbapi

        return pg8000.dbapi.connect(**params, timeout=30, application_name="segp")

    return connect


@cache
def _cloud_sql_connector() -> Any:
    from google.cloud.sql.connector import Connector

    return Connector(refresh_strategy="LAZY")


def cloud_sql_connector(settings: Settings) -> Connect:
    from_settings = {
        "user": settings.db_user,
        "db": settings.db_name,
        "enable_iam_auth": settings.iam_auth,
        "ip_type": settings.db_ip_type.lower(),
    }
    if not settings.iam_auth:
        from_settings["password"] = settings.db_pass

    def connect() -> Any:
        return _cloud_sql_connector().connect(
            settings.instance_connection_name, "pg8000", **from_settings
        )

    return connect


def connector_for(settings: Settings) -> Connect:
    if settings.database_url:
        return url_connector(settings.database_url)
    if settings.instance_connection_name:
        return cloud_sql_connector(settings)
    raise ConfigError("DATABASE_URL: missing (or set INSTANCE_CONNECTION_NAME)")
