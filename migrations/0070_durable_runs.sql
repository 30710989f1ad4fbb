-- Durable runs. Whoever executes a run holds a lease on it (lease_owner until
-- lease_until, renewed while a step is in flight); a run whose lease expired is taken
-- over and resumed at its first step without a committed result. The steps it runs
-- are the workflow's steps when the run began (definition), with the event depth of
-- what started it. Rows from before have no lease: they count as expired.
ALTER TABLE workflow_runs
  ADD COLUMN IF NOT EXISTS lease_owner text,
  ADD COLUMN IF NOT EXISTS lease_until timestamptz,
  ADD COLUMN IF NOT EXISTS executions integer NOT NULL DEFAULT 1,
  ADD COLUMN IF NOT EXISTS depth integer NOT NULL DEFAULT 0,
  ADD COLUMN IF NOT EXISTS definition jsonb;
CREATE INDEX IF NOT EXISTS workflow_runs_lease ON workflow_runs (lease_until NULLS FIRST)
  WHERE status = 'running';
DROP INDEX IF EXISTS workflow_runs_running;

-- The per-minute job closes fire history rows whose run ended.
CREATE INDEX IF NOT EXISTS scheduled_task_runs_running ON scheduled_task_runs (created_at)
  WHERE status = 'running';
