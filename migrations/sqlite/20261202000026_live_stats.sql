-- Live stats (SPEC §3): what the public home page counts, kept by the `live-stats` listener.
-- A counter grows once per event: each counted event leaves an item keyed by its id.
CREATE TABLE live_counters (
    kind  TEXT PRIMARY KEY,
    value INTEGER NOT NULL
);
CREATE TABLE live_items (
    event_id    TEXT PRIMARY KEY,
    kind        TEXT NOT NULL,
    text        TEXT NOT NULL,
    occurred_at INTEGER NOT NULL
);
CREATE INDEX live_items_kind ON live_items (kind, occurred_at);
CREATE INDEX live_items_occurred ON live_items (occurred_at);
