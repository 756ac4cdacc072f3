-- Whether each person invited to a meeting will come, answered through the private link in
-- their invitation. `id` names the invitation in that link (signed with the instance's key,
-- so it cannot be made for anyone else).
ALTER TABLE meeting_attendees ADD COLUMN id TEXT;
UPDATE meeting_attendees SET id = gen_random_uuid()::text;
ALTER TABLE meeting_attendees ALTER COLUMN id SET NOT NULL;
CREATE UNIQUE INDEX meeting_attendees_id ON meeting_attendees (id);
-- YES or NO; NULL until they answer, and again once the meeting's time changes.
ALTER TABLE meeting_attendees ADD COLUMN reply TEXT CHECK (reply IN ('YES', 'NO'));
ALTER TABLE meeting_attendees ADD COLUMN replied_at BIGINT;
