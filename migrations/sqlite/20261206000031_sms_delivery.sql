-- Twilio's delivery reports: whether each text sent (a campaign's or a reply) reached the
-- phone (DELIVERED) or not (UNDELIVERED, with Twilio's error code); empty until Twilio knows.
ALTER TABLE sms_recipients ADD COLUMN delivery TEXT CHECK (delivery IN ('DELIVERED', 'UNDELIVERED'));
ALTER TABLE sms_recipients ADD COLUMN delivery_error TEXT;
ALTER TABLE sms_replies ADD COLUMN delivery TEXT CHECK (delivery IN ('DELIVERED', 'UNDELIVERED'));
ALTER TABLE sms_replies ADD COLUMN delivery_error TEXT;
CREATE INDEX sms_recipients_provider ON sms_recipients (provider_id);
CREATE INDEX sms_replies_provider ON sms_replies (provider_id);
