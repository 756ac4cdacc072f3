-- Canvassing (SPEC §2 "canvass"): the addresses to knock on, canvassers' sessions and the
-- visits they record. Times are Unix seconds (UTC).
CREATE TABLE canvass_addresses (
    id              TEXT PRIMARY KEY,
    street          TEXT NOT NULL,
    city            TEXT NOT NULL,
    postal_code     TEXT NOT NULL,
    -- The street and postal code lower-cased, spaces squeezed: one address typed two ways is
    -- still one.
    address_key     TEXT NOT NULL UNIQUE,
    -- The supporter there who left their details, if any.
    contact_id      TEXT REFERENCES contacts (id),
    last_outcome    TEXT,
    last_visited_at BIGINT,
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL
);
CREATE INDEX canvass_addresses_order ON canvass_addresses (postal_code, street);

CREATE TABLE canvass_sessions (
    id                TEXT PRIMARY KEY,
    -- Kept when the account is deleted: the doors were still knocked.
    canvasser_user_id TEXT REFERENCES users (id) ON DELETE SET NULL,
    started_at        BIGINT NOT NULL,
    ended_at          BIGINT,
    doors_knocked     BIGINT NOT NULL DEFAULT 0,
    conversations     BIGINT NOT NULL DEFAULT 0
);
-- One open session per canvasser.
CREATE UNIQUE INDEX canvass_sessions_open ON canvass_sessions (canvasser_user_id) WHERE ended_at IS NULL;
CREATE INDEX canvass_sessions_started ON canvass_sessions (started_at);

CREATE TABLE canvass_visits (
    id         TEXT PRIMARY KEY,
    session_id TEXT NOT NULL REFERENCES canvass_sessions (id),
    address_id TEXT NOT NULL REFERENCES canvass_addresses (id),
    outcome    TEXT NOT NULL CHECK (outcome IN ('NOT_HOME', 'REFUSED', 'SUPPORTER', 'UNDECIDED', 'OPPOSED', 'MOVED')),
    notes      TEXT NOT NULL,
    contact_id TEXT REFERENCES contacts (id),
    visited_at BIGINT NOT NULL,
    -- A door is knocked once a session.
    UNIQUE (session_id, address_id)
);
CREATE INDEX canvass_visits_address ON canvass_visits (address_id, visited_at);
