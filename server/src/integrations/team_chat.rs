//! The team chat listener (SPEC §3, Rocket.Chat): a short message for each event a team wants
//! to hear about, posted to a chat's incoming webhook as `{"text": …}` (Mattermost and Slack
//! take the same). Off until it has an address and is turned on.
//!
//! Messages name volunteers by name only (no email or phone) and donations by amount only;
//! what the public typed (names, replies, texts) is put on one line, cut short, and cannot
//! mention `@all` or anyone else in the channel.

use std::sync::Arc;

use app::bus::{GuardFuture, HandlerFuture, Listener};
use app::db::Db;
use app::events::Event;
use app::integrations::service;
use app::payments::format_cents;
use app::secrets::{ExposeSecret, SecretKey};
use app::time_zone::Zone;

pub const NAME: &str = "team-chat";

/// SPEC §3's list, and `system.test` for the admin's end-to-end check.
pub const TOPICS: &[&str] = &[
    "shift.signup.created",
    "shift.signup.cancelled",
    "canvass.session.completed",
    "response.submitted",
    "campaign.published",
    "campaign.status.changed",
    "user.approved",
    "video.published",
    "sms.campaign.completed",
    "social.impact-story.published",
    "donation.completed",
    "sms.message.received",
    "system.test",
];

/// The longest piece of someone's text a message quotes.
const QUOTE_MAX: usize = 300;

pub fn listener(db: Db, key: Arc<SecretKey>, public_url: String) -> Listener {
    let http = app::integrations::http::client();
    let guard_db = db.clone();
    let guard_key = key.clone();
    Listener::new(NAME, TOPICS, move |envelope| -> HandlerFuture {
        let (db, key, http, public_url) = (db.clone(), key.clone(), http.clone(), public_url.clone());
        Box::pin(async move {
            let settings = service::load_team_chat(&db, &key).await.map_err(|e| e.to_string())?;
            // Turned off since the guard looked: nothing to post to.
            let Some(url) = settings.target() else { return Ok(()) };
            // An event this version cannot read says nothing to the team.
            let Ok(event) = envelope.event() else { return Ok(()) };
            let zone = app::settings::time_zone(&db).await.map_err(|e| e.to_string())?;
            let Some(text) = message(&event, zone, &public_url) else { return Ok(()) };
            let sent = http.post(url.expose_secret()).json(&serde_json::json!({ "text": text })).send().await;
            app::integrations::http::outcome(sent, "the chat server")
        })
    })
    .with_guard(move || -> GuardFuture {
        let (db, key) = (guard_db.clone(), guard_key.clone());
        Box::pin(async move {
            let settings = service::load_team_chat(&db, &key).await.map_err(|e| e.to_string())?;
            Ok(settings.target().is_some())
        })
    })
}

