-- A story's picture, uploaded to the data directory's media/pictures/ under a random name, and
-- what it shows, for those who cannot see it (the image's alt text).
ALTER TABLE impact_stories ADD COLUMN picture_name TEXT;
ALTER TABLE impact_stories ADD COLUMN picture_alt TEXT NOT NULL DEFAULT '';
