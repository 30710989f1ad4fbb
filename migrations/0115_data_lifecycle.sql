-- Data lifecycle: retention purges and erasure.
--
-- An event's row is the key that makes a redelivery a no-op; once the row is purged
-- (retention) or erased, its id stays here, a 16-byte key, so a late redelivery still
-- dispatches nothing and recreates nothing.
CREATE TABLE IF NOT EXISTS retired_events (id uuid PRIMARY KEY);

-- Fire history older than purged_before is gone; a delivery of a slot before it is a
-- duplicate (kind 'fires'). One row per kind of purged key range.
CREATE TABLE IF NOT EXISTS retention_marks (
  kind text PRIMARY KEY,
  purged_before timestamptz NOT NULL
);

-- A finished run keeps its summary longer than its payloads (input, trigger data,
-- step results, definition): when those were dropped.
ALTER TABLE workflow_runs ADD COLUMN IF NOT EXISTS payloads_purged_at timestamptz;
-- A Stripe event's payload reduced to what the ledger needs: when.
ALTER TABLE stripe_events ADD COLUMN IF NOT EXISTS payload_reduced_at timestamptz;

-- What the daily purge walks, oldest first, in small batches.
CREATE INDEX IF NOT EXISTS usage_events_created ON usage_events (created_at);
CREATE INDEX IF NOT EXISTS workflow_runs_finished ON workflow_runs (finished_at)
  WHERE finished_at IS NOT NULL;
CREATE INDEX IF NOT EXISTS scheduled_task_runs_created ON scheduled_task_runs (created_at);
CREATE INDEX IF NOT EXISTS rejected_deliveries_created ON rejected_deliveries (created_at);
CREATE INDEX IF NOT EXISTS stripe_events_unreduced ON stripe_events (received_at)
  WHERE payload_reduced_at IS NULL;
