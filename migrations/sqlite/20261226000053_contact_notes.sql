-- What organisers write down about a contact ("Called: would host a house party"), newest
-- first on their page. Gone with the contact; moved with them when merged; erased with their
-- personal data.
CREATE TABLE contact_notes (
    id          TEXT PRIMARY KEY,
    contact_id  TEXT NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
    body        TEXT NOT NULL,
    written_by  TEXT NOT NULL,
    written_at  INTEGER NOT NULL
);
CREATE INDEX contact_notes_contact ON contact_notes (contact_id, written_at);
