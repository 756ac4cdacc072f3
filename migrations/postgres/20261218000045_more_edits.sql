-- How many times an organiser saved a story's, a video's, a meeting's, a product's or a
-- plan's details, as for shifts: their edit forms send the number they were opened with, so
-- that saving over someone else's newer changes is refused, not done silently.
ALTER TABLE impact_stories ADD COLUMN edits BIGINT NOT NULL DEFAULT 0;
ALTER TABLE videos ADD COLUMN edits BIGINT NOT NULL DEFAULT 0;
ALTER TABLE meetings ADD COLUMN edits BIGINT NOT NULL DEFAULT 0;
ALTER TABLE products ADD COLUMN edits BIGINT NOT NULL DEFAULT 0;
ALTER TABLE subscription_plans ADD COLUMN edits BIGINT NOT NULL DEFAULT 0;
