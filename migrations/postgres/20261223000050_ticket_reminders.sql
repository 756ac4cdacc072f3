-- When a ticket's holder was emailed the reminder before its event (NULL: not yet, or the
-- event moved since).
ALTER TABLE tickets ADD COLUMN reminded_at BIGINT;
