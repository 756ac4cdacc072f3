-- A contact who followed the unsubscribe link of a bulk email (re-engagement): when, so that
-- no further bulk email goes to them. Transactional emails (sign-ups, receipts) still do.
ALTER TABLE contacts ADD COLUMN unsubscribed_at BIGINT;
