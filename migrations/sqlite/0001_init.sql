-- Client companies, their subscription, Checkout Sessions and every verified Stripe event.
-- Times are Unix seconds (UTC).
CREATE TABLE clients (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    token_hash  TEXT NOT NULL UNIQUE,
    created_at  BIGINT NOT NULL,
    revoked_at  BIGINT
);

-- One row per client, created with it; `version` grows on every change a client can see.
CREATE TABLE subscriptions (
    client_id   TEXT PRIMARY KEY REFERENCES clients(id),
    plan        TEXT,
    expires_at  BIGINT,
    version     BIGINT NOT NULL DEFAULT 0,
    updated_at  BIGINT NOT NULL
);

-- state: open | pending | fulfilled | rejected | failed | expired
CREATE TABLE checkout_sessions (
    session_id     TEXT PRIMARY KEY,
    client_id      TEXT NOT NULL,
    plan           TEXT NOT NULL,
    amount_cents   BIGINT,
    currency       TEXT,
    state          TEXT NOT NULL,
    reason         TEXT,
    expires_after  BIGINT,
    created_at     BIGINT NOT NULL,
    updated_at     BIGINT NOT NULL
);
CREATE INDEX checkout_sessions_client ON checkout_sessions (client_id, state);

CREATE TABLE stripe_events (
    event_id     TEXT PRIMARY KEY,
    event_type   TEXT NOT NULL,
    session_id   TEXT,
    received_at  BIGINT NOT NULL,
    outcome      TEXT NOT NULL,
    payload      TEXT NOT NULL
);
CREATE INDEX stripe_events_session ON stripe_events (session_id);

-- The Ed25519 seed that signs entitlements when ENTITLEMENT_SIGNING_KEY is not set.
CREATE TABLE signing_keys (
    key_id      TEXT PRIMARY KEY,
    seed        TEXT NOT NULL,
    created_at  BIGINT NOT NULL
);
