-- Workflows, their runs and inbound webhooks.

CREATE TABLE IF NOT EXISTS workflows (id uuid PRIMARY KEY DEFAULT gen_random_uuid());
ALTER TABLE workflows
  ADD COLUMN IF NOT EXISTS user_id text NOT NULL,
  ADD COLUMN IF NOT EXISTS name text NOT NULL,
  ADD COLUMN IF NOT EXISTS description text,
  ADD COLUMN IF NOT EXISTS steps jsonb NOT NULL DEFAULT '[]'::jsonb,
  ADD COLUMN IF NOT EXISTS is_active boolean NOT NULL DEFAULT true,
  ADD COLUMN IF NOT EXISTS created_at timestamptz NOT NULL DEFAULT now(),
  ADD COLUMN IF NOT EXISTS updated_at timestamptz NOT NULL DEFAULT now();
CREATE INDEX IF NOT EXISTS workflows_user ON workflows (user_id, created_at DESC);

CREATE TABLE IF NOT EXISTS workflow_runs (id uuid PRIMARY KEY DEFAULT gen_random_uuid());
ALTER TABLE workflow_runs
  ADD COLUMN IF NOT EXISTS workflow_id uuid NOT NULL REFERENCES workflows (id) ON DELETE CASCADE,
  ADD COLUMN IF NOT EXISTS user_id text NOT NULL,
  ADD COLUMN IF NOT EXISTS trigger_type text NOT NULL
    CHECK (trigger_type IN ('manual', 'scheduled', 'event', 'webhook')),
  ADD COLUMN IF NOT EXISTS trigger_data jsonb NOT NULL DEFAULT '{}'::jsonb,
  ADD COLUMN IF NOT EXISTS input jsonb NOT NULL DEFAULT '{}'::jsonb,
  ADD COLUMN IF NOT EXISTS status text NOT NULL DEFAULT 'running'
    CHECK (status IN ('running', 'succeeded', 'failed', 'skipped')),
  ADD COLUMN IF NOT EXISTS step_results jsonb NOT NULL DEFAULT '[]'::jsonb,
  ADD COLUMN IF NOT EXISTS error text,
  ADD COLUMN IF NOT EXISTS idempotency_key text,
  ADD COLUMN IF NOT EXISTS started_at timestamptz NOT NULL DEFAULT now(),
  ADD COLUMN IF NOT EXISTS finished_at timestamptz;
CREATE INDEX IF NOT EXISTS workflow_runs_workflow ON workflow_runs (workflow_id, started_at DESC);
CREATE INDEX IF NOT EXISTS workflow_runs_user ON workflow_runs (user_id, started_at DESC);
CREATE UNIQUE INDEX IF NOT EXISTS workflow_runs_idempotency
  ON workflow_runs (user_id, idempotency_key) WHERE idempotency_key IS NOT NULL;

-- Only a hash of the endpoint key is stored: the key itself is shown once.
CREATE TABLE IF NOT EXISTS workflow_webhooks (id uuid PRIMARY KEY DEFAULT gen_random_uuid());
ALTER TABLE workflow_webhooks
  ADD COLUMN IF NOT EXISTS workflow_id uuid NOT NULL REFERENCES workflows (id) ON DELETE CASCADE,
  ADD COLUMN IF NOT EXISTS user_id text NOT NULL,
  ADD COLUMN IF NOT EXISTS key_hash text NOT NULL,
  ADD COLUMN IF NOT EXISTS revoked_at timestamptz,
  ADD COLUMN IF NOT EXISTS created_at timestamptz NOT NULL DEFAULT now();
CREATE UNIQUE INDEX IF NOT EXISTS workflow_webhooks_key ON workflow_webhooks (key_hash);
