-- How many times a shift's calendar entry changed (its title, description, place, times, or
-- its cancellation): the SEQUENCE of its calendar file, so that a calendar which imported an
-- earlier file replaces that entry instead of adding a second one.
ALTER TABLE shifts ADD COLUMN revision BIGINT NOT NULL DEFAULT 0;
