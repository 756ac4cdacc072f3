-- Membership: subscription plans and the subscriptions supporters take out.

CREATE TABLE subscription_plans (
    id           TEXT PRIMARY KEY,
    name         TEXT NOT NULL,
    amount_cents INTEGER NOT NULL CHECK (amount_cents BETWEEN 50 AND 10000000),
    billing_interval TEXT NOT NULL CHECK (billing_interval IN ('month', 'year')),
    active       INTEGER NOT NULL CHECK (active IN (0, 1)),
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL
);

CREATE TABLE subscriptions (
    id                  TEXT PRIMARY KEY,
    plan_id             TEXT NOT NULL REFERENCES subscription_plans (id),
    contact_id          TEXT REFERENCES contacts (id),
    name                TEXT NOT NULL,
    email               TEXT NOT NULL,
    amount_cents        INTEGER NOT NULL,
    currency            TEXT NOT NULL,
    status              TEXT NOT NULL CHECK (status IN ('PENDING', 'ACTIVE', 'PAST_DUE', 'CANCELLED', 'FAILED', 'EXPIRED')),
    refunded_cents      INTEGER NOT NULL DEFAULT 0,
    stripe_session      TEXT UNIQUE,
    stripe_payment      TEXT,
    stripe_customer     TEXT,
    stripe_subscription TEXT,
    created_at          INTEGER NOT NULL,
    updated_at          INTEGER NOT NULL,
    paid_at             INTEGER,
    cancelled_at        INTEGER
);
CREATE INDEX subscriptions_stripe ON subscriptions (stripe_subscription);
CREATE INDEX subscriptions_created ON subscriptions (created_at);
