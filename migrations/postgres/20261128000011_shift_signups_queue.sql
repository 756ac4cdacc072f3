-- The last place in line on a shift (MAX(queued_seq)) is read by every group of sign-ups:
-- with this index it is one lookup instead of a scan of the shift's sign-ups.
CREATE INDEX shift_signups_queue ON shift_signups (shift_id, queued_seq);
