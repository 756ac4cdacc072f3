-- A story's picture's width and height in pixels, as stored: the page gives them to the
-- browser, which keeps the picture's room while it loads instead of moving the text down
-- once it arrives. Empty for a picture uploaded before they were kept.
ALTER TABLE impact_stories ADD COLUMN picture_width BIGINT;
ALTER TABLE impact_stories ADD COLUMN picture_height BIGINT;
