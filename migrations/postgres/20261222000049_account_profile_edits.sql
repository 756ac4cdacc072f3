-- How many times an account's name or email changed (the owner's own, an admin's edit, a
-- confirmed new email): Your account's form shows only those, so it sends this count rather
-- than `edits`, which an admin's change of role or expiry also counts.
ALTER TABLE users ADD COLUMN profile_edits BIGINT NOT NULL DEFAULT 0;
UPDATE users SET profile_edits = edits;
