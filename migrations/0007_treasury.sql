-- Treasury: Stripe events received, customer to user mapping, the revenue ledger and
-- revenue thresholds. Money is integer minor units, never floating point.

CREATE TABLE IF NOT EXISTS stripe_events (id text PRIMARY KEY);
ALTER TABLE stripe_events
  ADD COLUMN IF NOT EXISTS type text NOT NULL,
  ADD COLUMN IF NOT EXISTS user_id text,
  ADD COLUMN IF NOT EXISTS status text NOT NULL DEFAULT 'recorded',
  ADD COLUMN IF NOT EXISTS payload jsonb NOT NULL DEFAULT '{}'::jsonb,
  ADD COLUMN IF NOT EXISTS received_at timestamptz NOT NULL DEFAULT now();

CREATE TABLE IF NOT EXISTS stripe_customers (customer_id text PRIMARY KEY);
ALTER TABLE stripe_customers
  ADD COLUMN IF NOT EXISTS user_id text NOT NULL,
  ADD COLUMN IF NOT EXISTS created_at timestamptz NOT NULL DEFAULT now();
CREATE INDEX IF NOT EXISTS stripe_customers_user ON stripe_customers (user_id);

CREATE TABLE IF NOT EXISTS revenue_ledger (id uuid PRIMARY KEY DEFAULT gen_random_uuid());
ALTER TABLE revenue_ledger
  ADD COLUMN IF NOT EXISTS user_id text NOT NULL,
  ADD COLUMN IF NOT EXISTS stripe_event_id text NOT NULL,
  ADD COLUMN IF NOT EXISTS kind text NOT NULL CHECK (kind IN ('payment', 'refund', 'payout')),
  ADD COLUMN IF NOT EXISTS amount_minor bigint NOT NULL,
  ADD COLUMN IF NOT EXISTS currency text NOT NULL,
  ADD COLUMN IF NOT EXISTS stripe_object_id text,
  ADD COLUMN IF NOT EXISTS stripe_customer_id text,
  ADD COLUMN IF NOT EXISTS occurred_at timestamptz NOT NULL,
  ADD COLUMN IF NOT EXISTS created_at timestamptz NOT NULL DEFAULT now();
CREATE UNIQUE INDEX IF NOT EXISTS revenue_ledger_event ON revenue_ledger (stripe_event_id);
CREATE INDEX IF NOT EXISTS revenue_ledger_user ON revenue_ledger (user_id, occurred_at DESC);

CREATE TABLE IF NOT EXISTS revenue_thresholds (id uuid PRIMARY KEY DEFAULT gen_random_uuid());
ALTER TABLE revenue_thresholds
  ADD COLUMN IF NOT EXISTS user_id text NOT NULL,
  ADD COLUMN IF NOT EXISTS amount_minor bigint NOT NULL CHECK (amount_minor > 0),
  ADD COLUMN IF NOT EXISTS currency text NOT NULL,
  ADD COLUMN IF NOT EXISTS period_days integer NOT NULL CHECK (period_days BETWEEN 1 AND 366),
  ADD COLUMN IF NOT EXISTS is_reached boolean NOT NULL DEFAULT false,
  ADD COLUMN IF NOT EXISTS last_crossed_at timestamptz,
  ADD COLUMN IF NOT EXISTS created_at timestamptz NOT NULL DEFAULT now();
CREATE INDEX IF NOT EXISTS revenue_thresholds_user ON revenue_thresholds (user_id, currency);
