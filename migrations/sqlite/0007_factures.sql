-- Factures: one per payment (a paid one-off checkout, or a paid Stripe invoice of a
-- subscription), numbered FA-<year>-<000001> in one series per calendar year (Europe/Paris)
-- without a gap, the number assigned in the payment's own transaction. What a facture says is
-- stored when it is issued and never changes. `last_issued` keeps dates in the numbers' order.
CREATE TABLE facture_series (
    year         BIGINT PRIMARY KEY,
    last         BIGINT NOT NULL,
    last_issued  BIGINT NOT NULL
);

CREATE TABLE factures (
    number        TEXT PRIMARY KEY,
    year          BIGINT NOT NULL,
    seq           BIGINT NOT NULL,
    client_id     TEXT NOT NULL REFERENCES clients(id),
    source        TEXT NOT NULL UNIQUE,
    plan          TEXT NOT NULL,
    period_start  BIGINT NOT NULL,
    period_end    BIGINT NOT NULL,
    total_cents   BIGINT NOT NULL,
    net_cents     BIGINT NOT NULL,
    tax_cents     BIGINT NOT NULL,
    currency      TEXT NOT NULL,
    paid_at       BIGINT NOT NULL,
    issued_at     BIGINT NOT NULL,
    buyer_name    TEXT NOT NULL,
    buyer_siren   TEXT,
    hosted_url    TEXT,
    origin        TEXT
);
CREATE UNIQUE INDEX factures_series_seq ON factures (year, seq);
CREATE INDEX factures_client ON factures (client_id, issued_at);
