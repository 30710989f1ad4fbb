-- Treasury: what a refund needs to find the payment it undoes, and why an event was
-- recorded without a ledger row.

ALTER TABLE revenue_ledger
  ADD COLUMN IF NOT EXISTS stripe_payment_intent_id text;
CREATE INDEX IF NOT EXISTS revenue_ledger_payment_intent
  ON revenue_ledger (stripe_payment_intent_id) WHERE stripe_payment_intent_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS revenue_ledger_object ON revenue_ledger (stripe_object_id);

ALTER TABLE stripe_events
  ADD COLUMN IF NOT EXISTS detail text;
CREATE INDEX IF NOT EXISTS stripe_events_unassigned
  ON stripe_events (received_at) WHERE status = 'unassigned';
