-- Which Stripe served each session and sent each event: `sandbox` (relay serve --sandbox),
-- `test` or `live` (the key's mode; `live` whenever Stripe said livemode). NULL for rows stored
-- before this column: unknown, so `serve --sandbox` refuses such a database.
ALTER TABLE checkout_sessions ADD COLUMN origin TEXT;
ALTER TABLE stripe_events ADD COLUMN origin TEXT;
