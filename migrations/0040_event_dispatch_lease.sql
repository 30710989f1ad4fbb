-- A delivery that dispatches an event holds it for a while (a lease): a concurrent
-- delivery of the same event is answered "retry later", and a delivery that crashed
-- mid-way lets a redelivery take over once the lease has run out.
ALTER TABLE usage_events
  ADD COLUMN IF NOT EXISTS dispatch_lease_until timestamptz;
CREATE INDEX IF NOT EXISTS usage_events_dispatching
  ON usage_events (dispatch_lease_until) WHERE dispatch_status = 'dispatching';
