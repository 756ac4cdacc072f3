-- A meeting's minutes: what was said and decided, written by the organisers (`minutes_edits`
-- refuses a save from a form opened before another's), and when they were last emailed to the
-- people invited, and to how many.
ALTER TABLE meetings ADD COLUMN minutes TEXT NOT NULL DEFAULT '';
ALTER TABLE meetings ADD COLUMN minutes_edits INTEGER NOT NULL DEFAULT 0;
ALTER TABLE meetings ADD COLUMN minutes_sent_at INTEGER;
ALTER TABLE meetings ADD COLUMN minutes_sent_to INTEGER NOT NULL DEFAULT 0;
