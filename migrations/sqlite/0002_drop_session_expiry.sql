-- The expiry after each payment is the subscription's; it is not kept per session.
ALTER TABLE checkout_sessions DROP COLUMN expires_after;
