-- Once-a-day sweeps started by the scheduler (e.g. the memory consolidation request):
-- the primary key makes a second call on the same day record nothing.
CREATE TABLE IF NOT EXISTS scheduler_sweeps (
  kind text NOT NULL,
  day date NOT NULL,
  users integer NOT NULL DEFAULT 0,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (kind, day)
);

-- The overlap check looks for a task's runs still in progress.
CREATE INDEX IF NOT EXISTS scheduled_task_runs_running
  ON scheduled_task_runs (task_id) WHERE status = 'running';
