-- An event chain wider than EVENT_CHAIN_PER_MINUTE is recorded as throttled, not
-- dispatched. Recreating the check constraint is idempotent.
ALTER TABLE usage_events DROP CONSTRAINT IF EXISTS usage_events_dispatch_status_check;
ALTER TABLE usage_events ADD CONSTRAINT usage_events_dispatch_status_check CHECK (
  dispatch_status IN ('pending', 'dispatching', 'dispatched', 'rejected', 'too_deep', 'throttled')
);
