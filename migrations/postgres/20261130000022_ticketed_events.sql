-- Ticketed events: an event with its ticket tiers, and the tickets issued, each with a code
-- that is shown at the door. Times are Unix seconds (UTC).
CREATE TABLE ticketed_events (
    id          TEXT PRIMARY KEY,
    slug        TEXT NOT NULL UNIQUE,
    title       TEXT NOT NULL,
    description TEXT NOT NULL,
    venue       TEXT NOT NULL,
    starts_at   BIGINT NOT NULL,
    ends_at     BIGINT NOT NULL,
    status      TEXT NOT NULL CHECK (status IN ('DRAFT', 'PUBLISHED', 'CANCELLED')),
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL,
    CHECK (ends_at > starts_at)
);
CREATE INDEX ticketed_events_starts_at ON ticketed_events (starts_at);

-- The kinds paid and by donation are held for the payments side of ticketing.
CREATE TABLE ticket_tiers (
    id          TEXT PRIMARY KEY,
    event_id    TEXT NOT NULL REFERENCES ticketed_events (id) ON DELETE CASCADE,
    name        TEXT NOT NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('FREE', 'PAID', 'DONATION')),
    price_cents BIGINT NOT NULL DEFAULT 0 CHECK (price_cents >= 0),
    capacity    BIGINT NOT NULL CHECK (capacity BETWEEN 1 AND 10000),
    issued      BIGINT NOT NULL DEFAULT 0 CHECK (issued >= 0 AND issued <= capacity),
    position    BIGINT NOT NULL
);
CREATE INDEX ticket_tiers_event_id ON ticket_tiers (event_id);

CREATE TABLE tickets (
    id            TEXT PRIMARY KEY,
    event_id      TEXT NOT NULL REFERENCES ticketed_events (id) ON DELETE CASCADE,
    tier_id       TEXT NOT NULL REFERENCES ticket_tiers (id),
    code          TEXT NOT NULL UNIQUE,
    contact_id    TEXT NOT NULL REFERENCES contacts (id),
    name          TEXT NOT NULL,
    email         TEXT NOT NULL,
    status        TEXT NOT NULL CHECK (status IN ('VALID', 'CANCELLED')),
    checked_in_at BIGINT,
    created_at    BIGINT NOT NULL
);
CREATE INDEX tickets_event_id ON tickets (event_id, created_at);
CREATE INDEX tickets_contact_id ON tickets (contact_id);
-- One valid ticket per person per event: someone who returned theirs may take another.
CREATE UNIQUE INDEX tickets_one_per_email ON tickets (event_id, email) WHERE status = 'VALID';
