-- When each person invited to a meeting was reminded of it (a day before), so a reminder
-- goes once; NULL again once the meeting's time changes.
ALTER TABLE meeting_attendees ADD COLUMN reminded_at BIGINT;
