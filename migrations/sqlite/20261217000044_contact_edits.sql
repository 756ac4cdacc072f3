-- How many times a contact's name, email or phone changed: by an organiser's edit, an
-- account's new email, a merge or an import. The contact's edit form sends the number it was
-- opened with, so that saving over a change made since is refused, not done silently.
ALTER TABLE contacts ADD COLUMN edits INTEGER NOT NULL DEFAULT 0;
