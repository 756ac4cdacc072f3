-- A volunteer's private calendar feed of their shifts: one link per account, stored as the
-- SHA-256 of its token (the link is shown once, when it is made; a new one replaces it).
CREATE TABLE calendar_feeds (
    user_id    TEXT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    token_hash TEXT NOT NULL UNIQUE,
    created_at BIGINT NOT NULL
);
