-- Payments through Stripe: donations, the Stripe events already processed (each once), and
-- the append-only payment audit log. Times are Unix seconds (UTC), audit times Unix ms.

CREATE TABLE donations (
    id                 TEXT PRIMARY KEY,
    contact_id         TEXT REFERENCES contacts (id),
    name               TEXT NOT NULL,
    email              TEXT NOT NULL,
    amount_cents       BIGINT NOT NULL CHECK (amount_cents BETWEEN 100 AND 10000000),
    currency           TEXT NOT NULL,
    frequency          TEXT NOT NULL CHECK (frequency IN ('ONE_OFF', 'MONTHLY')),
    status             TEXT NOT NULL CHECK (status IN ('PENDING', 'PAID', 'REFUNDED', 'PARTIALLY_REFUNDED',
                                                       'DISPUTED', 'LOST', 'FAILED', 'EXPIRED')),
    refunded_cents     BIGINT NOT NULL DEFAULT 0,
    -- Stripe's ids, kept to match webhooks and refunds; never shown or exported.
    stripe_session     TEXT UNIQUE,
    stripe_payment     TEXT,
    stripe_customer    TEXT,
    stripe_subscription TEXT,
    created_at         BIGINT NOT NULL,
    updated_at         BIGINT NOT NULL,
    paid_at            BIGINT
);
CREATE INDEX donations_created ON donations (created_at);
CREATE INDEX donations_payment ON donations (stripe_payment);

-- One row per Stripe event id, written in the same transaction as the event's effects.
CREATE TABLE stripe_events (
    id          TEXT PRIMARY KEY,
    type        TEXT NOT NULL,
    received_at BIGINT NOT NULL,
    outcome     TEXT NOT NULL
);

CREATE TABLE payment_audit_log (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at           BIGINT NOT NULL,
    actor        TEXT NOT NULL,
    action       TEXT NOT NULL,
    entity       TEXT NOT NULL,
    amount_cents BIGINT,
    outcome      TEXT NOT NULL,
    client_ip    TEXT,
    request_id   TEXT,
    detail       TEXT NOT NULL DEFAULT ''
);
CREATE INDEX payment_audit_log_at ON payment_audit_log (at);

-- Append-only: the database itself refuses to change or remove a row.
CREATE FUNCTION payment_audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'payment_audit_log is append-only';
END;
$$;
CREATE TRIGGER payment_audit_log_no_change BEFORE UPDATE OR DELETE ON payment_audit_log
FOR EACH ROW EXECUTE FUNCTION payment_audit_log_append_only();
