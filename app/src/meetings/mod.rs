//! Meetings (SPEC §2 "meetings"): the group's internal meetings — a title, when, where and an
//! agenda — kept beside shifts and ticketed events on the admin calendar. People invited by
//! email get the meeting's calendar file and a private link to say whether they will come, and
//! are told when it changes or is cancelled. Afterwards, its minutes are written and emailed
//! to them.
//! Shared types and server functions here, rules in `service.rs`, pages in `ui.rs`.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;
use crate::users::Role;

#[cfg(feature = "ssr")]
pub mod service;
pub mod ui;

/// Who runs meetings (SUPER_ADMIN satisfies every requirement).
pub const MANAGERS: &[Role] = &[Role::Admin, Role::EventsAdmin];

/// Who may invite everyone with a contact tag: it reads contacts' addresses, so those who run
/// meetings and may read contacts.
pub const TAG_INVITERS: &[Role] = &[Role::Admin];

pub const TITLE_MAX_CHARS: usize = 200;
pub const AGENDA_MAX_CHARS: usize = 5_000;
pub const MINUTES_MAX_CHARS: usize = 20_000;
pub const LOCATION_MAX_CHARS: usize = 300;
/// The most people a meeting can have invited.
pub const ATTENDEES_MAX: usize = 100;

/// A meeting as the admin pages show it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Meeting {
    pub id: String,
    pub title: String,
    pub agenda: String,
    /// A room, an address or a video call's link.
    pub location: String,
    pub starts_at: i64,
    pub ends_at: i64,
    /// "Tue 8 Dec 2026, 18:00–19:30 EST", in the organisation's time zone.
    pub when: String,
    /// The form's local date and times, `YYYY-MM-DD` and `HH:MM`.
    pub date: String,
    pub start_time: String,
    pub end_time: String,
    /// Whether it ends on the day after its date (the form's "Overnight" box).
    pub ends_next_day: bool,
    /// Whether it has ended (when it was read).
    pub over: bool,
    /// How many times it was saved; the edit form sends it back.
    pub edits: i64,
    /// What was said and decided, as the organisers wrote it.
    pub minutes: String,
    /// How many times the minutes were saved; their form sends it back.
    pub minutes_edits: i64,
    /// When the minutes were last emailed, and to how many: "5 people on 2026-12-06 14:02 GMT".
    pub minutes_sent: Option<String>,
}

impl Meeting {
    /// What the list says of a meeting that is over: whether its minutes were written and
    /// emailed; `None` before it ends.
    pub fn minutes_state(&self) -> Option<&'static str> {
        match (self.over, self.minutes_sent.is_some(), self.minutes.is_empty()) {
            (false, _, _) => None,
            (true, true, _) => Some("Minutes emailed"),
            (true, false, false) => Some("Minutes written, not emailed yet"),
            (true, false, true) => Some("No minutes yet"),
        }
    }
}

/// The create/edit form as typed.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct MeetingForm {
    pub title: String,
    #[serde(default)]
    pub agenda: String,
    pub location: String,
    pub date: String,
    pub start_time: String,
    pub end_time: String,
    /// Ticked ("Overnight"): the end time is on the day after the date.
    #[serde(default)]
    pub ends_next_day: bool,
    /// Editing: the meeting's `edits` when the form was opened. When given, a save is refused
    /// if someone else saved the meeting since, so that it cannot undo their changes unseen.
    #[serde(default)]
    pub edits: Option<i64>,
}

/// Someone invited to a meeting.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Attendee {
    pub email: String,
    /// The local day they were invited.
    pub invited_on: String,
    /// Their answer; `None` until they give one (and again once the meeting's time changes).
    pub reply: Option<Reply>,
}

/// Whether someone invited will come, as they said through their invitation's link.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Reply {
    Yes,
    No,
}

impl Reply {
    pub fn as_str(self) -> &'static str {
        match self {
            Reply::Yes => "YES",
            Reply::No => "NO",
        }
    }

    pub fn parse(text: &str) -> Option<Reply> {
        match text {
            "YES" => Some(Reply::Yes),
            "NO" => Some(Reply::No),
            _ => None,
        }
    }

    /// How the organisers' list shows it.
    pub fn label(self) -> &'static str {
        match self {
            Reply::Yes => "Coming",
            Reply::No => "Not coming",
        }
    }
}

