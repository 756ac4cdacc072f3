-- How many times an account's name, email, role or expiry changed (an admin's edit, the
-- owner's own, a confirmed new email): the admin's edit form sends the number it was opened
-- with, so that saving over a newer change is refused, not done silently.
ALTER TABLE users ADD COLUMN edits BIGINT NOT NULL DEFAULT 0;
