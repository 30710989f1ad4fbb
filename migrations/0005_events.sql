-- The event log (also the outbox of events not yet published) and event triggers.

CREATE TABLE IF NOT EXISTS usage_events (id uuid PRIMARY KEY DEFAULT gen_random_uuid());
ALTER TABLE usage_events
  ADD COLUMN IF NOT EXISTS user_id text NOT NULL,
  ADD COLUMN IF NOT EXISTS event_type text NOT NULL,
  ADD COLUMN IF NOT EXISTS event_data jsonb NOT NULL DEFAULT '{}'::jsonb,
  ADD COLUMN IF NOT EXISTS depth integer NOT NULL DEFAULT 0,
  ADD COLUMN IF NOT EXISTS occurred_at timestamptz NOT NULL DEFAULT now(),
  ADD COLUMN IF NOT EXISTS published_at timestamptz,
  ADD COLUMN IF NOT EXISTS publish_attempts integer NOT NULL DEFAULT 0,
  ADD COLUMN IF NOT EXISTS dispatch_status text NOT NULL DEFAULT 'pending'
    CHECK (dispatch_status IN ('pending', 'dispatching', 'dispatched', 'rejected', 'too_deep')),
  ADD COLUMN IF NOT EXISTS dispatched_at timestamptz,
  ADD COLUMN IF NOT EXISTS triggered jsonb NOT NULL DEFAULT '[]'::jsonb,
  ADD COLUMN IF NOT EXISTS detail text,
  ADD COLUMN IF NOT EXISTS created_at timestamptz NOT NULL DEFAULT now();
CREATE INDEX IF NOT EXISTS usage_events_user_created ON usage_events (user_id, created_at DESC);
CREATE INDEX IF NOT EXISTS usage_events_user_type ON usage_events (user_id, event_type, created_at DESC);
CREATE INDEX IF NOT EXISTS usage_events_unpublished
  ON usage_events (created_at) WHERE published_at IS NULL;

-- Envelopes that could never be processed, kept for inspection instead of retried.
CREATE TABLE IF NOT EXISTS rejected_deliveries (id uuid PRIMARY KEY DEFAULT gen_random_uuid());
ALTER TABLE rejected_deliveries
  ADD COLUMN IF NOT EXISTS source text NOT NULL,
  ADD COLUMN IF NOT EXISTS delivery_id text,
  ADD COLUMN IF NOT EXISTS reason text NOT NULL,
  ADD COLUMN IF NOT EXISTS body text,
  ADD COLUMN IF NOT EXISTS created_at timestamptz NOT NULL DEFAULT now();

CREATE TABLE IF NOT EXISTS event_triggers (id uuid PRIMARY KEY DEFAULT gen_random_uuid());
ALTER TABLE event_triggers
  ADD COLUMN IF NOT EXISTS user_id text NOT NULL,
  ADD COLUMN IF NOT EXISTS event_type text NOT NULL,
  ADD COLUMN IF NOT EXISTS workflow_id uuid NOT NULL REFERENCES workflows (id) ON DELETE CASCADE,
  ADD COLUMN IF NOT EXISTS name text,
  ADD COLUMN IF NOT EXISTS conditions jsonb NOT NULL DEFAULT '{}'::jsonb,
  ADD COLUMN IF NOT EXISTS is_active boolean NOT NULL DEFAULT true,
  ADD COLUMN IF NOT EXISTS triggered_count integer NOT NULL DEFAULT 0,
  ADD COLUMN IF NOT EXISTS last_triggered_at timestamptz,
  ADD COLUMN IF NOT EXISTS created_at timestamptz NOT NULL DEFAULT now();
CREATE INDEX IF NOT EXISTS event_triggers_match
  ON event_triggers (user_id, event_type) WHERE is_active;
