-- Newsletter reports received (opens, clicks, bounces, unsubscribes), by the sender's id for
-- each, so that a report sent again is received once.
CREATE TABLE newsletter_reports (
    id          TEXT PRIMARY KEY,
    received_at BIGINT NOT NULL
);
