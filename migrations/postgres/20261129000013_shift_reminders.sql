-- When a volunteer was sent the day-before reminder for their shift (Unix seconds); NULL
-- until then, and again when the shift moves to a new start time.
ALTER TABLE shift_signups ADD COLUMN reminded_at BIGINT;
