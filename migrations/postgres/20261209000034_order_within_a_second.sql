-- What happened within one second is listed in the order it happened: the event's place in
-- the outbox breaks the tie (a random id did, so "latest" could show an older item first).
ALTER TABLE live_items ADD COLUMN seq BIGINT NOT NULL DEFAULT 0;
DROP INDEX live_items_occurred;
CREATE INDEX live_items_occurred ON live_items (occurred_at, seq);
ALTER TABLE contact_activity ADD COLUMN seq BIGINT NOT NULL DEFAULT 0;
DROP INDEX contact_activity_contact;
CREATE INDEX contact_activity_contact ON contact_activity (contact_id, occurred_at, seq);
