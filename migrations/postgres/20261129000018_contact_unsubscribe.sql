-- A contact who followed the unsubscribe link of a bulk email (re-engagement): when, so that
-- no further bulk email goes to them. Transactional emails (sign-ups, receipts) still do.
ALTER TABLE contacts ADD COLUMN unsubscribed_at BIGINT;

-- A bulk email's one-click unsubscribe address (RFC 8058), sent as its List-Unsubscribe
-- header; `{{base_url}}` stands for the server's public address, as in bodies.
ALTER TABLE email_outbox ADD COLUMN unsubscribe_link TEXT;