/// What the page of an invitation's reply link shows: the meeting, whose invitation it is
/// (the address partly hidden, as the link may have been forwarded) and their answer so far.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Invitation {
    pub organisation: String,
    pub title: String,
    pub when: String,
    pub location: String,
    pub agenda: String,
    pub email_hint: String,
    /// The minutes, once written.
    pub minutes: String,
    pub reply: Option<Reply>,
    /// Whether the meeting has ended: then no answer is taken.
    pub over: bool,
}

/// What an invitation did: how many were invited now, and how many had been already.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Invited {
    pub invited: usize,
    pub already: usize,
}

/// The list's filter: part of the title, coming meetings (soonest first) or past ones (latest
/// first), the page.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct MeetingFilter {
    pub search: String,
    pub past: bool,
    pub page: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MeetingPage {
    pub rows: Vec<Meeting>,
    pub page: i64,
    pub has_more: bool,
    pub count: i64,
}

#[cfg(feature = "ssr")]
impl From<service::MeetingError> for AppError {
    fn from(err: service::MeetingError) -> AppError {
        use service::MeetingError;
        match err {
            MeetingError::Invalid(errors) => AppError::Invalid(errors),
            MeetingError::NotFound => AppError::NotFound("There is no such meeting.".into()),
            MeetingError::NotInvited => {
                AppError::NotFound("That person is not invited to this meeting.".into())
            }
            MeetingError::BadLink => AppError::NotFound(
                "This link is not valid: the invitation was withdrawn, or the meeting deleted.".into(),
            ),
            MeetingError::Over => AppError::Conflict("This meeting is over.".into()),
            MeetingError::NoMinutes => AppError::Conflict("Write and save the minutes first.".into()),
            MeetingError::NobodyInvited => AppError::Conflict(
                "Nobody is invited to this meeting: there is no one to email the minutes to.".into(),
            ),
            MeetingError::ChangedMeanwhile => AppError::changed_meanwhile("this meeting", "Reload the page"),
            MeetingError::Database(e) => crate::auth::internal(e),
        }
    }
}

#[server(prefix = "/api", endpoint = "meetings/list")]
pub async fn list_meetings(#[server(default)] filter: MeetingFilter) -> Result<MeetingPage, AppError> {
    crate::auth::require_role(MANAGERS).await?;
    let state = crate::state::app_state()?;
    Ok(service::list(&state.db, &filter, crate::db::now_unix()).await?)
}

#[server(prefix = "/api", endpoint = "meetings/get")]
pub async fn get_meeting(id: String) -> Result<Meeting, AppError> {
    crate::auth::require_role(MANAGERS).await?;
    let state = crate::state::app_state()?;
    Ok(service::find(&state.db, &id).await?)
}

/// Creates (empty `id`) or updates a meeting.
#[server(prefix = "/api", endpoint = "meetings/save")]
pub async fn save_meeting(#[server(default)] id: String, form: MeetingForm) -> Result<Meeting, AppError> {
    let user = crate::auth::require_role(MANAGERS).await?;
    let state = crate::state::app_state()?;
    let actor = crate::events::Actor::User(user.id);
    let saved =
        service::save(&state.bus, &state.secret_key, &actor, &id, &form, crate::db::now_unix()).await?;
    crate::request::after_plain_form_post(&format!("/admin/meetings/{}", saved.id));
    Ok(saved)
}

/// Saves the meeting's minutes; `edits` is their `minutes_edits` when the form was opened (a
/// save over another's is refused, 409).
#[server(prefix = "/api", endpoint = "meetings/save-minutes")]
pub async fn save_meeting_minutes(id: String, minutes: String, edits: i64) -> Result<Meeting, AppError> {
    let user = crate::auth::require_role(MANAGERS).await?;
    let state = crate::state::app_state()?;
    let actor = crate::events::Actor::User(user.id);
    Ok(service::save_minutes(&state.db, &actor, &id, &minutes, edits).await?)
}

/// Emails the saved minutes to everyone invited; answers how many.
#[server(prefix = "/api", endpoint = "meetings/send-minutes")]
pub async fn send_meeting_minutes(id: String) -> Result<usize, AppError> {
    let user = crate::auth::require_role(MANAGERS).await?;
    let state = crate::state::app_state()?;
    let actor = crate::events::Actor::User(user.id);
    Ok(service::send_minutes(&state.db, &actor, &id, crate::db::now_unix()).await?)
}

#[server(prefix = "/api", endpoint = "meetings/delete")]
pub async fn delete_meeting(id: String) -> Result<(), AppError> {
    let user = crate::auth::require_role(MANAGERS).await?;
    let state = crate::state::app_state()?;
    Ok(service::delete(&state.bus, &state.secret_key, &crate::events::Actor::User(user.id), &id).await?)
}

