-- When a contact's personal data was erased (someone who asked to be forgotten). The row
-- stays, named "Erased contact", so that their past sign-ups, payments and tickets still
-- count; lists, exports and matching by email leave it out.
ALTER TABLE contacts ADD COLUMN erased_at INTEGER;
