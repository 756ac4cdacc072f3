-- Turfs: the parts of the address list canvassers walk in a round, so that two canvassers out
-- at once do not knock on the same doors. A turf is made of the addresses whose street or
-- postal code contains one of its areas ("High St", "K1A 0B"), so addresses added later join it.
CREATE TABLE canvass_turfs (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    -- The name lower-cased: two turfs are not called the same.
    name_key   TEXT NOT NULL UNIQUE,
    -- The areas, one a line, as typed.
    areas      TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    edits      BIGINT NOT NULL DEFAULT 0
);

-- The turf a session walks; none for the whole list. A turf is not deleted while a session on
-- it is open; an ended session keeps its counts when the turf goes.
ALTER TABLE canvass_sessions ADD COLUMN turf_id TEXT REFERENCES canvass_turfs (id) ON DELETE SET NULL;
CREATE INDEX canvass_sessions_turf ON canvass_sessions (turf_id);
