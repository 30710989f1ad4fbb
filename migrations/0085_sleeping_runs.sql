-- A run can sleep: between the attempts of a step that failed for a reason a retry can
-- fix, and in a sleep step. A sleeping run holds no lease; the per-minute job wakes it
-- once wake_at has passed and resumes it at the step that waits.
ALTER TABLE workflow_runs ADD COLUMN IF NOT EXISTS wake_at timestamptz;
ALTER TABLE workflow_runs DROP CONSTRAINT IF EXISTS workflow_runs_status_check;
ALTER TABLE workflow_runs ADD CONSTRAINT workflow_runs_status_check
  CHECK (status IN ('running', 'sleeping', 'succeeded', 'failed', 'skipped', 'cancelled'));
CREATE INDEX IF NOT EXISTS workflow_runs_wake ON workflow_runs (wake_at)
  WHERE status = 'sleeping';
