-- Factures: one per payment (a paid one-off checkout, or a paid Stripe invoice of a
-- subscription), numbered FA-<year>-<000001> in one series per calendar year (Europe/Paris)
-- without a gap, the number assigned in the payment's own transaction. The row is written once
-- and never changes; it names the payment (`source`: cs_… or in_…) and keeps what the facture
-- bills and to whom. Its document (the Factur-X PDF and its XML) is rendered after the commit,
-- once, into `facture_documents`, with a SHA-256 that proves a later download is the same.
-- A facture's key is one integer, year × 1,000,000 + its number in the year (FA-2026-000001
-- is 2026000001): the next number is read from the end of that one B-tree, where new factures
-- append, so that the payment's path writes no other page for them (no series table, no second
-- index: a company's factures are listed by scanning, a rare request). Issue dates never go
-- back from one number to the next.
CREATE TABLE factures (
    id            BIGINT PRIMARY KEY,
    client_id     TEXT NOT NULL,
    source        TEXT NOT NULL,
    plan          TEXT NOT NULL,
    period_start  BIGINT NOT NULL,
    period_end    BIGINT NOT NULL,
    total_cents   BIGINT NOT NULL,
    currency      TEXT NOT NULL,
    paid_at       BIGINT NOT NULL,
    hosted_url    TEXT,
    buyer_name    TEXT NOT NULL,
    buyer_siren   TEXT,
    -- What Stripe collected at checkout, as JSON: {"line1","line2","postal_code","city","country","vat"}.
    buyer_details TEXT,
    issued_at     BIGINT NOT NULL,
    origin        TEXT
);

CREATE TABLE facture_documents (
    id           BIGINT PRIMARY KEY,
    xml          TEXT NOT NULL,
    pdf          BYTEA NOT NULL,
    sha256       TEXT NOT NULL,
    rendered_at  BIGINT NOT NULL
);
