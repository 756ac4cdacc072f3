-- Long admin work run in the background (contact imports, re-engagement sends), with the
-- progress the browser polls. Times are Unix seconds (UTC).
CREATE TABLE jobs (
    id          TEXT PRIMARY KEY,
    kind        TEXT NOT NULL,
    status      TEXT NOT NULL CHECK (status IN ('RUNNING', 'DONE', 'FAILED', 'INTERRUPTED')),
    total       INTEGER NOT NULL,
    done        INTEGER NOT NULL DEFAULT 0,
    -- What the work found, as JSON (counts, problems by line); the error when it failed.
    result      TEXT,
    error       TEXT,
    created_by  TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    -- Moved on by every batch: a RUNNING job not moved for two minutes was stopped.
    updated_at  INTEGER NOT NULL,
    finished_at INTEGER
);

-- Each win-back email sent to a contact; a contact gets none while a recent one is here.
CREATE TABLE reengagement_sends (
    id         TEXT PRIMARY KEY,
    contact_id TEXT NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
    job_id     TEXT NOT NULL,
    subject    TEXT NOT NULL,
    sent_at    INTEGER NOT NULL
);
CREATE INDEX reengagement_sends_contact ON reengagement_sends (contact_id, sent_at);
