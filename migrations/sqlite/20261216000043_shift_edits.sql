-- How many times an organiser saved a shift's details. The edit form sends the number it was
-- opened with, so that saving over someone else's newer changes is refused, not done silently.
ALTER TABLE shifts ADD COLUMN edits INTEGER NOT NULL DEFAULT 0;
