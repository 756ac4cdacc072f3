//! Contacts, the CRM (SPEC §2 "contacts"): people matched by email from every place they
//! appear, their tags, and the activity timeline the CRM-activity listener writes. Shared
//! types and server functions here, rules in `service.rs`, the listener in `activity.rs`,
//! organisers' notes in `notes.rs`, pages in `ui.rs`.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;
use crate::users::Role;

#[cfg(feature = "ssr")]
pub mod activity;
#[cfg(feature = "ssr")]
pub mod erasure;
#[cfg(feature = "ssr")]
pub mod notes;
#[cfg(feature = "ssr")]
pub mod personal_data;
#[cfg(feature = "ssr")]
pub mod service;
pub mod ui;

/// Who changes contacts (SUPER_ADMIN satisfies every requirement).
pub const MANAGERS: &[Role] = &[Role::Admin];
/// Who may read them: also payments admins, who follow a payment to its supporter.
pub const VIEWERS: &[Role] = &[Role::Admin, Role::PaymentsAdmin];

/// The largest file an import takes (about 90,000 contacts as our export writes them): the
/// page checks it before sending, the server again. Other requests are limited to 1 MiB.
pub const IMPORT_MAX_BYTES: usize = 8 * 1024 * 1024;
/// How the limit reads in messages.
pub const IMPORT_MAX_TEXT: &str = "8 MB";
/// The largest request body of an import's preview and start: twice the file, as JSON writes
/// each of a CSV's quotes as two characters.
pub const IMPORT_MAX_REQUEST_BYTES: usize = 2 * IMPORT_MAX_BYTES;

/// Whether `path` is that of an import's preview or start, whose requests carry the file.
pub fn is_import_path(path: &str) -> bool {
    matches!(path, "/api/contacts/import/preview" | "/api/contacts/import/start")
}

/// A contact as the list shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Contact {
    pub id: String,
    pub name: String,
    pub email: String,
    pub phone: Option<String>,
    /// Where the contact first appeared: `SHIFT_SIGNUP`, `DONATION`, `IMPORT`…
    pub source: String,
    /// `YYYY-MM-DD`, the organisation's day (UTC in the CSV).
    pub created: String,
    pub tags: Vec<String>,
    /// The engagement score: the points of every activity on the timeline.
    pub score: i64,
    /// `YYYY-MM-DD` (the organisation's day) they followed a bulk email's unsubscribe link;
    /// no bulk email goes to them since.
    pub unsubscribed: Option<String>,
    /// How many times their name, email or phone changed; the edit form sends it back.
    pub edits: i64,
}

/// The list's filters; each may be left out.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ContactFilter {
    /// Part of the name or email.
    pub search: String,
    pub tag: String,
    pub page: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ContactPage {
    pub rows: Vec<Contact>,
    pub page: i64,
    pub has_more: bool,
    /// Contacts matching the filter.
    pub count: i64,
}

/// A tag contacts hold, and how many hold it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TagInUse {
    pub tag: String,
    pub contacts: i64,
}

/// The periods the leaderboard ranks over, in days (0: all time).
pub const LEADERBOARD_PERIODS: [(i64, &str); 4] =
    [(30, "Last 30 days"), (90, "Last 90 days"), (365, "Last year"), (0, "All time")];
/// Contacts the leaderboard shows.
pub const LEADERBOARD_SIZE: i64 = 50;

/// A contact on the engagement leaderboard: their points over the period.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LeaderboardRow {
    /// 1 for the highest score; equal scores share a rank.
    pub rank: i64,
    pub contact_id: String,
    pub name: String,
    pub email: String,
    pub score: i64,
    /// Activities in the period.
    pub activities: i64,
    /// The organisation's day of their latest activity, `YYYY-MM-DD`.
    pub last_active: String,
}

/// One row of a contact's activity timeline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Activity {
    /// "2026-11-29 10:46 GMT", in the organisation's time zone.
    pub at: String,
    pub topic: String,
    pub summary: String,
    pub points: i64,
}