/// What the team is told of `event`, or nothing (a sign-up cancelled with its whole shift,
/// a calm text message, an event not on the list).
fn message(event: &Event, zone: Zone, public_url: &str) -> Option<String> {
    let link = |path: &str| format!("{public_url}{path}");
    let text = match event {
        Event::ShiftSignupCreated(e) => {
            let (who, shift) = (quote(&e.name), quote(&e.shift_title));
            let when = local_time(&e.starts_at, zone);
            let what = if let Some(from) = &e.moved_from {
                let place = if e.waitlisted { "the waitlist for " } else { "" };
                let (from_shift, from_when) = (quote(&from.title), local_time(&from.starts_at, zone));
                format!("{who} moved from {from_shift} ({from_when}) to {place}{shift} ({when}).")
            } else if e.promoted {
                format!("{who} moved up from the waitlist and has a spot on {shift} ({when}).")
            } else if e.waitlisted {
                format!("{who} joined the waitlist for {shift} ({when}).")
            } else {
                format!("{who} signed up for {shift} ({when}).")
            };
            format!("{what}\n{}", link(&format!("/admin/shifts/{}", e.shift_id)))
        }
        Event::ShiftSignupCancelled(e) => {
            let (who, shift) = (quote(&e.name), quote(&e.shift_title));
            let what = match e.reason.as_str() {
                "VOLUNTEER" => format!("{who} cancelled their sign-up for {shift}."),
                "ADMIN" => format!("{who} was taken off {shift} by an organiser."),
                // The shift itself went: one message per volunteer would flood the channel. A
                // move (MOVED) is told by its new sign-up, which names both shifts.
                _ => return None,
            };
            format!("{what}\n{}", link(&format!("/admin/shifts/{}", e.shift_id)))
        }
        Event::CanvassSessionCompleted(e) => format!(
            "A canvassing session ended: {} doors knocked, {} conversations.",
            e.doors_knocked, e.conversations
        ),
        Event::ResponseSubmitted(e) => format!(
            "{} replied to \u{201c}{}\u{201d}: {}\nWaiting for moderation: {}",
            quote(&e.representative_name),
            quote(&e.campaign_title),
            quote(&e.summary),
            link(&format!("/admin/campaigns/{}", e.campaign_id))
        ),
        Event::CampaignPublished(e) => {
            format!("Campaign published: {}\n{}", quote(&e.title), link(&e.url_path))
        }
        Event::CampaignStatusChanged(e) => {
            let reason = e.reason.as_deref().map(|r| format!(" Reason: {}", quote(r))).unwrap_or_default();
            let (to, from) = (e.to_status.to_lowercase(), e.from_status.to_lowercase());
            format!("Campaign \u{201c}{}\u{201d} is now {to} (it was {from}).{reason}", quote(&e.title))
        }
        Event::UserApproved(e) => {
            format!("{} can now sign in: their account was approved.", quote(&e.display_name))
        }
        Event::VideoPublished(e) => format!("New video: {}\n{}", quote(&e.title), link(&e.url_path)),
        Event::SmsCampaignCompleted(e) => format!(
            "SMS campaign \u{201c}{}\u{201d} finished: {} sent, {} failed.",
            quote(&e.name),
            e.sent_count,
            e.failed_count
        ),
        Event::ImpactStoryPublished(e) => {
            format!("New impact story: {}\n{}", quote(&e.title), link(&e.url_path))
        }
        Event::DonationCompleted(e) => {
            let monthly = if e.recurring { "monthly " } else { "" };
            let amount = format!("{} {}", format_cents(e.amount_cents), e.currency.to_uppercase());
            format!("A {monthly}donation of {amount} came in.")
        }
        Event::SmsMessageReceived(e) if matches!(e.sentiment.as_str(), "QUESTION" | "NEGATIVE") => {
            let kind = if e.sentiment == "QUESTION" { "a question" } else { "unhappy" };
            format!("A text from {} needs a reply ({kind}): {}", quote(&e.from), quote(&e.body))
        }
        Event::SystemTest(e) => format!("Changemaker is connected to this channel. {}", quote(&e.message)),
        _ => return None,
    };
    Some(text)
}

/// Someone's text as a message quotes it: on one line, at most `QUOTE_MAX` characters, and
/// with every `@` followed by a zero-width space, so that "@all" pings nobody.
fn quote(text: &str) -> String {
    let one_line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut quoted: String = one_line.chars().take(QUOTE_MAX).collect();
    if one_line.chars().count() > QUOTE_MAX {
        quoted.push('…');
    }
    quoted.replace('@', "@\u{200b}")
}

