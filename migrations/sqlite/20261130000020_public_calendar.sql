-- What the public calendar (Gancio) listener has put on the calendar: for each public shift
-- or ticketed event, the id the calendar gave its entry, so that an edit updates that entry
-- and a cancellation removes it.
CREATE TABLE public_calendar_entries (
    source      TEXT NOT NULL,
    source_id   TEXT NOT NULL,
    calendar_id INTEGER NOT NULL,
    synced_at   INTEGER NOT NULL,
    PRIMARY KEY (source, source_id)
);
