-- Internal meetings (SPEC §2 "meetings"). Times are Unix seconds (UTC).
CREATE TABLE meetings (
    id          TEXT PRIMARY KEY,
    title       TEXT NOT NULL,
    agenda      TEXT NOT NULL,
    location    TEXT NOT NULL,
    starts_at   BIGINT NOT NULL,
    ends_at     BIGINT NOT NULL,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL,
    CHECK (ends_at > starts_at)
);
CREATE INDEX meetings_starts_at ON meetings (starts_at);

-- The unified calendar (SPEC §3 "calendar"): one entry per shift, meeting and published
-- ticketed event, kept in step by the `calendar` listener, which copies each from its own
-- table whenever an event says it changed.
CREATE TABLE calendar_entries (
    source    TEXT NOT NULL CHECK (source IN ('SHIFT', 'MEETING', 'TICKETED_EVENT')),
    source_id TEXT NOT NULL,
    title     TEXT NOT NULL,
    location  TEXT NOT NULL,
    starts_at BIGINT NOT NULL,
    ends_at   BIGINT NOT NULL,
    status    TEXT NOT NULL CHECK (status IN ('ACTIVE', 'CANCELLED')),
    PRIMARY KEY (source, source_id)
);
CREATE INDEX calendar_entries_starts_at ON calendar_entries (starts_at);

-- What was there before the listener: it only hears of later changes.
INSERT INTO calendar_entries (source, source_id, title, location, starts_at, ends_at, status)
SELECT 'SHIFT', id, title, location, starts_at, ends_at,
       CASE WHEN status = 'CANCELLED' THEN 'CANCELLED' ELSE 'ACTIVE' END
FROM shifts;
INSERT INTO calendar_entries (source, source_id, title, location, starts_at, ends_at, status)
SELECT 'TICKETED_EVENT', id, title, venue, starts_at, ends_at,
       CASE WHEN status = 'CANCELLED' THEN 'CANCELLED' ELSE 'ACTIVE' END
FROM ticketed_events WHERE status <> 'DRAFT';
