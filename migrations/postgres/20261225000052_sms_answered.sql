-- A text waits for an answer until a reply goes to its number or an admin marks it done
-- (as one that needs no answer): who marked it, and when. An opt-out word (STOP) is done as
-- it comes: no reply may go to it. A reply answers every text its number sent before it.
ALTER TABLE sms_messages ADD COLUMN done_at BIGINT;
ALTER TABLE sms_messages ADD COLUMN done_by TEXT;
CREATE INDEX sms_messages_phone ON sms_messages (phone, created_at);
-- The campaign texts a number got, to show which one a text that came after answers.
CREATE INDEX sms_recipients_phone ON sms_recipients (phone, updated_at);
