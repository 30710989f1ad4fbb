"""The event bus: the outbox in usage_events, publishing to Pub/Sub, dispatch to triggers.

Importing the package wires the after-commit publisher into the outbox (no I/O: the
bus and its client are created on the first publish), so every process that records
events (functions, the local server, the CLI) publishes them the same way."""

from shared.events.publish import wire as _wire

_wire()
