-- Items counted in the same second are listed in the order they happened: the event's place
-- in the outbox breaks the tie (a random event id did, so "latest" could show an older one).
ALTER TABLE live_items ADD COLUMN seq BIGINT NOT NULL DEFAULT 0;
DROP INDEX live_items_occurred;
CREATE INDEX live_items_occurred ON live_items (occurred_at, seq);
