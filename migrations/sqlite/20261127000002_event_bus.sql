-- The durable event bus: outbox, per-topic stats, listener positions and counters,
-- failed deliveries awaiting retry (or parked as dead), the event log, the admin audit log.
-- Times here are Unix milliseconds (UTC), except event_log.occurred_at (RFC 3339 text).

CREATE TABLE event_outbox (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    id          TEXT NOT NULL UNIQUE,
    topic       TEXT NOT NULL,
    occurred_at INTEGER NOT NULL,
    actor       TEXT NOT NULL,
    payload     TEXT NOT NULL
);
CREATE INDEX event_outbox_occurred_at ON event_outbox (occurred_at);

CREATE TABLE event_topic_stats (
    topic             TEXT PRIMARY KEY,
    published         INTEGER NOT NULL,
    last_published_at INTEGER NOT NULL
);

CREATE TABLE bus_listeners (
    name        TEXT PRIMARY KEY,
    position    INTEGER NOT NULL,
    delivered   INTEGER NOT NULL,
    failed      INTEGER NOT NULL,
    retried     INTEGER NOT NULL,
    dead        INTEGER NOT NULL,
    skipped     INTEGER NOT NULL,
    lease_owner TEXT,
    lease_until INTEGER
);

CREATE TABLE bus_deliveries (
    listener        TEXT NOT NULL,
    seq             INTEGER NOT NULL,
    attempts        INTEGER NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('RETRYING', 'DEAD')),
    next_attempt_at INTEGER NOT NULL,
    last_error      TEXT NOT NULL,
    updated_at      INTEGER NOT NULL,
    PRIMARY KEY (listener, seq)
);
CREATE INDEX bus_deliveries_due ON bus_deliveries (status, next_attempt_at);

CREATE TABLE event_log (
    seq         INTEGER PRIMARY KEY,
    id          TEXT NOT NULL UNIQUE,
    topic       TEXT NOT NULL,
    actor       TEXT NOT NULL,
    occurred_at TEXT NOT NULL,
    payload     TEXT NOT NULL
);
CREATE INDEX event_log_topic ON event_log (topic);
CREATE INDEX event_log_actor ON event_log (actor);
CREATE INDEX event_log_occurred_at ON event_log (occurred_at);

CREATE TABLE admin_audit_log (
    id     INTEGER PRIMARY KEY AUTOINCREMENT,
    at     INTEGER NOT NULL,
    actor  TEXT NOT NULL,
    action TEXT NOT NULL,
    entity TEXT NOT NULL
);

-- Every outbox row counts in its topic's statistics, in the same transaction.
CREATE TRIGGER event_outbox_count AFTER INSERT ON event_outbox
BEGIN
    INSERT INTO event_topic_stats (topic, published, last_published_at)
    VALUES (NEW.topic, 1, NEW.occurred_at)
    ON CONFLICT (topic) DO UPDATE SET published = published + 1,
        last_published_at = excluded.last_published_at;
END;
