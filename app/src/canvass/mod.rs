//! Canvassing (SPEC §2 "canvass"): the addresses the group knocks on, the sessions canvassers
//! walk, and the visits they record with an outcome. Admins keep the address list and read the
//! results; any signed-in volunteer canvasses from `/canvass`. Shared types and server
//! functions here, rules in `service.rs`, pages in `ui.rs`.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;
use crate::users::Role;

#[cfg(feature = "ssr")]
pub mod service;
pub mod ui;

/// Who keeps the address list and reads sessions and visits (SUPER_ADMIN satisfies every
/// requirement). Anyone signed in may canvass.
pub const MANAGERS: &[Role] = &[Role::Admin];

pub const STREET_MAX_CHARS: usize = 200;
pub const CITY_MAX_CHARS: usize = 100;
pub const POSTAL_CODE_MAX_CHARS: usize = 20;
pub const NOTES_MAX_CHARS: usize = 1_000;
/// Addresses added in one go from the box.
pub const IMPORT_MAX_LINES: usize = 500;
/// Addresses added from one file, in the background: a city's list.
pub const FILE_MAX_LINES: usize = 100_000;
/// The path of a file's import, whose request carries the file (up to a contacts import's
/// size, `crate::contacts::IMPORT_MAX_BYTES`).
pub const FILE_IMPORT_PATH: &str = "/api/canvass/import-addresses";
pub const TURF_NAME_MAX_CHARS: usize = 100;
/// Streets or postal codes one turf is made of, and the length of each.
pub const TURF_AREAS_MAX: usize = 50;
pub const TURF_AREA_MAX_CHARS: usize = 100;

/// What happened at a door.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Outcome {
    NotHome,
    Refused,
    Supporter,
    Undecided,
    Opposed,
    Moved,
}

impl Outcome {
    pub const ALL: [Outcome; 6] = [
        Outcome::NotHome,
        Outcome::Refused,
        Outcome::Supporter,
        Outcome::Undecided,
        Outcome::Opposed,
        Outcome::Moved,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::NotHome => "NOT_HOME",
            Outcome::Refused => "REFUSED",
            Outcome::Supporter => "SUPPORTER",
            Outcome::Undecided => "UNDECIDED",
            Outcome::Opposed => "OPPOSED",
            Outcome::Moved => "MOVED",
        }
    }

    pub fn parse(text: &str) -> Option<Outcome> {
        Outcome::ALL.into_iter().find(|o| o.as_str() == text)
    }

    pub fn label(self) -> &'static str {
        match self {
            Outcome::NotHome => "Not home",
            Outcome::Refused => "Did not want to talk",
            Outcome::Supporter => "Supporter",
            Outcome::Undecided => "Undecided",
            Outcome::Opposed => "Opposed",
            Outcome::Moved => "Moved away or empty",
        }
    }

    /// Whether someone talked with the canvasser: what a session counts as a conversation.
    pub fn is_conversation(self) -> bool {
        matches!(self, Outcome::Supporter | Outcome::Undecided | Outcome::Opposed)
    }
}

/// An address on the list, as the admin and canvassing pages show it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Address {
    pub id: String,
    pub street: String,
    pub city: String,
    pub postal_code: String,
    /// The last visit's outcome and its local date, if it has been visited.
    pub last_outcome: Option<Outcome>,
    pub last_visited: Option<String>,
    /// The latest notes a canvasser left at the door ("Dog: use the side gate"), for the next.
    pub last_notes: Option<String>,
    /// Whether a supporter there left their email (admins see who on the address's page).
    pub has_contact: bool,
    /// How many times it was corrected; the address's form sends it back.
    pub edits: i64,
}

/// The list's filter: part of the street or the postal code, a turf's id (empty for the whole
/// list), the last outcome (`Outcome::as_str`, `NOT_VISITED`, or empty for any), the page.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct AddressFilter {
    pub search: String,
    pub turf: String,
    pub outcome: String,
    pub page: i64,
}

