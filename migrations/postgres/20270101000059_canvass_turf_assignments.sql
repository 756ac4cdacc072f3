-- The canvassers an organiser asked to walk a turf: it comes first on their canvassing page.
-- An assignment goes with its turf and with the canvasser's account.
CREATE TABLE canvass_turf_assignments (
    turf_id     TEXT NOT NULL REFERENCES canvass_turfs (id) ON DELETE CASCADE,
    user_id     TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    assigned_at BIGINT NOT NULL,
    PRIMARY KEY (turf_id, user_id)
);
CREATE INDEX canvass_turf_assignments_user ON canvass_turf_assignments (user_id);
