//! The event catalog and envelope, compiled for the server and the browser alike, so the
//! admin UI decodes the live stream into the same types the server publishes.

use serde::{Deserialize, Serialize};

pub mod catalog;

pub use catalog::{CATALOG, Event, Module, TopicInfo};

/// Who caused an event: a user, the system itself, or an outside caller such as Stripe.
/// Written as `user:<id>`, `system`, `webhook:<source>`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(into = "String", try_from = "String")]
pub enum Actor {
    User(String),
    System,
    Webhook(String),
}

impl From<Actor> for String {
    fn from(actor: Actor) -> String {
        actor.to_string()
    }
}

impl TryFrom<String> for Actor {
    type Error = String;
    fn try_from(text: String) -> Result<Actor, String> {
        Actor::parse(&text).ok_or_else(|| format!("not an actor: {text:?}"))
    }
}

impl std::fmt::Display for Actor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Actor::User(id) => write!(f, "user:{id}"),
            Actor::System => f.write_str("system"),
            Actor::Webhook(source) => write!(f, "webhook:{source}"),
        }
    }
}

impl Actor {
    pub fn parse(text: &str) -> Option<Actor> {
        match text.split_once(':') {
            None if text == "system" => Some(Actor::System),
            Some(("user", id)) if !id.is_empty() => Some(Actor::User(id.to_string())),
            Some(("webhook", source)) if !source.is_empty() => Some(Actor::Webhook(source.to_string())),
            _ => None,
        }
    }
}

/// An event as stored in the outbox and sent on the stream.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Envelope {
    /// Position in the outbox; the SSE `id:`.
    pub seq: i64,
    /// Unique id; handlers use it to stay idempotent.
    pub id: String,
    pub topic: String,
    /// RFC 3339, UTC.
    pub occurred_at: String,
    pub actor: Actor,
    pub payload: serde_json::Value,
}

impl Envelope {
    /// The typed event inside.
    pub fn event(&self) -> Result<Event, serde_json::Error> {
        serde_json::from_value(serde_json::json!({ "topic": self.topic, "payload": self.payload }))
    }
}

impl Event {
    /// The payload alone, as JSON (the envelope carries the topic beside it).
    pub fn payload_json(&self) -> serde_json::Value {
        match serde_json::to_value(self) {
            Ok(serde_json::Value::Object(mut map)) => map.remove("payload").unwrap_or_default(),
            _ => serde_json::Value::Null,
        }
    }
}

/// A subscription pattern: an exact topic (`shift.created`), a prefix (`shift.*`, any depth
/// below `shift.`), or everything (`*`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pattern(String);