/// The address list as CSV, in walking order: where each door is, how its last visit ended
/// and when (local day), the latest notes left there, and whether someone there left their
/// details (their contact is on the address's page).
pub fn addresses_csv(addresses: &[Address]) -> String {
    let mut out = String::from("street,city,postal_code,last_outcome,last_visited,last_notes,left_details\n");
    for a in addresses {
        out.push_str(&crate::csv::row(&[
            &a.street,
            &a.city,
            &a.postal_code,
            a.last_outcome.map_or("", |o| o.label()),
            a.last_visited.as_deref().unwrap_or_default(),
            a.last_notes.as_deref().unwrap_or_default(),
            if a.has_contact { "yes" } else { "no" },
        ]));
    }
    out
}

/// The outcome filter's value for addresses nobody has been to yet.
pub const NOT_VISITED: &str = "NOT_VISITED";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AddressPage {
    pub rows: Vec<Address>,
    pub page: i64,
    pub has_more: bool,
    pub count: i64,
    /// The organiser's list: how the addresses found by street and turf stand, whatever the
    /// outcome filter. `None` on a canvasser's walk.
    pub results: Option<Results>,
}

/// How many addresses last ended with each outcome, and how many nobody has been to yet.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Results {
    /// In `Outcome::ALL`'s order, every outcome (a zero too).
    pub by_outcome: Vec<(Outcome, i64)>,
    pub not_visited: i64,
}

/// An address's edit form as typed.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AddressForm {
    pub street: String,
    pub city: String,
    pub postal_code: String,
    /// Correcting: the address's `edits` when the form was opened. When given, a save is
    /// refused if someone else corrected the address since, so that it cannot undo theirs unseen.
    #[serde(default)]
    pub edits: Option<i64>,
}

/// What adding a list of addresses did.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AddressesAdded {
    pub added: i64,
    /// Lines naming an address already on the list (or twice in the list).
    pub already_listed: i64,
}

impl AddressesAdded {
    /// "Added 1,200 addresses; 3 already on the list.", as the box and a file's job say it.
    pub fn summary(&self) -> String {
        format!(
            "Added {}; {} already on the list.",
            crate::ui::count(self.added, "address"),
            crate::ui::thousands(self.already_listed)
        )
    }
}

/// One visit, as an address's page lists them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Visit {
    pub id: String,
    pub outcome: Outcome,
    pub notes: String,
    /// "2026-12-01 14:05 EST".
    pub visited: String,
    pub canvasser: String,
    /// The supporter who left their details, and their contact page.
    pub contact: Option<(String, String)>,
}

/// An address with everything recorded there, latest visit first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AddressDetail {
    pub address: Address,
    pub visits: Vec<Visit>,
}

/// A canvassing session, as the admin list and the canvasser's page show it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Session {
    pub id: String,
    /// The canvasser's name ("A deleted account" once their account is gone).
    pub canvasser: String,
    pub started: String,
    /// When it ended; `None` while it is still being walked.
    pub ended: Option<String>,
    pub doors_knocked: i64,
    pub conversations: i64,
    /// The name of the turf it walks; `None` for the whole list (or a turf since deleted).
    pub turf: Option<String>,
    /// While it is open, the latest visit recorded in it, which its canvasser may take back.
    pub last_visit: Option<LastVisit>,
}

/// The latest visit recorded in an open session.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LastVisit {
    pub id: String,
    pub street: String,
    pub outcome: Outcome,
    /// Whether its canvasser may take it back: not once someone left their name and email at
    /// it, which made or matched a contact (an organiser corrects that).
    pub undoable: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SessionPage {
    pub rows: Vec<Session>,
    pub page: i64,
    pub has_more: bool,
}

