-- Pictures and other files sent with an incoming text (MMS). Twilio keeps them; Changemaker
-- keeps where and what each is, and fetches it for admins with the account's credentials.
CREATE TABLE sms_media (
    message_id   TEXT NOT NULL REFERENCES sms_messages (id) ON DELETE CASCADE,
    position     INTEGER NOT NULL,
    url          TEXT NOT NULL,
    content_type TEXT NOT NULL,
    PRIMARY KEY (message_id, position)
);