/// A shift sign-up on a contact's page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ContactSignup {
    pub shift_id: String,
    pub shift_title: String,
    /// In the organisation's time zone, as the shift's pages show it: "Thu 4 Jul 2030, 09:00 BST".
    pub starts: String,
    pub status: String,
    /// Whether they came, once an organiser marked it.
    pub attendance: Option<crate::shifts::Attendance>,
}

/// A donation, order or subscription on a contact's page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ContactPayment {
    /// `donation`, `order` or `subscription`.
    pub kind: String,
    /// The frequency, product or plan.
    pub what: String,
    pub amount_cents: i64,
    pub refunded_cents: i64,
    pub status: String,
    /// "2026-11-29 10:46 GMT", in the organisation's time zone.
    pub created: String,
}

/// An email on a contact's page: one the contact sent through a campaign, or one we sent
/// them (confirmations, receipts, re-engagement).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ContactEmail {
    /// "2026-11-29 10:46 GMT", in the organisation's time zone.
    pub at: String,
    /// `campaign` (sent by the contact) or `outbox` (sent to them).
    pub kind: String,
    /// The campaign's title or the email's subject.
    pub about: String,
    /// For a campaign email, the campaign's id (its admin page).
    pub campaign_id: Option<String>,
    /// Campaign emails: how many representatives it went to; outbox: 1.
    pub recipients: i64,
    /// Outbox emails: `PENDING`, `SENT` or `FAILED`; campaign emails: `SENT`.
    pub status: String,
}

/// Everything a contact's page shows. Each list comes a page at a time, newest first
/// (`ContactPages`): a supporter of years may have hundreds of each.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ContactDetail {
    pub contact: Contact,
    pub activity: Vec<Activity>,
    pub activity_paging: Paging,
    pub signups: Vec<ContactSignup>,
    pub signups_paging: Paging,
    /// The shifts they have done and their hours, "3 shifts, 7.5 hours"; `None` before the first.
    pub volunteered: Option<String>,
    pub payments: Vec<ContactPayment>,
    pub payments_paging: Paging,
    pub tickets: Vec<crate::ticketed_events::ContactTicket>,
    pub tickets_paging: Paging,
    pub emails: Vec<ContactEmail>,
    pub emails_paging: Paging,
    pub notes: Vec<ContactNote>,
    pub notes_paging: Paging,
}

/// The longest note on a contact.
pub const NOTE_MAX_CHARS: usize = 2_000;

/// A note an organiser wrote about a contact ("Called: would host a house party").
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ContactNote {
    pub id: String,
    pub body: String,
    /// Who wrote it: their name, or "A former team member" once their account is gone.
    pub author: String,
    /// Their account's id, while it exists: only they may rewrite the note.
    pub author_id: Option<String>,
    /// "2026-11-29 10:46 GMT", in the organisation's time zone.
    pub at: String,
    /// When its author last rewrote it, likewise.
    pub edited: Option<String>,
}

/// Which page of each of a contact's lists to show (below 1 or left out: the first).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ContactPages {
    pub activity: i64,
    pub signups: i64,
    pub tickets: i64,
    pub payments: i64,
    pub emails: i64,
    pub notes: i64,
}

/// Where one of a contact's paged lists is: the page shown, and whether more follow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Paging {
    pub page: i64,
    pub has_more: bool,
}

/// A contact's details as an organiser types them: adding someone met outside the app, or
/// correcting a contact.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ContactForm {
    pub name: String,
    pub email: String,
    /// Optional; empty removes it.
    #[serde(default)]
    pub phone: String,
    /// Correcting: the contact's `edits` when the form was opened. When given, a save is
    /// refused if their details changed since (someone else's edit, an account's new email, a
    /// merge, an import), so that it cannot put the old ones back unseen.
    #[serde(default)]
    pub edits: Option<i64>,
}

/// What the unsubscribe page shows for a link: whose it is (the email partly hidden, as the
/// link may have been forwarded) and whether they already left.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UnsubscribeStatus {
    pub email_hint: String,
    pub organisation: String,
    pub unsubscribed: bool,
}

/// One good row of an import file, as the preview shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ImportRowView {
    pub line: usize,
    pub name: String,
    pub email: String,
    pub phone: String,
    pub tags: Vec<String>,
}

