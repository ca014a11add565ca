-- The operator console (/admin): its operators, their server-side sessions (so that removing an
-- operator, changing a password or logging out ends a session at once on every instance), the
-- failed logins that limit guessing, and the audit trail of every action.
CREATE TABLE operators (
    email          TEXT PRIMARY KEY,
    -- lecture: sees; admin: acts.
    role           TEXT NOT NULL,
    -- Argon2id, PHC string format.
    password_hash  TEXT NOT NULL,
    created_at     BIGINT NOT NULL,
    updated_at     BIGINT NOT NULL
);

-- The cookie carries the session's token; only its SHA-256 is stored.
CREATE TABLE operator_sessions (
    token_hash  TEXT PRIMARY KEY,
    email       TEXT NOT NULL REFERENCES operators(email) ON DELETE CASCADE,
    address     TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL
);
CREATE INDEX operator_sessions_email ON operator_sessions (email);

CREATE TABLE operator_login_failures (
    email    TEXT NOT NULL,
    address  TEXT NOT NULL,
    at       BIGINT NOT NULL
);
CREATE INDEX operator_login_failures_email ON operator_login_failures (email, at);
CREATE INDEX operator_login_failures_address ON operator_login_failures (address, at);

-- Who did what, when, from where (the console's logins and actions, and the command line's).
CREATE TABLE operator_audit (
    at       BIGINT NOT NULL,
    email    TEXT NOT NULL,
    action   TEXT NOT NULL,
    detail   TEXT NOT NULL,
    address  TEXT NOT NULL
);
CREATE INDEX operator_audit_at ON operator_audit (at);

-- The events journal names the company an event changed (the writer knows it when it applies the
-- event; checkout events also reach it through their session), so that the console lists every
-- event that touched a company. No index: each one would cost every payment a B-tree insert
-- (one on checkout_sessions cost 12 %, BENCHMARKS.md) for what an operator's page reads.
ALTER TABLE stripe_events ADD COLUMN client_id TEXT;
