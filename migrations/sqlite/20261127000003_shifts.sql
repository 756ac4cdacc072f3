-- Contacts (the minimum every module needs), volunteer shifts and their sign-ups.
-- Times are Unix seconds (UTC). Flags are 0/1 integers on both backends.

CREATE TABLE contacts (
    id         TEXT PRIMARY KEY,
    email      TEXT NOT NULL UNIQUE,
    name       TEXT NOT NULL,
    phone      TEXT,
    source     TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);

CREATE TABLE shifts (
    id          TEXT PRIMARY KEY,
    title       TEXT NOT NULL,
    description TEXT NOT NULL,
    location    TEXT NOT NULL,
    starts_at   INTEGER NOT NULL,
    ends_at     INTEGER NOT NULL,
    capacity    INTEGER NOT NULL CHECK (capacity BETWEEN 1 AND 10000),
    signed_up   INTEGER NOT NULL DEFAULT 0 CHECK (signed_up >= 0 AND signed_up <= capacity),
    status      TEXT NOT NULL CHECK (status IN ('OPEN', 'FULL', 'CANCELLED')),
    is_public   INTEGER NOT NULL CHECK (is_public IN (0, 1)),
    series_id   TEXT,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    CHECK (ends_at > starts_at)
);
CREATE INDEX shifts_starts_at ON shifts (starts_at);
CREATE INDEX shifts_series_id ON shifts (series_id);

CREATE TABLE shift_signups (
    id                TEXT PRIMARY KEY,
    shift_id          TEXT NOT NULL REFERENCES shifts (id) ON DELETE CASCADE,
    contact_id        TEXT NOT NULL REFERENCES contacts (id),
    user_id           TEXT REFERENCES users (id) ON DELETE SET NULL,
    name              TEXT NOT NULL,
    email             TEXT NOT NULL,
    phone             TEXT,
    source            TEXT NOT NULL CHECK (source IN ('PUBLIC', 'AUTHENTICATED', 'ADMIN')),
    status            TEXT NOT NULL CHECK (status IN ('CONFIRMED', 'WAITLISTED', 'CANCELLED')),
    cancel_token_hash TEXT NOT NULL UNIQUE,
    created_at        INTEGER NOT NULL,
    -- Orders the waitlist: first come, first promoted.
    queued_seq        INTEGER NOT NULL,
    cancelled_at      INTEGER
);
-- One active sign-up per email per shift.
CREATE UNIQUE INDEX shift_signups_active_email ON shift_signups (shift_id, email) WHERE status <> 'CANCELLED';
CREATE INDEX shift_signups_shift ON shift_signups (shift_id, status, queued_seq);
