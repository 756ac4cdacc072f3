-- Whether a volunteer with a spot came to their shift, as an organiser marked it once the
-- shift started; NULL until marked.
ALTER TABLE shift_signups ADD COLUMN attendance TEXT CHECK (attendance IN ('ATTENDED', 'NO_SHOW'));
