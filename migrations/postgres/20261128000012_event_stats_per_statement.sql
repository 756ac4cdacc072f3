-- Topic statistics counted once per statement instead of once per event row: a group of
-- sign-ups publishes its events in one statement, and counting them per row ran the upsert
-- for every event. Same result: the count per topic and the latest time.
CREATE OR REPLACE FUNCTION event_outbox_count() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO event_topic_stats (topic, published, last_published_at)
    SELECT topic, COUNT(*), MAX(occurred_at) FROM new_events GROUP BY topic
    ON CONFLICT (topic) DO UPDATE SET published = event_topic_stats.published + excluded.published,
        last_published_at = GREATEST(event_topic_stats.last_published_at, excluded.last_published_at);
    RETURN NULL;
END
$$;

DROP TRIGGER event_outbox_count ON event_outbox;
CREATE TRIGGER event_outbox_count AFTER INSERT ON event_outbox
    REFERENCING NEW TABLE AS new_events
    FOR EACH STATEMENT EXECUTE FUNCTION event_outbox_count();
