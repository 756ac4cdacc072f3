-- Videos (SPEC §2 "media"): drafts until published to /videos. A view counts once per viewer
-- (a user, or a hash of the client's address) per local day. Times are Unix seconds (UTC).
CREATE TABLE videos (
    id           TEXT PRIMARY KEY,
    slug         TEXT NOT NULL UNIQUE,
    title        TEXT NOT NULL,
    description  TEXT NOT NULL,
    video_url    TEXT NOT NULL,
    status       TEXT NOT NULL CHECK (status IN ('DRAFT', 'PUBLISHED')),
    view_count   INTEGER NOT NULL DEFAULT 0,
    published_at INTEGER,
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL,
    CHECK ((status = 'PUBLISHED') = (published_at IS NOT NULL))
);
CREATE INDEX videos_published ON videos (status, published_at);

CREATE TABLE video_views (
    video_id   TEXT NOT NULL REFERENCES videos (id) ON DELETE CASCADE,
    viewer     TEXT NOT NULL,
    day        INTEGER NOT NULL,
    contact_id TEXT REFERENCES contacts (id),
    viewed_at  INTEGER NOT NULL,
    PRIMARY KEY (video_id, viewer, day)
);
CREATE INDEX video_views_contact ON video_views (contact_id);
