-- A Stripe event rendered at an API version newer than the one Tollgate reads is stored and held,
-- not applied: status unsupported_version (its note names the version). `tollgate webhooks replay`
-- makes it pending again once Tollgate reads that version.
ALTER TABLE stripe_events DROP CONSTRAINT stripe_events_status_check;
ALTER TABLE stripe_events ADD CONSTRAINT stripe_events_status_check
    CHECK (status IN ('pending', 'applied', 'ignored', 'failed', 'unsupported_version'));
