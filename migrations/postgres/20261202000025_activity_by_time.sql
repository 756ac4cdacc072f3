-- The engagement leaderboard ranks contacts by their activity in a recent period.
CREATE INDEX contact_activity_occurred ON contact_activity (occurred_at);
