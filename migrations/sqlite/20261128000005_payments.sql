-- Payments through Stripe: donations, the Stripe events already processed (each once), and
-- the append-only payment audit log. Times are Unix seconds (UTC), audit times Unix ms.

CREATE TABLE donations (
    id                 TEXT PRIMARY KEY,
    contact_id         TEXT REFERENCES contacts (id),
    name               TEXT NOT NULL,
    email              TEXT NOT NULL,
    amount_cents       INTEGER NOT NULL CHECK (amount_cents BETWEEN 100 AND 10000000),
    currency           TEXT NOT NULL,
    frequency          TEXT NOT NULL CHECK (frequency IN ('ONE_OFF', 'MONTHLY')),
    status             TEXT NOT NULL CHECK (status IN ('PENDING', 'PAID', 'REFUNDED', 'PARTIALLY_REFUNDED',
                                                       'DISPUTED', 'LOST', 'FAILED', 'EXPIRED')),
    refunded_cents     INTEGER NOT NULL DEFAULT 0,
    -- Stripe's ids, kept to match webhooks and refunds; never shown or exported.
    stripe_session     TEXT UNIQUE,
    stripe_payment     TEXT,
    stripe_customer    TEXT,
    stripe_subscription TEXT,
    created_at         INTEGER NOT NULL,
    updated_at         INTEGER NOT NULL,
    paid_at            INTEGER
);
CREATE INDEX donations_created ON donations (created_at);
CREATE INDEX donations_payment ON donations (stripe_payment);

-- One row per Stripe event id, written in the same transaction as the event's effects.
CREATE TABLE stripe_events (
    id          TEXT PRIMARY KEY,
    type        TEXT NOT NULL,
    received_at INTEGER NOT NULL,
    outcome     TEXT NOT NULL
);

CREATE TABLE payment_audit_log (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    at           INTEGER NOT NULL,
    actor        TEXT NOT NULL,
    action       TEXT NOT NULL,
    entity       TEXT NOT NULL,
    amount_cents INTEGER,
    outcome      TEXT NOT NULL,
    client_ip    TEXT,
    request_id   TEXT,
    detail       TEXT NOT NULL DEFAULT ''
);
CREATE INDEX payment_audit_log_at ON payment_audit_log (at);

-- Append-only: the database itself refuses to change or remove a row.
CREATE TRIGGER payment_audit_log_no_update BEFORE UPDATE ON payment_audit_log
BEGIN SELECT RAISE(ABORT, 'payment_audit_log is append-only'); END;
CREATE TRIGGER payment_audit_log_no_delete BEFORE DELETE ON payment_audit_log
BEGIN SELECT RAISE(ABORT, 'payment_audit_log is append-only'); END;
