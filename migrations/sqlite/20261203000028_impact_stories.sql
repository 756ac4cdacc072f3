-- Impact stories (SPEC §2 "social"): drafts until published to /stories. Times are Unix
-- seconds (UTC).
CREATE TABLE impact_stories (
    id           TEXT PRIMARY KEY,
    slug         TEXT NOT NULL UNIQUE,
    title        TEXT NOT NULL,
    summary      TEXT NOT NULL,
    body         TEXT NOT NULL,
    status       TEXT NOT NULL CHECK (status IN ('DRAFT', 'PUBLISHED')),
    published_at INTEGER,
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL,
    CHECK ((status = 'PUBLISHED') = (published_at IS NOT NULL))
);
CREATE INDEX impact_stories_published ON impact_stories (status, published_at);
