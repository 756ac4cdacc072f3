-- When a note on a contact was last rewritten by its author, shown beside it.
ALTER TABLE contact_notes ADD COLUMN edited_at BIGINT;
