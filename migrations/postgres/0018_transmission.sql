-- Transmission to the approved platform (AFNOR XP Z12-013). The outbox is the documents' own
-- tables: a facture or avoir is committed in its payment's transaction, and the sender queues
-- every document issued since transmission was turned on (`pa_state.since`) that has no row
-- here yet, reading past the highest one queued (an index lookup), so the payment's path writes
-- nothing more. One row per message to send: the document itself (`document`) and, unless the
-- seller opted for VAT on debits, its payment status 212 « Encaissée » (`payment`).
CREATE TABLE pa_transmissions (
    series        TEXT NOT NULL,
    doc           BIGINT NOT NULL,
    message       TEXT NOT NULL,
    -- queued: to send (at next_at); sending: an instance holds it until lease_until;
    -- sent: the platform has it (flow_id); failed: the platform refused it or kept failing.
    state         TEXT NOT NULL,
    attempts      INTEGER NOT NULL DEFAULT 0,
    next_at       BIGINT NOT NULL,
    lease_until   BIGINT,
    flow_id       TEXT,
    -- The platform's acknowledgement: Pending, Ok or Error, with its reasons as text.
    ack_status    TEXT,
    ack_detail    TEXT,
    last_error    TEXT,
    queued_at     BIGINT NOT NULL,
    sent_at       BIGINT,
    -- The document's latest lifecycle status (200 Déposée, 213 Rejetée…) and its reason.
    status_code   INTEGER,
    status_reason TEXT,
    status_at     BIGINT,
    PRIMARY KEY (series, doc, message)
);
CREATE INDEX pa_transmissions_due ON pa_transmissions (state, next_at);

-- Every lifecycle status the platform sent back (one CDAR flow each, keyed on its flow id, so
-- that two instances reading the same flow keep it once).
CREATE TABLE pa_statuses (
    flow_id       TEXT PRIMARY KEY,
    series        TEXT NOT NULL,
    doc           BIGINT NOT NULL,
    code          INTEGER NOT NULL,
    reason_code   TEXT,
    reason        TEXT,
    at            BIGINT NOT NULL
);
CREATE INDEX pa_statuses_doc ON pa_statuses (series, doc);

-- When transmission was first turned on (documents issued before are not sent), and how far
-- the platform's incoming lifecycle flows have been read (its updatedAt, as it wrote it).
CREATE TABLE pa_state (
    id            INTEGER PRIMARY KEY,
    since         BIGINT NOT NULL,
    lc_cursor     TEXT
);