/// An event's RFC 3339 UTC time in the organisation's zone ("2026-12-05 09:00 GMT").
fn local_time(rfc3339: &str, zone: Zone) -> String {
    app::time::unix_from_rfc3339(rfc3339).map(|u| zone.stamp(u)).unwrap_or_else(|| rfc3339.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use app::events::catalog::{
        DonationCompleted, MovedFrom, ShiftSignupCancelled, ShiftSignupCreated, SmsMessageReceived,
        SystemTest,
    };

    const URL: &str = "https://act.example.org";

    fn signup(name: &str, waitlisted: bool, promoted: bool) -> Event {
        Event::ShiftSignupCreated(ShiftSignupCreated {
            shift_id: "s1".into(),
            shift_title: "Food bank".into(),
            name: name.into(),
            email: "jo@example.org".into(),
            starts_at: "2026-07-04T08:00:00Z".into(),
            waitlisted,
            promoted,
            ..Default::default()
        })
    }

    #[test]
    fn sign_ups_say_who_which_shift_and_when_in_local_time_never_the_email() {
        let london = Zone::parse("Europe/London").unwrap();
        let told = message(&signup("Jo Bloggs", false, false), london, URL).unwrap();
        assert_eq!(
            told,
            "Jo Bloggs signed up for Food bank (2026-07-04 09:00 BST).\nhttps://act.example.org/admin/shifts/s1"
        );
        assert!(!told.contains("jo@example.org"));
        let waiting = message(&signup("Jo", true, false), london, URL).unwrap();
        assert!(waiting.starts_with("Jo joined the waitlist for Food bank"), "{waiting}");
        let promoted = message(&signup("Jo", false, true), london, URL).unwrap();
        assert!(promoted.starts_with("Jo moved up from the waitlist"), "{promoted}");
    }

    #[test]
    fn a_move_is_one_message_naming_both_shifts() {
        let moved = |waitlisted: bool| {
            let Event::ShiftSignupCreated(mut e) = signup("Jo", waitlisted, false) else { unreachable!() };
            e.moved_from = Some(MovedFrom {
                shift_id: "s0".into(),
                title: "Food bank".into(),
                starts_at: "2026-07-03T08:00:00Z".into(),
            });
            Event::ShiftSignupCreated(e)
        };
        let told = message(&moved(false), Zone::UTC, URL).unwrap();
        assert_eq!(
            told,
            "Jo moved from Food bank (2026-07-03 08:00 UTC) to Food bank (2026-07-04 08:00 UTC).\n\
             https://act.example.org/admin/shifts/s1"
        );
        let waiting = message(&moved(true), Zone::UTC, URL).unwrap();
        assert!(waiting.contains("to the waitlist for Food bank (2026-07-04"), "{waiting}");
    }

    #[test]
    fn a_cancelled_shift_does_not_post_once_per_volunteer() {
        let cancelled = |reason: &str| {
            Event::ShiftSignupCancelled(ShiftSignupCancelled {
                shift_title: "Food bank".into(),
                name: "Jo".into(),
                reason: reason.into(),
                ..Default::default()
            })
        };
        assert!(message(&cancelled("VOLUNTEER"), Zone::UTC, URL).unwrap().starts_with("Jo cancelled"));
        assert!(message(&cancelled("ADMIN"), Zone::UTC, URL).unwrap().contains("by an organiser"));
        assert_eq!(message(&cancelled("MOVED"), Zone::UTC, URL), None, "its new sign-up tells of the move");
        assert_eq!(message(&cancelled("SHIFT_CANCELLED"), Zone::UTC, URL), None);
        assert_eq!(message(&cancelled("SHIFT_DELETED"), Zone::UTC, URL), None);
    }

    #[test]
    fn donations_give_the_amount_and_not_the_donor() {
        let gift = Event::DonationCompleted(DonationCompleted {
            donor_name: "Sam Giver".into(),
            donor_email: "sam@example.org".into(),
            amount_cents: 250_000,
            currency: "cad".into(),
            recurring: true,
            ..Default::default()
        });
        assert_eq!(message(&gift, Zone::UTC, URL).unwrap(), "A monthly donation of $2,500.00 CAD came in.");
    }

    #[test]
    fn only_texts_that_need_a_reply_are_posted() {
        let text = |sentiment: &str| {
            Event::SmsMessageReceived(SmsMessageReceived {
                from: "+15550100".into(),
                body: "When is the\nnext meeting?".into(),
                sentiment: sentiment.into(),
                ..Default::default()
            })
        };
        assert_eq!(
            message(&text("QUESTION"), Zone::UTC, URL).unwrap(),
            "A text from +15550100 needs a reply (a question): When is the next meeting?"
        );
        assert!(message(&text("NEGATIVE"), Zone::UTC, URL).is_some());
        assert_eq!(message(&text("POSITIVE"), Zone::UTC, URL), None);
    }

    #[test]
    fn what_the_public_typed_cannot_ping_the_channel_or_run_on() {
        let told = message(&signup("@all come\nnow", false, false), Zone::UTC, URL).unwrap();
        assert!(told.starts_with("@\u{200b}all come now signed up"), "{told}");
        let long = Event::SystemTest(SystemTest { message: "x".repeat(1000) });
        assert!(message(&long, Zone::UTC, URL).unwrap().chars().count() < 400);
    }
}