/// A turf: the part of the list canvassers walk in a round, so that two out at once do not
/// knock on the same doors. Its addresses are those whose street or postal code contains one
/// of its areas; a door is done once a canvasser on the turf found someone in or the place
/// empty (every outcome but "Not home", which stays to knock again).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Turf {
    pub id: String,
    pub name: String,
    /// "High St", "K1A 0B", as typed.
    pub areas: Vec<String>,
    /// The addresses on the list in it now.
    pub addresses: i64,
    /// Of those, the doors done.
    pub done: i64,
    /// Canvassers walking it now.
    pub out_now: i64,
    pub edits: i64,
    /// The canvassers an organiser asked to walk it, by name. Organisers only: empty on a
    /// canvasser's page.
    pub assigned: Vec<Assignee>,
}

/// A canvasser a turf is assigned to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Assignee {
    pub user_id: String,
    pub name: String,
    pub email: String,
}

/// A turf's form as typed: the areas one a line.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TurfForm {
    pub name: String,
    pub areas: String,
    /// Editing: the turf's `edits` when the form was opened (see `AddressForm::edits`).
    #[serde(default)]
    pub edits: Option<i64>,
}

/// The canvasser's page: their open session, if any, and the addresses still to knock on in
/// it (all of them, when no session is open), found by street or postal code; and the turfs
/// to choose from when starting, those assigned to them first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Walk {
    pub session: Option<Session>,
    pub to_visit: AddressPage,
    pub turfs: Vec<Turf>,
    /// The ids of the turfs an organiser asked this canvasser to walk.
    pub yours: Vec<String>,
}

/// A visit as the canvasser records it. Name and email are for a person who wants to hear
/// from the group; both or neither.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct VisitForm {
    pub address_id: String,
    pub outcome: String,
    #[serde(default)]
    pub notes: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub email: String,
}

#[cfg(feature = "ssr")]
impl From<service::CanvassError> for AppError {
    fn from(err: service::CanvassError) -> AppError {
        use service::CanvassError;
        match err {
            CanvassError::Invalid(errors) => AppError::Invalid(errors),
            CanvassError::NotFound(what) => AppError::NotFound(what.into()),
            CanvassError::Conflict(why) => AppError::Conflict(why.into()),
            CanvassError::ChangedMeanwhile(what) => AppError::changed_meanwhile(what, "Reload the page"),
            CanvassError::Database(e) => crate::auth::internal(e),
            CanvassError::Areas(e) => crate::auth::internal(e),
        }
    }
}

/// The signed-in canvasser, or 401.
#[cfg(feature = "ssr")]
async fn canvasser() -> Result<crate::auth::CurrentUser, AppError> {
    crate::auth::current_user().await?.ok_or(AppError::Unauthenticated)
}

#[server(prefix = "/api", endpoint = "canvass/addresses")]
pub async fn list_addresses(#[server(default)] filter: AddressFilter) -> Result<AddressPage, AppError> {
    crate::auth::require_role(MANAGERS).await?;
    let state = crate::state::app_state()?;
    Ok(service::addresses(&state.db, &filter, None).await?)
}

#[server(prefix = "/api", endpoint = "canvass/address")]
pub async fn get_address(id: String) -> Result<AddressDetail, AppError> {
    crate::auth::require_role(MANAGERS).await?;
    let state = crate::state::app_state()?;
    Ok(service::address_detail(&state.db, &id).await?)
}

/// Adds addresses, one a line: `street, city, postal code`.
#[server(prefix = "/api", endpoint = "canvass/add-addresses")]
pub async fn add_addresses(lines: String) -> Result<AddressesAdded, AppError> {
    let user = crate::auth::require_role(MANAGERS).await?;
    let state = crate::state::app_state()?;
    let actor = crate::events::Actor::User(user.id);
    Ok(service::add_addresses(&state.bus, &actor, &lines, crate::db::now_unix()).await?)
}

/// The rows of addresses `text` holds (typed in the box, or a file), read as CSV — so a
/// spreadsheet's file, its column names first and a street holding a comma in quotes, reads as
/// typed lines do — without those column names; or why it cannot be read.
pub fn address_rows(text: &str) -> Result<Vec<crate::csv::Record>, String> {
    let mut rows = crate::csv::parse(text)?;
    if rows.first().is_some_and(|row| is_column_names(&row.cells)) {
        rows.remove(0);
    }
    Ok(rows)
}

