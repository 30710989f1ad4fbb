-- Scheduled tasks (mirrored into Cloud Scheduler) and their fire history.

CREATE TABLE IF NOT EXISTS scheduled_tasks (id uuid PRIMARY KEY DEFAULT gen_random_uuid());
ALTER TABLE scheduled_tasks
  ADD COLUMN IF NOT EXISTS user_id text NOT NULL,
  ADD COLUMN IF NOT EXISTS workflow_id uuid NOT NULL REFERENCES workflows (id) ON DELETE CASCADE,
  ADD COLUMN IF NOT EXISTS name text NOT NULL,
  ADD COLUMN IF NOT EXISTS cron_expression text NOT NULL,
  ADD COLUMN IF NOT EXISTS timezone text NOT NULL DEFAULT 'UTC',
  ADD COLUMN IF NOT EXISTS is_active boolean NOT NULL DEFAULT true,
  ADD COLUMN IF NOT EXISTS overlap_policy text NOT NULL DEFAULT 'skip'
    CHECK (overlap_policy IN ('skip', 'allow')),
  ADD COLUMN IF NOT EXISTS catchup_window_seconds integer NOT NULL DEFAULT 600,
  ADD COLUMN IF NOT EXISTS run_count integer NOT NULL DEFAULT 0,
  ADD COLUMN IF NOT EXISTS last_run_at timestamptz,
  ADD COLUMN IF NOT EXISTS last_slot_at timestamptz,
  ADD COLUMN IF NOT EXISTS next_run_at timestamptz,
  ADD COLUMN IF NOT EXISTS mirror_state text NOT NULL DEFAULT 'pending'
    CHECK (mirror_state IN ('pending', 'in_sync', 'out_of_sync')),
  ADD COLUMN IF NOT EXISTS created_at timestamptz NOT NULL DEFAULT now(),
  ADD COLUMN IF NOT EXISTS updated_at timestamptz NOT NULL DEFAULT now();
CREATE INDEX IF NOT EXISTS scheduled_tasks_user ON scheduled_tasks (user_id, created_at DESC);
CREATE INDEX IF NOT EXISTS scheduled_tasks_due
  ON scheduled_tasks (next_run_at) WHERE is_active;

-- One row per (task, slot): the key that makes a second delivery a no-op.
CREATE TABLE IF NOT EXISTS scheduled_task_runs (id uuid PRIMARY KEY DEFAULT gen_random_uuid());
ALTER TABLE scheduled_task_runs
  ADD COLUMN IF NOT EXISTS task_id uuid NOT NULL REFERENCES scheduled_tasks (id) ON DELETE CASCADE,
  ADD COLUMN IF NOT EXISTS user_id text NOT NULL,
  ADD COLUMN IF NOT EXISTS fire_key text NOT NULL,
  ADD COLUMN IF NOT EXISTS slot_at timestamptz,
  ADD COLUMN IF NOT EXISTS status text NOT NULL
    CHECK (status IN ('running', 'fired', 'skipped', 'missed', 'failed')),
  ADD COLUMN IF NOT EXISTS source text NOT NULL DEFAULT 'scheduler',
  ADD COLUMN IF NOT EXISTS workflow_run_id uuid REFERENCES workflow_runs (id) ON DELETE SET NULL,
  ADD COLUMN IF NOT EXISTS detail text,
  ADD COLUMN IF NOT EXISTS created_at timestamptz NOT NULL DEFAULT now(),
  ADD COLUMN IF NOT EXISTS finished_at timestamptz;
CREATE UNIQUE INDEX IF NOT EXISTS scheduled_task_runs_key ON scheduled_task_runs (task_id, fire_key);
CREATE INDEX IF NOT EXISTS scheduled_task_runs_task ON scheduled_task_runs (task_id, created_at DESC);
