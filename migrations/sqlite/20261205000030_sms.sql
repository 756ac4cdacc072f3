-- Text messages (SPEC §2 "sms"): every message received through the SMS provider (Twilio),
-- once per provider id, with its sentiment and the contact whose phone matched; and the
-- numbers that texted an opt-out word (STOP and the like) until they text START.
-- Times are Unix seconds (UTC).
CREATE TABLE sms_messages (
    id          TEXT PRIMARY KEY,
    provider_id TEXT NOT NULL UNIQUE,
    phone       TEXT NOT NULL,
    body        TEXT NOT NULL,
    sentiment   TEXT NOT NULL CHECK (sentiment IN ('POSITIVE', 'NEUTRAL', 'NEGATIVE', 'QUESTION')),
    contact_id  TEXT REFERENCES contacts (id),
    created_at  INTEGER NOT NULL
);
CREATE INDEX sms_messages_created ON sms_messages (created_at);
CREATE INDEX sms_messages_contact ON sms_messages (contact_id);

CREATE TABLE sms_opt_outs (
    phone         TEXT PRIMARY KEY,
    opted_out_at  INTEGER NOT NULL
);
