-- People invited to a meeting, by email (stored lower-cased): each was sent an invitation
-- with the meeting's calendar file, and is told of its changes and of its cancellation.
CREATE TABLE meeting_attendees (
    meeting_id TEXT NOT NULL REFERENCES meetings (id) ON DELETE CASCADE,
    email      TEXT NOT NULL,
    invited_at BIGINT NOT NULL,
    PRIMARY KEY (meeting_id, email)
);
