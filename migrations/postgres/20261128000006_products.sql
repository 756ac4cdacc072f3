-- The shop: products with an optional purchase cap, and their orders (one unit each).
-- A PENDING order holds a unit until its checkout completes, fails or expires.

CREATE TABLE products (
    id            TEXT PRIMARY KEY,
    slug          TEXT NOT NULL UNIQUE,
    name          TEXT NOT NULL,
    description   TEXT NOT NULL,
    price_cents   BIGINT NOT NULL CHECK (price_cents BETWEEN 50 AND 10000000),
    max_purchases BIGINT CHECK (max_purchases IS NULL OR max_purchases >= 1),
    active        BIGINT NOT NULL CHECK (active IN (0, 1)),
    created_at    BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL
);

CREATE TABLE orders (
    id              TEXT PRIMARY KEY,
    product_id      TEXT NOT NULL REFERENCES products (id),
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
CREATE INDEX orders_product ON orders (product_id, status);
CREATE INDEX orders_created ON orders (created_at);
CREATE INDEX orders_payment ON orders (stripe_payment);
