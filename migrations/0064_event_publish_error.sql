-- An event the relay can never publish (a payload stored before the JSON bounds held,
-- too deep to decode or refused by them) is set aside with the reason: it no longer
-- heads every relay batch, and the event log shows why it was not published.
ALTER TABLE usage_events
  ADD COLUMN IF NOT EXISTS publish_error text;
DROP INDEX IF EXISTS usage_events_unpublished;
CREATE INDEX IF NOT EXISTS usage_events_relayable
  ON usage_events (publish_attempts, created_at)
  WHERE published_at IS NULL AND publish_error IS NULL;