/// The people invited to a meeting, by email.
#[server(prefix = "/api", endpoint = "meetings/attendees")]
pub async fn meeting_attendees(id: String) -> Result<Vec<Attendee>, AppError> {
    crate::auth::require_role(MANAGERS).await?;
    let state = crate::state::app_state()?;
    Ok(service::attendees(&state.db, &id).await?)
}

/// Invites the addresses in `emails` (separated by commas, semicolons, spaces or new lines).
#[server(prefix = "/api", endpoint = "meetings/invite")]
pub async fn invite_to_meeting(id: String, emails: String) -> Result<Invited, AppError> {
    let user = crate::auth::require_role(MANAGERS).await?;
    let state = crate::state::app_state()?;
    let actor = crate::events::Actor::User(user.id);
    let now = crate::db::now_unix();
    let invited = service::invite(&state.bus, &state.secret_key, &actor, &id, &emails, now).await?;
    crate::request::after_plain_form_post(&format!("/admin/meetings/{id}"));
    Ok(invited)
}

/// Invites every contact with the contact tag `tag` who takes email from the group.
#[server(prefix = "/api", endpoint = "meetings/invite-tag")]
pub async fn invite_tagged_to_meeting(id: String, tag: String) -> Result<Invited, AppError> {
    let user = crate::auth::require_role(TAG_INVITERS).await?;
    let state = crate::state::app_state()?;
    let actor = crate::events::Actor::User(user.id);
    let now = crate::db::now_unix();
    let invited = service::invite_tagged(&state.bus, &state.secret_key, &actor, &id, &tag, now).await?;
    crate::request::after_plain_form_post(&format!("/admin/meetings/{id}"));
    Ok(invited)
}

/// Takes someone off a meeting's invitations; they are emailed that they are no longer expected.
#[server(prefix = "/api", endpoint = "meetings/uninvite")]
pub async fn uninvite_from_meeting(id: String, email: String) -> Result<(), AppError> {
    let user = crate::auth::require_role(MANAGERS).await?;
    let state = crate::state::app_state()?;
    let actor = crate::events::Actor::User(user.id);
    let now = crate::db::now_unix();
    Ok(service::uninvite(&state.bus, &state.secret_key, &actor, &id, &email, now).await?)
}

/// What an invitation's reply link (from the invitation email) is for; 404 for a wrong link,
/// or one whose invitation was withdrawn.
#[server(prefix = "/api", endpoint = "meetings/invitation")]
pub async fn get_meeting_invitation(token: String) -> Result<Invitation, AppError> {
    let state = crate::state::app_state()?;
    Ok(service::invitation(&state.db, &state.secret_key, &token, crate::db::now_unix()).await?)
}

/// Records whether the person an invitation's link names will come; answering again changes
/// the answer. 409 once the meeting is over.
#[server(prefix = "/api", endpoint = "meetings/reply")]
pub async fn reply_to_meeting(token: String, reply: Reply) -> Result<(), AppError> {
    let state = crate::state::app_state()?;
    service::reply(&state.bus, &state.secret_key, &token, reply, crate::db::now_unix()).await?;
    crate::request::after_plain_form_post(&format!("/meetings/reply?token={}", crate::ui::urlencode(&token)));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_list_says_whether_a_past_meetings_minutes_were_written_and_emailed() {
        let meeting = |over: bool, minutes: &str, sent: Option<&str>| Meeting {
            id: "m".into(),
            title: "Board".into(),
            agenda: String::new(),
            location: "Library".into(),
            starts_at: 0,
            ends_at: 3_600,
            when: String::new(),
            date: String::new(),
            start_time: String::new(),
            end_time: String::new(),
            ends_next_day: false,
            over,
            edits: 0,
            minutes: minutes.into(),
            minutes_edits: 0,
            minutes_sent: sent.map(str::to_string),
        };
        assert_eq!(meeting(false, "Agreed", None).minutes_state(), None);
        assert_eq!(meeting(true, "", None).minutes_state(), Some("No minutes yet"));
        assert_eq!(meeting(true, "Agreed", None).minutes_state(), Some("Minutes written, not emailed yet"));
        assert_eq!(
            meeting(true, "Agreed", Some("2 people on 2026-12-06 14:00 UTC")).minutes_state(),
            Some("Minutes emailed")
        );
    }
}
