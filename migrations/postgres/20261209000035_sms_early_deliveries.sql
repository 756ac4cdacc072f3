-- Twilio's delivery reports on texts not yet recorded as sent: Twilio can report before the
-- transaction recording the sending commits, and never reports again. The sending takes its
-- report from here; a report on a text this server never sent is dropped after a day.
CREATE TABLE sms_early_deliveries (
    provider_id    TEXT PRIMARY KEY,
    delivery       TEXT NOT NULL,
    delivery_error TEXT,
    received_at    BIGINT NOT NULL
);
CREATE INDEX sms_early_deliveries_received ON sms_early_deliveries (received_at);
