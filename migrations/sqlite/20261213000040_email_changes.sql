-- A new email an account asked for, waiting to be confirmed by the link sent to it (when the
-- instance can send email). One per account: asking again replaces it. Only the link's hash
-- is stored.
CREATE TABLE email_changes (
    user_id    TEXT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    new_email  TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    expires_at INTEGER NOT NULL
);