/// What importing a file would do.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ImportPreview {
    /// Rows after the header.
    pub rows: i64,
    pub new_contacts: i64,
    /// Good rows whose email is already a contact's: they gain the row's tags.
    pub existing_contacts: i64,
    /// The first good rows.
    pub sample: Vec<ImportRowView>,
    /// Every bad row, by line; these are skipped.
    pub problems: Vec<crate::jobs::LineProblem>,
}

/// Tags are lower case, 1–40 letters, digits, spaces, `-` or `_`; `None` for anything else.
pub fn normalise_tag(text: &str) -> Option<String> {
    let tag = text.split_whitespace().collect::<Vec<_>>().join(" ").to_lowercase();
    let allowed = |c: char| c.is_alphanumeric() || matches!(c, ' ' | '-' | '_');
    (!tag.is_empty() && tag.chars().count() <= 40 && tag.chars().all(allowed)).then_some(tag)
}

#[cfg(feature = "ssr")]
impl From<service::ContactError> for AppError {
    fn from(err: service::ContactError) -> AppError {
        use service::ContactError;
        match err {
            ContactError::Invalid(errors) => AppError::Invalid(errors),
            ContactError::NotFound => AppError::NotFound("There is no such contact.".into()),
            ContactError::NoteNotFound => {
                AppError::NotFound("There is no such note: it may have been deleted.".into())
            }
            ContactError::NotTheNoteAuthor => AppError::Conflict(
                "Only its author changes a note, so that nobody's words are put under another's name: add a note of your own."
                    .into(),
            ),
            ContactError::Erased(day) => {
                AppError::NotFound(format!("This contact's personal data was erased on {day}."))
            }
            ContactError::StillNeeded(reasons) => AppError::Conflict(format!("Not erased yet. {reasons}")),
            ContactError::ChangedMeanwhile => AppError::changed_meanwhile("this contact", "Reload the page"),
            ContactError::EmailTaken => AppError::invalid(
                "email",
                "A contact with this email already exists. To make two contacts one, merge them on the contact's page.",
            ),
            ContactError::Database(e) => crate::auth::internal(e),
        }
    }
}

/// Contacts, newest first, 50 a page.
#[server(prefix = "/api", endpoint = "contacts/list")]
pub async fn list_contacts(#[server(default)] filter: ContactFilter) -> Result<ContactPage, AppError> {
    crate::auth::require_role(VIEWERS).await?;
    let state = crate::state::app_state()?;
    Ok(service::list(&state.db, &filter).await?)
}

/// The tags contacts hold, by name, each with how many hold it: what tag fields suggest.
#[server(prefix = "/api", endpoint = "contacts/tags-in-use")]
pub async fn tags_in_use() -> Result<Vec<TagInUse>, AppError> {
    crate::auth::require_role(VIEWERS).await?;
    let state = crate::state::app_state()?;
    Ok(service::tags_in_use(&state.db).await?)
}

/// The most engaged contacts over the last `period_days` days (0: all time), highest score first.
#[server(prefix = "/api", endpoint = "contacts/leaderboard")]
pub async fn contacts_leaderboard(
    #[server(default)] period_days: i64,
) -> Result<Vec<LeaderboardRow>, AppError> {
    crate::auth::require_role(VIEWERS).await?;
    let state = crate::state::app_state()?;
    Ok(service::leaderboard(&state.db, period_days, crate::db::now_unix()).await?)
}

/// `pages` (`pages[signups]=2`…) says which page of each list to show (left out: the first).
#[server(prefix = "/api", endpoint = "contacts/get")]
pub async fn get_contact(
    id: String,
    #[server(default)] pages: ContactPages,
) -> Result<ContactDetail, AppError> {
    crate::auth::require_role(VIEWERS).await?;
    let state = crate::state::app_state()?;
    Ok(service::detail(&state.db, &id, pages).await?)
}

