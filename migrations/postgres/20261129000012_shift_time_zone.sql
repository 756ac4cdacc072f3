-- Shifts are typed and shown in the organisation's time zone (the time_zone setting). Each
-- shift keeps the offset from UTC (seconds) at its start and end and the zone's abbreviation,
-- so local times show without a time zone database. Existing shifts were typed in UTC.
ALTER TABLE shifts ADD COLUMN start_offset BIGINT NOT NULL DEFAULT 0;
ALTER TABLE shifts ADD COLUMN end_offset BIGINT NOT NULL DEFAULT 0;
ALTER TABLE shifts ADD COLUMN zone_label TEXT NOT NULL DEFAULT 'UTC';
