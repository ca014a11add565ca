-- Factures: one per payment (a paid one-off checkout, or a paid Stripe invoice of a
-- subscription), numbered FA-<year>-<000001> in one series per calendar year (Europe/Paris)
-- without a gap, the number assigned in the payment's own transaction. The row is written once
-- and never changes; it names the payment (`source`: cs_… or in_…) and keeps what the facture
-- bills and to whom. Its document (the Factur-X PDF and its XML) is rendered after the commit,
-- once, into `facture_documents`, with a SHA-256 that proves a later download is the same.
-- `last_issued` keeps issue dates in the numbers' order.
CREATE TABLE facture_series (
    year         BIGINT PRIMARY KEY,
    last         BIGINT NOT NULL,
    last_issued  BIGINT NOT NULL
);

CREATE TABLE factures (
    year          BIGINT NOT NULL,
    seq           BIGINT NOT NULL,
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
    origin        TEXT,
    PRIMARY KEY (year, seq)
);
CREATE INDEX factures_client ON factures (client_id);

CREATE TABLE facture_documents (
    year         BIGINT NOT NULL,
    seq          BIGINT NOT NULL,
    xml          TEXT NOT NULL,
    pdf          BYTEA NOT NULL,
    sha256       TEXT NOT NULL,
    rendered_at  BIGINT NOT NULL,
    PRIMARY KEY (year, seq)
);
