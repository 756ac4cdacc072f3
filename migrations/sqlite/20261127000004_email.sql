-- Outgoing email: queued in the same transaction as the change that causes it, sent by a
-- background worker with retries. Times are Unix seconds (UTC).

CREATE TABLE email_outbox (
    id              TEXT PRIMARY KEY,
    to_address      TEXT NOT NULL,
    subject         TEXT NOT NULL,
    body            TEXT NOT NULL,
    -- One optional attachment, e.g. a shift's calendar file.
    attachment_name TEXT,
    attachment_type TEXT,
    attachment      TEXT,
    status          TEXT NOT NULL CHECK (status IN ('PENDING', 'SENT', 'FAILED')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    last_error      TEXT,
    created_at      INTEGER NOT NULL,
    sent_at         INTEGER
);
CREATE INDEX email_outbox_due ON email_outbox (status, next_attempt_at);
CREATE INDEX email_outbox_created ON email_outbox (created_at);
