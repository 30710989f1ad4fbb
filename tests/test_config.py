from __future__ import annotations

import pytest

from shared.config import Settings
from shared.errors import ConfigError


def test_outside_the_local_shape_a_database_and_jwt_secret_are_required() -> None:
    with pytest.raises(ConfigError) as err:
        Settings.from_env({})
    assert "DATABASE_URL" in err.value.message
    assert "JWT_SECRET" in err.value.message


def test_every_invalid_variable_is_named_in_one_error() -> None:
    env = {
        "DATABASE_URL": "postgresql://x/y",
        "JWT_SECRET": "s",
        "PORT": "http",
        "SCHEDULER_MODE": "sometimes",
        "DB_POOL_SIZE": "0",
    }
    with pytest.raises(ConfigError) as err:
        Settings.from_env(env)
    for name in ("PORT", "SCHEDULER_MODE", "DB_POOL_SIZE"):
        assert name in err.value.message


def test_cloud_sql_needs_user_and_database_name() -> None:
    with pytest.raises(ConfigError) as err:
        Settings.from_env({"INSTANCE_CONNECTION_NAME": "p:r:i", "JWT_SECRET": "s"})
    assert "DB_USER" in err.value.message and "DB_NAME" in err.value.message


def test_cloud_sql_without_password_uses_iam_auth() -> None:
    s = Settings.from_env(
        {
            "INSTANCE_CONNECTION_NAME": "p:r:i",
            "DB_USER": "sa@p.iam",
            "DB_NAME": "segp",
            "JWT_SECRET": "s",
        }
    )
    assert s.uses_cloud_sql and s.iam_auth
    with_password = Settings.from_env(
        {
            "INSTANCE_CONNECTION_NAME": "p:r:i",
            "DB_USER": "u",
            "DB_NAME": "segp",
            "DB_PASS": "pw",
            "JWT_SECRET": "s",
        }
    )
    assert not with_password.iam_auth


def test_vertex_ai_needs_project_and_location() -> None:
    with pytest.raises(ConfigError) as err:
        Settings.from_env(
            {
                "DATABASE_URL": "postgresql://x/y",
                "JWT_SECRET": "s",
                "GOOGLE_GENAI_USE_VERTEXAI": "true",
            }
        )
    assert "GOOGLE_CLOUD_PROJECT" in err.value.message
    assert "GOOGLE_CLOUD_LOCATION" in err.value.message


def test_model_mode_follows_credentials_unless_forced() -> None:
    base = {"DATABASE_URL": "postgresql://x/y", "JWT_SECRET": "s"}
    assert Settings.from_env(base).model_mode == "offline"
    assert Settings.from_env({**base, "GEMINI_API_KEY": "k"}).model_mode == "gemini"
    forced = {**base, "GEMINI_API_KEY": "k", "MODEL_PROVIDER": "offline"}
    assert Settings.from_env(forced).model_mode == "offline"
    with pytest.raises(ConfigError, match="MODEL_PROVIDER"):
        Settings.from_env({**base, "MODEL_PROVIDER": "gemini"})


def test_defaults_match_the_design() -> None:
    s = Settings.from_env({"DATABASE_URL": "postgresql://x/y", "JWT_SECRET": "s"})
    assert s.gemini_model == "gemini-2.5-flash"
    assert s.embedding_model == "gemini-embedding-001"
    assert s.scheduler_mode == "mirror"
    assert s.port == 8080
    assert s.max_body_bytes == 1024 * 1024
    assert s.event_max_depth == 8


def test_secrets_do_not_appear_in_the_settings_repr() -> None:
    s = Settings.from_env(
        {
            "DATABASE_URL": "postgresql://x/y",
            "JWT_SECRET": "topsecret",
            "GEMINI_API_KEY": "key-123",
            "DB_PASS": "pw-456",
        }
    )
    text = repr(s)
    assert "topsecret" not in text and "key-123" not in text and "pw-456" not in text
