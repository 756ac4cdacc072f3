-- A video's file uploaded to Changemaker itself, kept in the data directory's media/videos/
-- and played in preference to `video_url` (which may now be empty): the stored file's name,
-- the name it had on the uploader's computer, and its size in bytes.
ALTER TABLE videos ADD COLUMN file_name TEXT;
ALTER TABLE videos ADD COLUMN file_original_name TEXT;
ALTER TABLE videos ADD COLUMN file_bytes INTEGER;
