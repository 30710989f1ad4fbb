"""``segp doctor`` against real parts: the embedded PostgreSQL, the model port, the real
Pub/Sub and Cloud Scheduler clients against their in-process fakes. Each check passes
on a sound environment and fails, with what to do, on a broken one."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import grpc
import pytest

from shared import bootstrap, doctor
from shared.cli import main
from shared.config import Settings
from shared.local import postgres
from tests.conftest import JWT_SECRET, test_settings
from tests.support.fake_gemini import FakeGemini
from tests.support.fake_pubsub import FakePubSub
from tests.support.fake_scheduler import FakeCloudScheduler
from tests.support.function_process import free_port

TOPIC = "projects/doctor-project/topics/segp-events"


@pytest.fixture(autouse=True)
def settings_restored(settings: Settings) -> Iterator[None]:
    """The doctor installs the settings it checks; put the module's back."""
    yield
    bootstrap.configure(settings)


@pytest.fixture(scope="module")
def pubsub() -> Iterator[FakePubSub]:
    fake = FakePubSub()
    fake.publisher.topics.add(TOPIC)
    yield fake
    fake.stop()


@pytest.fixture(scope="module")
def cloud_scheduler() -> Iterator[FakeCloudScheduler]:
    fake = FakeCloudScheduler()
    fake.start()
    yield fake
    fake.stop()


def configured(
    settings: Settings, pubsub: FakePubSub, cloud: FakeCloudScheduler, **env: Any
) -> Settings:
    values = {
        **settings.model_dump(by_alias=True, exclude_none=True),
        "EVENT_BUS": "pubsub",
        "EVENTS_PROJECT": "doctor-project",
        "PUBSUB_EMULATOR_HOST": pubsub.host,
        "SCHEDULER_PROJECT": "doctor-project",
        "SCHEDULER_LOCATION": "europe-west1",
        "SCHEDULE_FIRE_URL": "https://schedule-fire.example.com",
        "SCHEDULER_SERVICE_ACCOUNT": "invoker@doctor-project.iam.gserviceaccount.com",
        "SCHEDULER_EMULATOR_HOST": cloud.address,
        "SCHEDULER_API_TIMEOUT_SECONDS": 5,
        **env,
    }
    return Settings.model_validate(values)


def checks(settings: Settings) -> dict[str, doctor.Check]:
    return {c.name: c for c in doctor.run(lambda: settings)}


def test_a_sound_environment_passes_every_check(
    settings: Settings, pubsub: FakePubSub, cloud_scheduler: FakeCloudScheduler
) -> None:
    found = checks(configured(settings, pubsub, cloud_scheduler))
    assert list(found) == ["settings", "database", "model", "pubsub", "cloud scheduler"]
    assert all(c.ok and not c.skipped for c in found.values()), found
    assert "pgvector" in found["database"].found and "OFFLINE" in found["model"].found
    assert TOPIC in found["pubsub"].found


def test_without_pubsub_and_cloud_scheduler_those_checks_are_skipped(settings: Settings) -> None:
    found = checks(settings.model_copy(update={"event_bus": "off"}))
    assert found["pubsub"].skipped and found["cloud scheduler"].skipped
    assert all(c.ok for c in found.values())


def test_invalid_settings_fail_first_and_nothing_else_runs() -> None:
    def broken() -> Settings:
        return Settings.from_env({"DB_POOL_SIZE": "0"})

    found = list(doctor.run(broken))
    assert [c.name for c in found] == ["settings"] and not found[0].ok
    assert "DB_POOL_SIZE" in found[0].found and "configuration.md" in found[0].fix


def test_an_unreachable_database_fails_with_what_to_check(settings: Settings) -> None:
    url = f"postgresql://segp@127.0.0.1:{free_port()}/segp"
    found = checks(test_settings(url, EVENT_BUS="off"))["database"]
    assert not found.ok and "unreachable" in found.found and "DATABASE_URL" in found.fix


def test_a_database_without_the_migrations_fails_asking_for_segp_migrate(pg_server: Any) -> None:
    url = postgres.create_database(pg_server, "doctor_unmigrated")
    found = checks(test_settings(url, EVENT_BUS="off"))["database"]
    assert not found.ok and "pending migrations" in found.found
    assert "segp migrate" in found.fix


def test_a_model_that_fails_its_test_call_fails_the_check(
    settings: Settings, fake_gemini: FakeGemini
) -> None:
    fake_gemini.configure(settings)  # remembered, so the fixture restores the settings
    fake_gemini.fail(403, times=10)
    found = checks(fake_gemini.settings(settings, EVENT_BUS="off"))["model"]
    assert not found.ok and "Gemini" in found.found and "permanent" in found.found
    assert "GEMINI_API_KEY" in found.fix


def test_a_missing_topic_fails_the_pubsub_check(
    settings: Settings, pubsub: FakePubSub, cloud_scheduler: FakeCloudScheduler
) -> None:
    found = checks(configured(settings, pubsub, cloud_scheduler, EVENTS_TOPIC="no-such-topic"))
    assert not found["pubsub"].ok and "NotFound" in found["pubsub"].found
    assert "EVENTS_TOPIC" in found["pubsub"].fix


def test_a_cloud_scheduler_that_refuses_fails_its_check(
    settings: Settings, pubsub: FakePubSub, cloud_scheduler: FakeCloudScheduler
) -> None:
    cloud_scheduler.failures["GetJob"] = grpc.StatusCode.PERMISSION_DENIED
    try:
        found = checks(configured(settings, pubsub, cloud_scheduler))["cloud scheduler"]
    finally:
        cloud_scheduler.failures.clear()
    assert not found.ok and "refused" in found.found
    assert "roles/cloudscheduler" in found.fix


def test_the_command_exits_0_when_sound_and_1_when_something_is_wrong(
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert settings.database_url is not None
    for name, value in {
        "DATABASE_URL": settings.database_url,
        "JWT_SECRET": JWT_SECRET,
        "MODEL_PROVIDER": "offline",
        "EVENT_BUS": "off",
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("SCHEDULER_PROJECT", raising=False)
    assert main(["doctor"]) == 0
    assert "all checks passed" in capsys.readouterr().out
    monkeypatch.setenv("DATABASE_URL", f"postgresql://segp@127.0.0.1:{free_port()}/segp")
    assert main(["doctor"]) == 1
    out = capsys.readouterr().out
    assert "FAIL  database" in out and "fix:" in out
