-- Refunds of the relay's payments as Stripe reports them (`refund.*` events, a charge's refunds
-- read back after `charge.refunded`), keyed on Stripe's id; the status only moves forward
-- (core::reversal). Access is folded again from the payments and these rows.
CREATE TABLE refunds (
    refund_id       TEXT PRIMARY KEY,
    payment_intent  TEXT NOT NULL,
    client_id       TEXT NOT NULL REFERENCES clients(id),
    amount_cents    BIGINT NOT NULL,
    currency        TEXT NOT NULL,
    status          TEXT NOT NULL,
    reason          TEXT,
    -- Stripe's `created`: a full refund ends access at this time.
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL
);
CREATE INDEX refunds_client ON refunds (client_id);

-- Refunds and disputes name a payment by its PaymentIntent. Only paid rows carry one, so the
-- index leaves open sessions out.
CREATE INDEX checkout_sessions_intent ON checkout_sessions (payment_intent)
    WHERE payment_intent IS NOT NULL;

-- An automatic-renewal invoice's PaymentIntent, read from the invoice's payments.
ALTER TABLE invoices ADD COLUMN payment_intent TEXT;
CREATE INDEX invoices_intent ON invoices (payment_intent) WHERE payment_intent IS NOT NULL;

-- Avoirs (credit notes, type 381): one per refund that succeeded and per lost dispute, keyed on
-- it (`source`), numbered gap-free per year in their own series AV-YYYY-NNNNNN (id = year ×
-- 1,000,000 + number) inside the event's transaction. Buyer, plan and period are those of the
-- facture it corrects (`corrects`, that facture's id).
CREATE TABLE avoirs (
    id           BIGINT PRIMARY KEY,
    client_id    TEXT NOT NULL,
    source       TEXT NOT NULL UNIQUE,
    corrects     BIGINT NOT NULL REFERENCES factures(id),
    total_cents  BIGINT NOT NULL,
    currency     TEXT NOT NULL,
    reason       TEXT NOT NULL,
    -- When the money went back (the refund's or the dispute's time): the avoir's BT-9.
    returned_at  BIGINT NOT NULL,
    issued_at    BIGINT NOT NULL,
    origin       TEXT
);
CREATE INDEX avoirs_client ON avoirs (client_id);

CREATE TABLE avoir_documents (
    id           BIGINT PRIMARY KEY,
    xml          TEXT NOT NULL,
    pdf          BYTEA NOT NULL,
    sha256       TEXT NOT NULL,
    rendered_at  BIGINT NOT NULL
);
