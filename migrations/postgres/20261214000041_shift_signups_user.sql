-- A user's sign-ups (My shifts, a shift page's clash notice, the calendar link, the hours
-- done) are found by their account; only sign-ups made signed in have one.
CREATE INDEX shift_signups_user ON shift_signups (user_id) WHERE user_id IS NOT NULL;
