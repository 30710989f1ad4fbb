-- One row per member call of a swarm step: its own durable unit, executed by its own
-- workflow-run delivery (or a thread of the step when runs are not handed off). A
-- member is claimed by a conditional update (queued, or running with an expired
-- lease), so two deliveries never execute it at once; its end is written only by the
-- executor holding its lease, and never after the swarm timed it out.
CREATE TABLE IF NOT EXISTS swarm_members (
  run_id uuid NOT NULL REFERENCES workflow_runs (id) ON DELETE CASCADE,
  step_id text NOT NULL,
  member_index integer NOT NULL CHECK (member_index >= 0),
  user_id text NOT NULL,
  agent_id text NOT NULL,
  action text NOT NULL,
  payload jsonb NOT NULL DEFAULT '{}'::jsonb,
  max_attempts integer NOT NULL DEFAULT 1 CHECK (max_attempts >= 1),
  quorum integer NOT NULL DEFAULT 1 CHECK (quorum >= 1),
  status text NOT NULL DEFAULT 'queued'
    CHECK (status IN ('queued', 'running', 'succeeded', 'failed', 'timed_out')),
  attempts integer NOT NULL DEFAULT 0,
  output jsonb,
  error text,
  usage jsonb,
  lease_owner text,
  lease_until timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  started_at timestamptz,
  finished_at timestamptz,
  duration_ms double precision,
  PRIMARY KEY (run_id, step_id, member_index)
);
CREATE INDEX IF NOT EXISTS swarm_members_user ON swarm_members (user_id);
