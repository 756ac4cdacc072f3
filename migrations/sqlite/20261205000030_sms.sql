-- Text messages (SPEC §2 "sms"): every message received through the SMS provider (Twilio),
-- once per provider id, with its sentiment and the contact whose phone matched; the replies
-- sent to them; and the numbers that texted an opt-out word (STOP and the like) until they
-- text START.
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

-- An admin's replies to a text, each as Twilio accepted it.
CREATE TABLE sms_replies (
    id          TEXT PRIMARY KEY,
    message_id  TEXT NOT NULL REFERENCES sms_messages (id),
    body        TEXT NOT NULL,
    provider_id TEXT NOT NULL,
    sent_by     TEXT NOT NULL,
    sent_at     INTEGER NOT NULL
);
CREATE INDEX sms_replies_message ON sms_replies (message_id);

CREATE TABLE sms_opt_outs (
    phone         TEXT PRIMARY KEY,
    opted_out_at  INTEGER NOT NULL
);

-- Text campaigns: one message to every contact with a usable number (of one tag, or all),
-- each number once; each recipient PENDING, then SENDING while Twilio is asked, then SENT
-- or FAILED (with why).
CREATE TABLE sms_campaigns (
    id              TEXT PRIMARY KEY,
    name            TEXT NOT NULL,
    body            TEXT NOT NULL,
    tag             TEXT NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('SENDING', 'COMPLETED')),
    recipient_count INTEGER NOT NULL,
    sent_count      INTEGER NOT NULL DEFAULT 0,
    failed_count    INTEGER NOT NULL DEFAULT 0,
    job_id          TEXT,
    created_by      TEXT NOT NULL,
    created_at      INTEGER NOT NULL,
    completed_at    INTEGER
);
CREATE INDEX sms_campaigns_created ON sms_campaigns (created_at);

CREATE TABLE sms_recipients (
    campaign_id TEXT NOT NULL REFERENCES sms_campaigns (id),
    phone       TEXT NOT NULL,
    contact_id  TEXT NOT NULL REFERENCES contacts (id),
    position    INTEGER NOT NULL,
    status      TEXT NOT NULL CHECK (status IN ('PENDING', 'SENDING', 'SENT', 'FAILED')),
    provider_id TEXT,
    error       TEXT,
    updated_at  INTEGER NOT NULL,
    PRIMARY KEY (campaign_id, phone)
);
CREATE INDEX sms_recipients_contact ON sms_recipients (contact_id);
