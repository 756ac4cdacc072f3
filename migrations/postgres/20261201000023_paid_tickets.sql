-- Paid ticket tiers: a ticket bought through Stripe is a ticket order (shaped like a shop
-- order) that holds its place while PENDING and becomes a ticket when the webhook says it is
-- paid. A ticket whose payment is disputed is SUSPENDED until the dispute closes.
ALTER TABLE tickets DROP CONSTRAINT tickets_status_check;
ALTER TABLE tickets ADD CONSTRAINT tickets_status_check CHECK (status IN ('VALID', 'SUSPENDED', 'CANCELLED'));
-- One ticket per person per event; a suspended one still counts (it may be valid again).
DROP INDEX tickets_one_per_email;
CREATE UNIQUE INDEX tickets_one_per_email ON tickets (event_id, email) WHERE status IN ('VALID', 'SUSPENDED');

CREATE TABLE ticket_orders (
    id              TEXT PRIMARY KEY,
    tier_id         TEXT NOT NULL REFERENCES ticket_tiers (id),
    ticket_id       TEXT REFERENCES tickets (id),
    contact_id      TEXT REFERENCES contacts (id),
    name            TEXT NOT NULL,
    email           TEXT NOT NULL,
    amount_cents    BIGINT NOT NULL,
    currency        TEXT NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('PENDING', 'PAID', 'REFUNDED', 'PARTIALLY_REFUNDED',
                                                    'DISPUTED', 'LOST', 'FAILED', 'EXPIRED')),
    refunded_cents  BIGINT NOT NULL DEFAULT 0,
    stripe_session  TEXT UNIQUE,
    stripe_payment  TEXT,
    stripe_customer TEXT,
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL,
    paid_at         BIGINT
);
CREATE INDEX ticket_orders_tier ON ticket_orders (tier_id, status);
CREATE INDEX ticket_orders_created ON ticket_orders (created_at);
CREATE INDEX ticket_orders_payment ON ticket_orders (stripe_payment);
CREATE INDEX ticket_orders_ticket ON ticket_orders (ticket_id);
