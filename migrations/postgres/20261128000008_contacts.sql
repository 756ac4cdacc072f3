-- The CRM: tags on contacts and the activity timeline the CRM-activity listener writes.
-- Times are Unix seconds (UTC).

CREATE TABLE contact_tags (
    contact_id TEXT NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
    tag        TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (contact_id, tag)
);
CREATE INDEX contact_tags_tag ON contact_tags (tag);

-- One row per event that concerns a contact; the event id makes a second delivery a no-op.
-- The engagement score is the sum of points.
CREATE TABLE contact_activity (
    id           TEXT PRIMARY KEY,
    event_id     TEXT NOT NULL UNIQUE,
    contact_id   TEXT NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
    topic        TEXT NOT NULL,
    summary      TEXT NOT NULL,
    points       BIGINT NOT NULL,
    occurred_at  BIGINT NOT NULL
);
CREATE INDEX contact_activity_contact ON contact_activity (contact_id, occurred_at);

CREATE INDEX contacts_name ON contacts (name);
CREATE INDEX contacts_created ON contacts (created_at);
