-- "Forgot your password?": a one-time link by email to choose a new one, stored as the
-- SHA-256 of its token and good for an hour. Asking again replaces the account's earlier link.
CREATE TABLE password_resets (
    user_id    TEXT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    token_hash TEXT NOT NULL UNIQUE,
    expires_at BIGINT NOT NULL
);