/// Adds a contact (source `ADMIN`); answers with their id. Sent by the browser itself, the
/// form ends on the new contact's page.
#[server(prefix = "/api", endpoint = "contacts/create")]
pub async fn create_contact(form: ContactForm) -> Result<String, AppError> {
    let user = crate::auth::require_role(MANAGERS).await?;
    let state = crate::state::app_state()?;
    let id = service::create(&state.bus, &crate::events::Actor::User(user.id), &form).await?;
    crate::request::after_plain_form_post(&format!("/admin/contacts/{id}"));
    Ok(id)
}

/// Corrects a contact's name, email and phone; answers with the contact's `edits` after.
#[server(prefix = "/api", endpoint = "contacts/update")]
pub async fn update_contact(id: String, form: ContactForm) -> Result<i64, AppError> {
    let user = crate::auth::require_role(MANAGERS).await?;
    let state = crate::state::app_state()?;
    let edits = service::update(&state.bus, &crate::events::Actor::User(user.id), &id, &form).await?;
    crate::request::after_plain_form_post(&format!("/admin/contacts/{id}"));
    Ok(edits)
}

/// What an unsubscribe link (from a bulk email's footer) is for; 404 for a wrong link.
#[server(prefix = "/api", endpoint = "contacts/unsubscribe-status")]
pub async fn get_unsubscribe_status(token: String) -> Result<UnsubscribeStatus, AppError> {
    let state = crate::state::app_state()?;
    Ok(service::unsubscribe_status(&state.db, &state.secret_key, &token).await?)
}

/// Stops bulk emails to the contact an unsubscribe link names; again changes nothing.
#[server(prefix = "/api", endpoint = "contacts/unsubscribe")]
pub async fn unsubscribe(token: String) -> Result<(), AppError> {
    let state = crate::state::app_state()?;
    service::set_unsubscribed(&state.bus, &state.secret_key, &token, true).await?;
    crate::request::after_plain_form_post(&format!("/unsubscribe?token={}", crate::ui::urlencode(&token)));
    Ok(())
}

/// Undoes an unsubscribe, with the same link (someone who pressed it by mistake).
#[server(prefix = "/api", endpoint = "contacts/resubscribe")]
pub async fn resubscribe(token: String) -> Result<(), AppError> {
    let state = crate::state::app_state()?;
    service::set_unsubscribed(&state.bus, &state.secret_key, &token, false).await?;
    crate::request::after_plain_form_post(&format!("/unsubscribe?token={}", crate::ui::urlencode(&token)));
    Ok(())
}

/// Adds the tags in `add` and removes those in `remove` (each comma-separated, either may
/// be empty); answers with the tags now held.
#[server(prefix = "/api", endpoint = "contacts/tags")]
pub async fn change_contact_tags(
    id: String,
    #[server(default)] add: String,
    #[server(default)] remove: String,
) -> Result<Vec<String>, AppError> {
    let user = crate::auth::require_role(MANAGERS).await?;
    let state = crate::state::app_state()?;
    let actor = crate::events::Actor::User(user.id);
    let list =
        |text: &str| text.split(',').filter(|t| !t.trim().is_empty()).map(str::to_string).collect::<Vec<_>>();
    Ok(service::change_tags(&state.bus, &actor, &id, &list(&add), &list(&remove)).await?)
}

/// Gives tag `add` to, and takes tag `remove` from, every contact the list finds with
/// `filter` (all its pages); either may be empty, not both. Answers how many changed.
#[server(prefix = "/api", endpoint = "contacts/tag-all")]
pub async fn tag_all_contacts(
    #[server(default)] filter: ContactFilter,
    #[server(default)] add: String,
    #[server(default)] remove: String,
) -> Result<i64, AppError> {
    let user = crate::auth::require_role(MANAGERS).await?;
    let state = crate::state::app_state()?;
    let actor = crate::events::Actor::User(user.id);
    Ok(service::tag_all(&state.bus, &actor, &filter, &add, &remove).await?)
}

/// Writes a note on contact `id`, signed with the organiser's name.
#[server(prefix = "/api", endpoint = "contacts/add-note")]
pub async fn add_contact_note(id: String, body: String) -> Result<(), AppError> {
    let user = crate::auth::require_role(MANAGERS).await?;
    let state = crate::state::app_state()?;
    notes::add(&state.db, &user.id, &id, &body).await?;
    crate::request::after_plain_form_post(&format!("/admin/contacts/{id}"));
    Ok(())
}

