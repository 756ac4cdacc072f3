-- A volunteer who signs up for a shift "and the later shifts of its series" makes several
-- sign-ups at once: each later one points at the first (the one on the shift whose page they
-- used), so that the first's private link can show them all.
ALTER TABLE shift_signups ADD COLUMN first_signup_id TEXT;
CREATE INDEX shift_signups_first_signup ON shift_signups (first_signup_id) WHERE first_signup_id IS NOT NULL;
