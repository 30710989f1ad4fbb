-- The per-minute job dispatches, itself, events that were published but never
-- dispatched (past EVENT_REDISPATCH_GRACE_SECONDS) and events whose dispatch lease ran
-- out. It counts its attempts per event, so a row that keeps failing goes to the back
-- of the next batch instead of heading every one.
ALTER TABLE usage_events
  ADD COLUMN IF NOT EXISTS redispatch_attempts integer NOT NULL DEFAULT 0;
CREATE INDEX IF NOT EXISTS usage_events_undispatched
  ON usage_events (published_at)
  WHERE dispatch_status = 'pending' AND published_at IS NOT NULL;