impl Pattern {
    /// `None` for text that is not a pattern (empty, spaces, `*` anywhere but the end).
    pub fn parse(text: &str) -> Option<Pattern> {
        let text = text.trim();
        let valid_chars =
            text.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "-._*".contains(c));
        let star_ok = match text.find('*') {
            None => true,
            Some(i) => i == text.len() - 1 && (text == "*" || text.ends_with(".*")),
        };
        (!text.is_empty() && valid_chars && star_ok).then(|| Pattern(text.to_string()))
    }

    pub fn matches(&self, topic: &str) -> bool {
        match self.0.strip_suffix('*') {
            Some("") => true,
            Some(prefix) => topic.starts_with(prefix),
            None => self.0 == topic,
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Parses a comma-separated list; an error names the first bad entry.
    pub fn parse_list(text: &str) -> Result<Vec<Pattern>, String> {
        text.split(',')
            .filter(|p| !p.trim().is_empty())
            .map(|p| Pattern::parse(p).ok_or_else(|| format!("not a topic pattern: {:?}", p.trim())))
            .collect()
    }
}

/// Whether any of `patterns` matches `topic` (no patterns: everything).
pub fn any_matches(patterns: &[Pattern], topic: &str) -> bool {
    patterns.is_empty() || patterns.iter().any(|p| p.matches(topic))
}

/// RFC 3339 UTC text for Unix milliseconds, e.g. `2026-11-27T18:34:36.123Z`.
pub fn rfc3339_from_unix_ms(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    let millis = ms.rem_euclid(1000);
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{millis:03}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn catalog_topics_are_unique_well_formed_and_under_their_module_prefix() {
        // SPEC §2's 49, and shift.signup.marked, canvass.session.started, canvass.address.deleted,
        // contact.unsubscribed/resubscribed/updated/merged/erased, response.moderated,
        // product.created/updated, subscription.plan.created/updated,
        // ticketed-event.created/updated/deleted, ticket.cancelled, sms.message.delivery,
        // video.created/updated/deleted, social.impact-story.created/updated/unpublished/deleted
        // and meeting.attendee.invited/removed/replied.
        assert_eq!(CATALOG.len(), 77);
        let mut seen = HashSet::new();
        for info in CATALOG {
            assert!(seen.insert(info.topic), "duplicate topic {}", info.topic);
            assert!(
                info.topic.split('.').count() >= 2
                    && info.topic.chars().all(|c| c.is_ascii_lowercase() || c == '.' || c == '-'),
                "{} is not module.noun[.verb]",
                info.topic
            );
            assert!(
                info.module.prefixes().iter().any(|p| info.topic.starts_with(p)),
                "{} is not under {:?}'s prefixes",
                info.topic,
                info.module
            );
        }
    }

    /// Every event type round-trips through the envelope and comes back as the same type,
    /// with the topic and module the catalog gives it.
    #[test]
    fn every_topic_parses_back_to_its_type() {
        let samples = catalog::samples();
        assert_eq!(samples.len(), CATALOG.len());
        for (event, info) in samples.iter().zip(CATALOG) {
            assert_eq!(event.topic(), info.topic);
            assert_eq!(event.module(), info.module);
            let envelope = Envelope {
                seq: 1,
                id: "e1".into(),
                topic: event.topic().into(),
                occurred_at: rfc3339_from_unix_ms(0),
                actor: Actor::System,
                payload: event.payload_json(),
            };
            let json = serde_json::to_string(&envelope).unwrap();
            let back: Envelope = serde_json::from_str(&json).unwrap();
            assert_eq!(&back.event().unwrap_or_else(|e| panic!("{}: {e}", info.topic)), event);
        }
        let unknown = Envelope {
            seq: 1,
            id: "e".into(),
            topic: "shift.exploded".into(),
            occurred_at: String::new(),
            actor: Actor::System,
            payload: serde_json::json!({}),
        };
        assert!(unknown.event().is_err());
    }

    #[test]
    fn payloads_carry_no_secrets_by_name() {
        let forbidden = ["password", "secret", "token", "hash", "stripe", "api_key"];
        for event in catalog::samples() {
            for key in event.payload_json().as_object().unwrap().keys() {
                assert!(!forbidden.iter().any(|f| key.contains(f)), "{}: field {key}", event.topic());
            }
        }
    }

    #[test]
    fn patterns_match_exactly_by_prefix_or_everything() {
        let p = |t| Pattern::parse(t).unwrap();
        assert!(p("shift.created").matches("shift.created"));
        assert!(!p("shift.created").matches("shift.created.extra"));
        assert!(p("shift.*").matches("shift.signup.created"));
        assert!(!p("shift.*").matches("shifts.created"));
        assert!(p("*").matches("system.test"));
        for bad in ["", "Shift.created", "shift*", "*.created", "shift. created"] {
            assert!(Pattern::parse(bad).is_none(), "{bad:?}");
        }
        assert_eq!(Pattern::parse_list("shift.*, donation.completed").unwrap().len(), 2);
        assert!(Pattern::parse_list("shift.*,bad pattern").is_err());
    }

    #[test]
    fn actors_round_trip_as_text() {
        for actor in [Actor::User("u1".into()), Actor::System, Actor::Webhook("stripe".into())] {
            assert_eq!(Actor::parse(&actor.to_string()), Some(actor.clone()));
        }
        assert_eq!(Actor::parse("nobody"), None);
    }

    #[test]
    fn formats_utc_times() {
        assert_eq!(rfc3339_from_unix_ms(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(rfc3339_from_unix_ms(1_795_804_476_123), "2026-11-27T18:34:36.123Z");
        assert_eq!(rfc3339_from_unix_ms(951_782_400_000), "2000-02-29T00:00:00.000Z");
    }
}
