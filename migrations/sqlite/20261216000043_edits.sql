-- How many times an organiser saved a shift's, a campaign's or a ticketed event's details.
-- Their edit forms send the number they were opened with, so that saving over someone
-- else's newer changes is refused, not done silently.
ALTER TABLE shifts ADD COLUMN edits INTEGER NOT NULL DEFAULT 0;
ALTER TABLE campaigns ADD COLUMN edits INTEGER NOT NULL DEFAULT 0;
ALTER TABLE ticketed_events ADD COLUMN edits INTEGER NOT NULL DEFAULT 0;
