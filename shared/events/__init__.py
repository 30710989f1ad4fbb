"""The event bus: the outbox in usage_events, publishing to Pub/Sub, dispatch to triggers."""
