-- A video's captions (WCAG 1.2.2), kept as WebVTT and served beside the public page for the
-- player's captions track; `captions_language` is their BCP 47 language tag, empty while there
-- are none. `captions_edits` refuses a save from a form opened before another's.
ALTER TABLE videos ADD COLUMN captions TEXT NOT NULL DEFAULT '';
ALTER TABLE videos ADD COLUMN captions_language TEXT NOT NULL DEFAULT '';
ALTER TABLE videos ADD COLUMN captions_edits INTEGER NOT NULL DEFAULT 0;
