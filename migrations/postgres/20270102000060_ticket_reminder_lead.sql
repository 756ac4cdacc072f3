-- How long before an event its ticket holders are reminded, in hours; 0 for no reminder.
-- Events made before keep the day before they had.
ALTER TABLE ticketed_events ADD COLUMN reminder_hours BIGINT NOT NULL DEFAULT 24;
