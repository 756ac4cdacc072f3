-- A video's poster: the picture its player shows before it plays, and the one a shared link
-- shows, uploaded to the data directory's media/pictures/ under a random name.
ALTER TABLE videos ADD COLUMN poster_name TEXT;
