-- Advocacy campaigns: recipients, the moderation history, supporters' emails and
-- representatives' responses. Times are Unix seconds (UTC).

CREATE TABLE campaigns (
    id             TEXT PRIMARY KEY,
    slug           TEXT NOT NULL UNIQUE,
    title          TEXT NOT NULL,
    summary        TEXT NOT NULL,
    body           TEXT NOT NULL,
    call_to_action TEXT NOT NULL,
    -- JSON list of {name, role, email}.
    recipients     TEXT NOT NULL,
    email_subject  TEXT NOT NULL,
    email_template TEXT NOT NULL,
    status         TEXT NOT NULL CHECK (status IN ('DRAFT', 'ACTIVE', 'PAUSED', 'ARCHIVED')),
    emails_sent    BIGINT NOT NULL DEFAULT 0,
    created_at     BIGINT NOT NULL,
    updated_at     BIGINT NOT NULL
);

CREATE TABLE campaign_status_changes (
    id          TEXT PRIMARY KEY,
    campaign_id TEXT NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
    from_status TEXT NOT NULL,
    to_status   TEXT NOT NULL,
    reason      TEXT NOT NULL,
    actor       TEXT NOT NULL,
    at          BIGINT NOT NULL
);
CREATE INDEX campaign_status_changes_campaign ON campaign_status_changes (campaign_id, at);

CREATE TABLE campaign_emails (
    id              TEXT PRIMARY KEY,
    campaign_id     TEXT NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
    contact_id      TEXT REFERENCES contacts (id) ON DELETE SET NULL,
    supporter_name  TEXT NOT NULL,
    supporter_email TEXT NOT NULL,
    postal_code     TEXT NOT NULL,
    message         TEXT NOT NULL,
    recipient_count BIGINT NOT NULL,
    created_at      BIGINT NOT NULL
);
CREATE INDEX campaign_emails_campaign ON campaign_emails (campaign_id, created_at);
CREATE INDEX campaign_emails_supporter ON campaign_emails (campaign_id, supporter_email, created_at);

CREATE TABLE campaign_responses (
    id                   TEXT PRIMARY KEY,
    campaign_id          TEXT NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
    representative_name  TEXT NOT NULL,
    representative_email TEXT NOT NULL,
    body                 TEXT NOT NULL,
    status               TEXT NOT NULL CHECK (status IN ('PENDING', 'APPROVED', 'REJECTED')),
    submitted_by         TEXT NOT NULL,
    created_at           BIGINT NOT NULL,
    moderated_at         BIGINT,
    moderated_by         TEXT
);
CREATE INDEX campaign_responses_campaign ON campaign_responses (campaign_id, status, created_at);