/// Whether `cells` are a spreadsheet's column names ("Street, City, Postal code"), not an
/// address: the last names the postal code.
fn is_column_names(cells: &[String]) -> bool {
    let last = cells
        .last()
        .map_or(String::new(), |cell| cell.to_lowercase().replace(|c: char| !c.is_ascii_alphanumeric(), ""));
    matches!(last.as_str(), "postalcode" | "postcode" | "zip" | "zipcode")
}

/// Adds the addresses of a file, one a line as in the box, in the background; answers with
/// the job to follow. A wrong line adds nothing.
#[server(prefix = "/api", endpoint = "canvass/import-addresses", input = server_fn::codec::Json)]
pub async fn import_addresses(lines: String) -> Result<String, AppError> {
    let user = crate::auth::require_role(MANAGERS).await?;
    let state = crate::state::app_state()?;
    let actor = crate::events::Actor::User(user.id);
    Ok(service::import_addresses(&state.bus, &actor, &lines).await?)
}

#[server(prefix = "/api", endpoint = "canvass/save-address")]
pub async fn save_address(id: String, form: AddressForm) -> Result<Address, AppError> {
    let user = crate::auth::require_role(MANAGERS).await?;
    let state = crate::state::app_state()?;
    let actor = crate::events::Actor::User(user.id);
    Ok(service::save_address(&state.bus, &actor, &id, &form, crate::db::now_unix()).await?)
}

/// Deletes an address no one has visited yet (one with visits keeps its history).
#[server(prefix = "/api", endpoint = "canvass/delete-address")]
pub async fn delete_address(id: String) -> Result<(), AppError> {
    let user = crate::auth::require_role(MANAGERS).await?;
    let state = crate::state::app_state()?;
    Ok(service::delete_address(&state.bus, &crate::events::Actor::User(user.id), &id).await?)
}

/// Every turf, by name, with how far its round has got.
#[server(prefix = "/api", endpoint = "canvass/turfs")]
pub async fn list_turfs() -> Result<Vec<Turf>, AppError> {
    crate::auth::require_role(MANAGERS).await?;
    let state = crate::state::app_state()?;
    Ok(service::turfs(&state.db).await?)
}

#[server(prefix = "/api", endpoint = "canvass/turf")]
pub async fn get_turf(id: String) -> Result<Turf, AppError> {
    crate::auth::require_role(MANAGERS).await?;
    let state = crate::state::app_state()?;
    Ok(service::turf(&state.db, &id).await?)
}

/// Creates a turf (`id` empty) or changes one.
#[server(prefix = "/api", endpoint = "canvass/save-turf")]
pub async fn save_turf(#[server(default)] id: String, form: TurfForm) -> Result<Turf, AppError> {
    let user = crate::auth::require_role(MANAGERS).await?;
    let state = crate::state::app_state()?;
    let actor = crate::events::Actor::User(user.id);
    Ok(service::save_turf(&state.db, &actor, &id, &form, crate::db::now_unix()).await?)
}

/// Deletes a turf no one is walking now; the sessions that walked it keep their counts.
#[server(prefix = "/api", endpoint = "canvass/delete-turf")]
pub async fn delete_turf(id: String) -> Result<(), AppError> {
    let user = crate::auth::require_role(MANAGERS).await?;
    let state = crate::state::app_state()?;
    Ok(service::delete_turf(&state.db, &crate::events::Actor::User(user.id), &id).await?)
}

/// Asks the canvasser with the account `email` to walk turf `turf_id`: it comes first on
/// their canvassing page, and they are emailed.
#[server(prefix = "/api", endpoint = "canvass/assign-turf")]
pub async fn assign_turf(turf_id: String, email: String) -> Result<Turf, AppError> {
    let user = crate::auth::require_role(MANAGERS).await?;
    let state = crate::state::app_state()?;
    let actor = crate::events::Actor::User(user.id);
    let turf = service::assign_turf(&state.db, &actor, &turf_id, &email, crate::db::now_unix()).await?;
    crate::request::after_plain_form_post(&format!("/admin/canvass/turfs/{turf_id}"));
    Ok(turf)
}

