-- Paid ticket tiers: a ticket bought through Stripe is a ticket order (shaped like a shop
-- order) that holds its place while PENDING and becomes a ticket when the webhook says it is
-- paid. A ticket whose payment is disputed is SUSPENDED until the dispute closes.

-- SQLite cannot change a CHECK constraint in place: the table is rebuilt (nothing refers to it).
CREATE TABLE tickets_new (
    id            TEXT PRIMARY KEY,
    event_id      TEXT NOT NULL REFERENCES ticketed_events (id) ON DELETE CASCADE,
    tier_id       TEXT NOT NULL REFERENCES ticket_tiers (id),
    code          TEXT NOT NULL UNIQUE,
    contact_id    TEXT NOT NULL REFERENCES contacts (id),
    name          TEXT NOT NULL,
    email         TEXT NOT NULL,
    status        TEXT NOT NULL CHECK (status IN ('VALID', 'SUSPENDED', 'CANCELLED')),
    checked_in_at INTEGER,
    created_at    INTEGER NOT NULL
);
INSERT INTO tickets_new (id, event_id, tier_id, code, contact_id, name, email, status, checked_in_at, created_at)
    SELECT id, event_id, tier_id, code, contact_id, name, email, status, checked_in_at, created_at FROM tickets;
DROP TABLE tickets;
ALTER TABLE tickets_new RENAME TO tickets;
CREATE INDEX tickets_event_id ON tickets (event_id, created_at);
CREATE INDEX tickets_contact_id ON tickets (contact_id);
-- One ticket per person per event; a suspended one still counts (it may be valid again).
CREATE UNIQUE INDEX tickets_one_per_email ON tickets (event_id, email) WHERE status IN ('VALID', 'SUSPENDED');

CREATE TABLE ticket_orders (
    id              TEXT PRIMARY KEY,
    tier_id         TEXT NOT NULL REFERENCES ticket_tiers (id),
    ticket_id       TEXT REFERENCES tickets (id),
    contact_id      TEXT REFERENCES contacts (id),
    name            TEXT NOT NULL,
    email           TEXT NOT NULL,
    amount_cents    INTEGER NOT NULL,
    currency        TEXT NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('PENDING', 'PAID', 'REFUNDED', 'PARTIALLY_REFUNDED',
                                                    'DISPUTED', 'LOST', 'FAILED', 'EXPIRED')),
    refunded_cents  INTEGER NOT NULL DEFAULT 0,
    stripe_session  TEXT UNIQUE,
    stripe_payment  TEXT,
    stripe_customer TEXT,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL,
    paid_at         INTEGER
);
CREATE INDEX ticket_orders_tier ON ticket_orders (tier_id, status);
CREATE INDEX ticket_orders_created ON ticket_orders (created_at);
CREATE INDEX ticket_orders_payment ON ticket_orders (stripe_payment);
CREATE INDEX ticket_orders_ticket ON ticket_orders (ticket_id);
