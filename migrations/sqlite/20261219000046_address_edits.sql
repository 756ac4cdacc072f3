-- How many times an organiser corrected a canvassing address, as for shifts: the address's
-- form sends the number it was opened with, so that saving over someone else's newer
-- correction is refused, not done silently.
ALTER TABLE canvass_addresses ADD COLUMN edits INTEGER NOT NULL DEFAULT 0;
