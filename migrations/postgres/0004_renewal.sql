-- Automatic renewal (Stripe Billing): each company's Stripe customer (created at its first
-- checkout, on a test clock in tests), its subscription as last read from Stripe, the end of the
-- last period it paid, and every invoice applied (keyed on Stripe's id: applied at most once).
-- Booleans are 0/1 integers, read the same on both backends.
ALTER TABLE subscriptions ADD COLUMN customer_id TEXT;
ALTER TABLE subscriptions ADD COLUMN test_clock TEXT;
ALTER TABLE subscriptions ADD COLUMN subscription_id TEXT;
ALTER TABLE subscriptions ADD COLUMN renewal_state TEXT;
ALTER TABLE subscriptions ADD COLUMN paid_until BIGINT;
ALTER TABLE subscriptions ADD COLUMN current_period_end BIGINT;
ALTER TABLE subscriptions ADD COLUMN cancel_at_period_end BIGINT NOT NULL DEFAULT 0;
ALTER TABLE subscriptions ADD COLUMN payment_failed BIGINT NOT NULL DEFAULT 0;
ALTER TABLE subscriptions ADD COLUMN card_last4 TEXT;
CREATE UNIQUE INDEX subscriptions_customer ON subscriptions (customer_id);
CREATE INDEX subscriptions_subscription ON subscriptions (subscription_id);
-- 1 for a session in mode subscription.
ALTER TABLE checkout_sessions ADD COLUMN recurring BIGINT NOT NULL DEFAULT 0;

CREATE TABLE invoices (
    invoice_id       TEXT PRIMARY KEY,
    client_id        TEXT NOT NULL REFERENCES clients(id),
    subscription_id  TEXT,
    plan             TEXT NOT NULL,
    period_start     BIGINT NOT NULL,
    period_end       BIGINT NOT NULL,
    amount_cents     BIGINT NOT NULL,
    currency         TEXT NOT NULL,
    hosted_url       TEXT,
    paid_at          BIGINT,
    origin           TEXT,
    created_at       BIGINT NOT NULL
);
CREATE INDEX invoices_client ON invoices (client_id, period_end);
