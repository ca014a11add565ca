-- Values the relay creates once at Stripe and reuses, by Stripe mode: the customer portal's
-- configuration (`portal_configuration:test`, `…:live`, `…:sandbox`).
CREATE TABLE stripe_settings (
    key         TEXT PRIMARY KEY,
    value       TEXT NOT NULL,
    created_at  BIGINT NOT NULL
);