/// Takes canvasser `user_id` off turf `turf_id`.
#[server(prefix = "/api", endpoint = "canvass/unassign-turf")]
pub async fn unassign_turf(turf_id: String, user_id: String) -> Result<Turf, AppError> {
    let user = crate::auth::require_role(MANAGERS).await?;
    let state = crate::state::app_state()?;
    let actor = crate::events::Actor::User(user.id);
    Ok(service::unassign_turf(&state.db, &actor, &turf_id, &user_id).await?)
}

/// Sessions, latest first, 50 a page.
#[server(prefix = "/api", endpoint = "canvass/sessions")]
pub async fn list_sessions(#[server(default)] page: i64) -> Result<SessionPage, AppError> {
    crate::auth::require_role(MANAGERS).await?;
    let state = crate::state::app_state()?;
    Ok(service::sessions(&state.db, page).await?)
}

#[server(prefix = "/api", endpoint = "canvass/walk")]
pub async fn get_walk(#[server(default)] filter: AddressFilter) -> Result<Walk, AppError> {
    let user = canvasser().await?;
    let state = crate::state::app_state()?;
    Ok(service::walk(&state.db, &user.id, &filter).await?)
}

/// Starts a session for the signed-in canvasser, on a turf or (`turf_id` empty) the whole list;
/// answers with the open one if there is one.
#[server(prefix = "/api", endpoint = "canvass/start")]
pub async fn start_session(#[server(default)] turf_id: String) -> Result<Session, AppError> {
    let user = canvasser().await?;
    let state = crate::state::app_state()?;
    let actor = crate::events::Actor::User(user.id.clone());
    let session = service::start(&state.bus, &actor, &user.id, &turf_id, crate::db::now_unix()).await?;
    crate::request::after_plain_form_post("/canvass");
    Ok(session)
}

#[server(prefix = "/api", endpoint = "canvass/record-visit")]
pub async fn record_visit(form: VisitForm) -> Result<Session, AppError> {
    let user = canvasser().await?;
    let state = crate::state::app_state()?;
    let actor = crate::events::Actor::User(user.id.clone());
    let session = service::record_visit(&state.bus, &actor, &user.id, &form, crate::db::now_unix()).await?;
    crate::request::after_plain_form_post("/canvass");
    Ok(session)
}

/// Adds a door the signed-in canvasser found that is not on the list, during their session.
#[server(prefix = "/api", endpoint = "canvass/add-door")]
pub async fn add_door(form: AddressForm) -> Result<Address, AppError> {
    let user = canvasser().await?;
    let state = crate::state::app_state()?;
    let actor = crate::events::Actor::User(user.id.clone());
    let address = service::add_door(&state.bus, &actor, &user.id, &form, crate::db::now_unix()).await?;
    crate::request::after_plain_form_post("/canvass");
    Ok(address)
}

/// Takes back a visit recorded in the canvasser's open session (the wrong door, the wrong
/// outcome): the door is theirs to record again.
#[server(prefix = "/api", endpoint = "canvass/undo-visit")]
pub async fn undo_visit(visit_id: String) -> Result<Session, AppError> {
    let user = canvasser().await?;
    let state = crate::state::app_state()?;
    let actor = crate::events::Actor::User(user.id.clone());
    Ok(service::undo_visit(&state.bus, &actor, &user.id, &visit_id, crate::db::now_unix()).await?)
}

/// Ends the signed-in canvasser's open session, publishing `canvass.session.completed`.
#[server(prefix = "/api", endpoint = "canvass/end")]
pub async fn end_session() -> Result<Session, AppError> {
    let user = canvasser().await?;
    let state = crate::state::app_state()?;
    let actor = crate::events::Actor::User(user.id.clone());
    let session = service::end(&state.bus, &actor, &user.id, crate::db::now_unix()).await?;
    crate::request::after_plain_form_post("/canvass");
    Ok(session)
}
