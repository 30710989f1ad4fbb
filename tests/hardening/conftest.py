"""Fixtures the hardening suites borrow: the fake Pub/Sub and the event-dispatch client
of the events suite, the workflows suite's local HTTP endpoint and the scheduler
suite's local server for the clock. Each is set up only for a module that asks for it."""

from __future__ import annotations

from tests.events.conftest import dispatch_client, fake_pubsub, published  # noqa: F401
from tests.scheduler.conftest import server_url  # noqa: F401
from tests.workflows.conftest import endpoint  # noqa: F401
