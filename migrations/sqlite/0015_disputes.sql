-- Disputes of the relay's payments as Stripe reports them (`charge.dispute.*`), keyed on Stripe's
-- id, with what the operator console shows: reason, status (only moving forward), amount and the
-- evidence deadline. A chargeback not won suspends the payment's access (core::reversal).
CREATE TABLE disputes (
    dispute_id       TEXT PRIMARY KEY,
    payment_intent   TEXT NOT NULL,
    client_id        TEXT NOT NULL REFERENCES clients(id),
    amount_cents     BIGINT NOT NULL,
    currency         TEXT NOT NULL,
    -- Stripe's status; `effect` is what it means for access (open, won, lost, inquiry…).
    status           TEXT NOT NULL,
    effect           TEXT NOT NULL,
    reason           TEXT,
    evidence_due_by  BIGINT,
    created_at       BIGINT NOT NULL,
    updated_at       BIGINT NOT NULL
);
CREATE INDEX disputes_client ON disputes (client_id);

-- Automatic renewals to stop at Stripe after a chargeback on a renewal invoice (so that the
-- bank is not charged again while it is contested): written in the event's transaction, done
-- after it by the relay's background task, at most once per dispute.
CREATE TABLE renewal_stops (
    dispute_id       TEXT PRIMARY KEY,
    client_id        TEXT NOT NULL,
    subscription_id  TEXT NOT NULL,
    created_at       BIGINT NOT NULL,
    done_at          BIGINT,
    attempts         BIGINT NOT NULL DEFAULT 0,
    last_error       TEXT
);
