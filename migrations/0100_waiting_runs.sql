-- A run can wait for an event (a waitForEvent step): it is 'waiting', holding no lease
-- and no process, with one wait record saying what it waits for. The dispatch of a
-- matching event of the same user resumes it; the per-minute job resumes it once
-- timeout_at has passed. Whoever deletes the wait record resumes the run: that is what
-- makes a wake-up happen once.
ALTER TABLE workflow_runs DROP CONSTRAINT IF EXISTS workflow_runs_status_check;
ALTER TABLE workflow_runs ADD CONSTRAINT workflow_runs_status_check
  CHECK (status IN ('running', 'sleeping', 'waiting', 'succeeded', 'failed', 'skipped',
                    'cancelled'));
CREATE TABLE IF NOT EXISTS workflow_waits (
  run_id uuid PRIMARY KEY REFERENCES workflow_runs (id) ON DELETE CASCADE,
  user_id text NOT NULL,
  step_id text NOT NULL,
  event_type text NOT NULL,
  conditions jsonb NOT NULL DEFAULT '{}'::jsonb,
  began_at timestamptz NOT NULL,
  timeout_at timestamptz NOT NULL
);
CREATE INDEX IF NOT EXISTS workflow_waits_event ON workflow_waits (user_id, event_type);
CREATE INDEX IF NOT EXISTS workflow_waits_timeout ON workflow_waits (timeout_at);