/// Rewrites a note the organiser wrote; it then says when it was edited.
#[server(prefix = "/api", endpoint = "contacts/edit-note")]
pub async fn edit_contact_note(note_id: String, body: String) -> Result<(), AppError> {
    let user = crate::auth::require_role(MANAGERS).await?;
    let state = crate::state::app_state()?;
    let contact_id = notes::edit(&state.db, &user.id, &note_id, &body).await?;
    crate::request::after_plain_form_post(&format!("/admin/contacts/{contact_id}"));
    Ok(())
}

/// Deletes a note (any organiser may: the audit log keeps who deleted whose).
#[server(prefix = "/api", endpoint = "contacts/delete-note")]
pub async fn delete_contact_note(note_id: String) -> Result<(), AppError> {
    let user = crate::auth::require_role(MANAGERS).await?;
    let state = crate::state::app_state()?;
    let actor = crate::events::Actor::User(user.id);
    Ok(notes::delete(&state.db, &actor, &note_id).await?)
}

/// Merges the contact with `duplicate_email` into `survivor`: every sign-up, payment,
/// activity and tag moves to the survivor and the duplicate is deleted.
#[server(prefix = "/api", endpoint = "contacts/merge")]
pub async fn merge_contacts(survivor: String, duplicate_email: String) -> Result<(), AppError> {
    let user = crate::auth::require_role(MANAGERS).await?;
    let state = crate::state::app_state()?;
    let actor = crate::events::Actor::User(user.id);
    let Some(duplicate) =
        service::id_by_email(&state.db, &duplicate_email).await.map_err(crate::auth::internal)?
    else {
        return Err(AppError::invalid("duplicate_email", "No contact has this email."));
    };
    Ok(service::merge(&state.bus, &actor, &survivor, &duplicate).await?)
}

/// Erases the contact's personal data, for someone who asked to be forgotten; `confirm_email`
/// is their email, typed again by the admin. Refused (409, nothing changed) while an account,
/// a monthly donation, an upcoming shift or event, or a text campaign still needs them.
#[server(prefix = "/api", endpoint = "contacts/erase")]
pub async fn erase_contact(id: String, confirm_email: String) -> Result<(), AppError> {
    let user = crate::auth::require_role(MANAGERS).await?;
    let state = crate::state::app_state()?;
    let actor = crate::events::Actor::User(user.id);
    erasure::erase(&state.bus, &actor, &id, &confirm_email).await?;
    crate::request::after_plain_form_post(&format!("/admin/contacts/{id}"));
    Ok(())
}

/// What importing the CSV `csv` would do; nothing changes.
#[server(prefix = "/api", endpoint = "contacts/import/preview", input = server_fn::codec::Json)]
pub async fn preview_contact_import(csv: String) -> Result<ImportPreview, AppError> {
    crate::auth::require_role(MANAGERS).await?;
    let state = crate::state::app_state()?;
    Ok(service::preview_import(&state.db, &csv).await?)
}

/// Starts importing the CSV `csv`; answers with the background job to follow.
#[server(prefix = "/api", endpoint = "contacts/import/start", input = server_fn::codec::Json)]
pub async fn start_contact_import(csv: String) -> Result<String, AppError> {
    let user = crate::auth::require_role(MANAGERS).await?;
    let state = crate::state::app_state()?;
    let actor = crate::events::Actor::User(user.id);
    Ok(service::start_import(&state.bus, &actor, &csv).await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_are_tidied_or_refused() {
        assert_eq!(normalise_tag("  Monthly   Donor "), Some("monthly donor".to_string()));
        assert_eq!(normalise_tag("ward-7_lead"), Some("ward-7_lead".to_string()));
        assert_eq!(normalise_tag("Bénévole"), Some("bénévole".to_string()));
        for bad in ["", "   ", "a,b", "<script>", &"x".repeat(41)] {
            assert_eq!(normalise_tag(bad), None, "{bad}");
        }
    }
}
