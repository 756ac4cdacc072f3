//! Ticketed events (SPEC §2 "ticketed events"): an event with ticket tiers, published on a
//! public page where people take a ticket; each ticket has a code that is checked in at the
//! door. A tier is free, or paid through the payments module's checkout (a ticket order that
//! becomes a ticket when Stripe's webhook says it is paid). Shared types and server functions here, rules in `service.rs`, pages in
//! `ui.rs`.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;
use crate::users::Role;

#[cfg(feature = "ssr")]
pub mod service;
pub mod ui;

/// Who runs ticketed events (SUPER_ADMIN satisfies every requirement).
pub const MANAGERS: &[Role] = &[Role::Admin, Role::EventsAdmin];

pub const TITLE_MAX_CHARS: usize = 200;
pub const TEXT_MAX_CHARS: usize = 5_000;
pub const VENUE_MAX_CHARS: usize = 300;
pub const TIER_NAME_MAX_CHARS: usize = 60;
pub const MAX_TIERS: usize = 10;
pub const TIER_CAPACITY_MAX: i64 = 10_000;
/// Coming events the admin dashboard shows.
pub const DASHBOARD_EVENTS: i64 = 5;
/// Events a page of the public list shows.
pub const PUBLIC_PAGE_SIZE: i64 = 25;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum EventStatus {
    Draft,
    Published,
    Cancelled,
}

impl EventStatus {
    pub const ALL: [EventStatus; 3] = [EventStatus::Draft, EventStatus::Published, EventStatus::Cancelled];

    pub fn as_str(self) -> &'static str {
        match self {
            EventStatus::Draft => "DRAFT",
            EventStatus::Published => "PUBLISHED",
            EventStatus::Cancelled => "CANCELLED",
        }
    }

    pub fn parse(text: &str) -> Option<EventStatus> {
        EventStatus::ALL.into_iter().find(|s| s.as_str() == text)
    }

    pub fn label(self) -> &'static str {
        match self {
            EventStatus::Draft => "Draft",
            EventStatus::Published => "Published",
            EventStatus::Cancelled => "Cancelled",
        }
    }
}

/// How a tier is paid for: free, at a set price, or pay what you can (the visitor chooses
/// the amount, from the tier's minimum; nothing at all when the minimum is 0).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum TierKind {
    Free,
    Paid,
    Donation,
}

impl TierKind {
    pub fn as_str(self) -> &'static str {
        match self {
            TierKind::Free => "FREE",
            TierKind::Paid => "PAID",
            TierKind::Donation => "DONATION",
        }
    }

    pub fn parse(text: &str) -> TierKind {
        match text {
            "PAID" => TierKind::Paid,
            "DONATION" => TierKind::Donation,
            _ => TierKind::Free,
        }
    }
}

/// A kind of ticket, with its price, how many there are and how many are taken (a paid
/// ticket's place is taken from its checkout on, while the payment is pending).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Tier {
    pub id: String,
    pub name: String,
    pub kind: TierKind,
    /// A paid tier's price; the least a pay-what-you-can tier takes; 0 for a free tier.
    pub price_cents: i64,
    pub capacity: i64,
    pub issued: i64,
}

impl Tier {
    pub fn remaining(&self) -> i64 {
        (self.capacity - self.issued).max(0)
    }

    /// Whether every ticket of this tier is paid for through Stripe: a paid tier, or a
    /// pay-what-you-can one that takes at least some amount.
    pub fn always_paid(&self) -> bool {
        self.kind == TierKind::Paid || (self.kind == TierKind::Donation && self.price_cents > 0)
    }

    /// "Free", "$15.00", "Pay what you can" or "Pay what you can, from $10.00".
    pub fn price_label(&self) -> String {
        match self.kind {
            TierKind::Free => "Free".to_string(),
            TierKind::Paid => crate::payments::format_cents(self.price_cents),
            TierKind::Donation if self.price_cents == 0 => "Pay what you can".to_string(),
            TierKind::Donation => {
                format!("Pay what you can, from {}", crate::payments::format_cents(self.price_cents))
            }
        }
    }

    /// What a visitor pays for this tier's ticket, given what they typed in the amount field
    /// (read only for a pay-what-you-can tier): 0 for a free ticket.
    pub fn amount_cents(&self, typed: &str) -> Result<i64, String> {
        match self.kind {
            TierKind::Free => Ok(0),
            TierKind::Paid => Ok(self.price_cents),
            TierKind::Donation => {
                let typed = typed.trim();
                let nothing = typed.is_empty() || crate::payments::parse_cents(typed, 0, 0).is_some();
                if nothing && self.price_cents == 0 {
                    return Ok(0);
                }
                let least =
                    crate::payments::format_cents(self.price_cents.max(crate::payments::MIN_DONATION_CENTS));
                let amount =
                    crate::payments::parse_donation_cents(typed).map_err(|_| match self.price_cents {
                        0 => format!(
                            "Enter nothing for a free ticket, or an amount from {least}, like 10 or 12.50."
                        ),
                        _ => format!("Enter an amount from {least}, like 25 or 25.50."),
                    })?;
                if amount < self.price_cents {
                    return Err(format!("{} tickets are from {least}.", self.name));
                }
                Ok(amount)
            }
        }
    }
}

/// A tier as typed in the event form, before it is saved.
#[derive(Debug, Clone, PartialEq)]
pub struct TierLine {
    pub name: String,
    pub capacity: i64,
    pub kind: TierKind,
    /// As `Tier::price_cents`.
    pub price_cents: i64,
}

/// A ticketed event as admins and the public page see it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TicketedEvent {
    pub id: String,
    pub slug: String,
    pub title: String,
    pub description: String,
    pub venue: String,
    pub starts_at: i64,
    pub ends_at: i64,
    /// "Sat 12 Dec 2026, 19:00–22:00 EST", in the organisation's time zone.
    pub when: String,
    /// The form's local date and times, `YYYY-MM-DD` and `HH:MM`.
    pub date: String,
    pub start_time: String,
    pub end_time: String,
    /// Whether it ends on the day after its date (the form's "Overnight" box).
    pub ends_next_day: bool,
    /// How long before it starts its ticket holders are reminded, in hours; 0 for never.
    pub reminder_hours: i64,
    pub status: EventStatus,
    /// Whether it has ended (when it was read).
    pub over: bool,
    pub tiers: Vec<Tier>,
    /// How many times an organiser saved its details (the edit form's check).
    pub edits: i64,
}

impl TicketedEvent {
    /// Published and still to end: tickets can be taken, returned and cancelled.
    pub fn is_open(&self) -> bool {
        self.status == EventStatus::Published && !self.over
    }

    pub fn remaining(&self) -> i64 {
        self.tiers.iter().map(Tier::remaining).sum()
    }

    pub fn issued(&self) -> i64 {
        self.tiers.iter().map(|t| t.issued).sum()
    }
}

/// When an event's ticket holders may be reminded, in hours before it starts, and how the
/// form says it.
pub const REMINDER_CHOICES: [(i64, &str); 4] =
    [(24, "A day before"), (48, "Two days before"), (168, "A week before"), (0, "Never")];
pub const DEFAULT_REMINDER_HOURS: i64 = 24;

/// "Ticket holders are reminded a week before.", on the event's admin page.
pub fn reminder_line(hours: i64) -> String {
    match REMINDER_CHOICES.iter().find(|(h, _)| *h == hours) {
        Some((0, _)) | None => "Ticket holders are not reminded.".into(),
        Some((_, label)) => format!("Ticket holders are reminded {}.", label.to_lowercase()),
    }
}

/// The create/edit form as typed. Tiers are one per line: `Name | how many`, or
/// `Name | how many | price` for a paid tier, or `Name | how many | pay what you can`
/// (optionally `, from 10`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct EventForm {
    pub title: String,
    #[serde(default)]
    pub slug: String,
    #[serde(default)]
    pub description: String,
    pub venue: String,
    pub date: String,
    pub start_time: String,
    pub end_time: String,
    /// Ticked ("Overnight"): the end time is on the day after the date.
    #[serde(default)]
    pub ends_next_day: bool,
    pub tiers: String,
    /// When holders are reminded: one of `REMINDER_CHOICES`' hours. Left out, a new event
    /// gets `DEFAULT_REMINDER_HOURS` and an edit keeps what the event had.
    #[serde(default)]
    pub reminder_hours: Option<i64>,
    /// Editing: the event's `edits` when the form was opened. When given, a save is refused
    /// if someone else saved the event since.
    #[serde(default)]
    pub edits: Option<i64>,
}

/// The admin list's filter: part of the title, a status (empty for all), the page.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct EventFilter {
    pub search: String,
    pub status: String,
    pub page: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EventRow {
    pub id: String,
    pub title: String,
    pub when: String,
    pub status: EventStatus,
    pub issued: i64,
    pub capacity: i64,
}

/// One page of the admin list, latest start first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EventPage {
    pub rows: Vec<EventRow>,
    pub page: i64,
    pub has_more: bool,
    pub count: i64,
}

/// One page of the published events still to end, soonest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UpcomingEvents {
    pub events: Vec<TicketedEvent>,
    pub page: i64,
    pub has_more: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum TicketStatus {
    Valid,
    /// Its payment is disputed: not valid at the door until the dispute is won.
    Suspended,
    Cancelled,
}

impl TicketStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            TicketStatus::Valid => "VALID",
            TicketStatus::Suspended => "SUSPENDED",
            TicketStatus::Cancelled => "CANCELLED",
        }
    }

    pub fn parse(text: &str) -> TicketStatus {
        match text {
            "CANCELLED" => TicketStatus::Cancelled,
            "SUSPENDED" => TicketStatus::Suspended,
            _ => TicketStatus::Valid,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            TicketStatus::Valid => "Valid",
            TicketStatus::Suspended => "Suspended (payment disputed)",
            TicketStatus::Cancelled => "Cancelled",
        }
    }
}

/// A ticket as the admin's list and the export show it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TicketRow {
    pub id: String,
    pub code: String,
    pub name: String,
    pub email: String,
    pub contact_id: String,
    pub tier_name: String,
    pub status: TicketStatus,
    /// When it was taken, as admin pages show times.
    pub issued: String,
    pub checked_in: Option<String>,
    /// Bought through Stripe (cancelled by refunding its payment).
    pub paid: bool,
}

/// The admin's event page: the event and one page of its tickets, newest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EventDetail {
    pub event: TicketedEvent,
    pub tickets: Vec<TicketRow>,
    pub page: i64,
    pub has_more: bool,
    pub checked_in: i64,
    /// Tickets held (valid or suspended): whom "Email ticket holders" writes to.
    pub holders: i64,
    /// Paid ticket orders still holding their money (for a cancelled event: to refund).
    pub paid_orders: i64,
}

/// Someone taking a ticket on the public page.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TicketForm {
    pub tier_id: String,
    pub name: String,
    pub email: String,
    /// What the visitor pays for a pay-what-you-can ticket, in dollars as typed.
    #[serde(default)]
    pub amount: String,
}

/// Where taking a ticket leads: a free ticket is issued at once; a paid one goes to Stripe's
/// payment page, and the ticket follows by email when the payment is confirmed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Taken {
    Ticket { code: String },
    Checkout { url: String },
}

impl Taken {
    /// The address the browser goes to next.
    pub fn next_address(&self) -> String {
        match self {
            Taken::Ticket { code } => format!("/ticket?code={code}"),
            Taken::Checkout { url } => url.clone(),
        }
    }
}

/// A ticket as its holder sees it (at `/ticket?code=…` and in the email).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TicketView {
    pub code: String,
    pub name: String,
    pub tier_name: String,
    pub status: TicketStatus,
    pub event_title: String,
    pub event_slug: String,
    pub event_status: EventStatus,
    /// Whether the event has ended (when it was read).
    pub event_over: bool,
    pub when: String,
    pub venue: String,
    /// Bought through Stripe: given back by a refund, not from its page.
    pub paid: bool,
    /// For a valid ticket: its `check_in_link`, for the door's phone to scan.
    pub check_in_qr: Option<crate::qr::QrImage>,
}

/// The organisers' link that checks in ticket `code` at event `event_id`'s door: the event's
/// admin page with the code filled in (whoever is not signed in as an organiser is asked to).
pub fn check_in_link(public_url: &str, event_id: &str, code: &str) -> String {
    format!("{}/admin/ticketed-events/{event_id}?code={code}", public_url.trim_end_matches('/'))
}

/// A ticket on its holder's contact page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ContactTicket {
    pub event_id: String,
    pub event_title: String,
    pub when: String,
    pub tier_name: String,
    pub status: TicketStatus,
    pub checked_in: bool,
}

/// What the door sees after a check-in.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CheckedIn {
    pub name: String,
    pub tier_name: String,
}

/// Ticket codes: 12 letters and digits that cannot be misread for one another (no 0/O,
/// 1/I/L), shown as `ABCD-EFGH-JKMN`.
pub const CODE_ALPHABET: &[u8] = b"ABCDEFGHJKMNPQRSTUVWXYZ23456789";

/// A code as typed at the door: any case, with or without spaces and hyphens.
pub fn normalise_code(typed: &str) -> String {
    let plain: String =
        typed.chars().filter(|c| !c.is_whitespace() && *c != '-').map(|c| c.to_ascii_uppercase()).collect();
    if plain.len() == 12 && plain.bytes().all(|b| CODE_ALPHABET.contains(&b)) {
        format!("{}-{}-{}", &plain[..4], &plain[4..8], &plain[8..])
    } else {
        plain
    }
}

/// Parses the tiers box: one per line, `Name | how many` (free) or `Name | how many | price`
/// (paid, like `15` or `$15.00`); blank lines skipped. Each bad line is reported by its number.
pub fn parse_tiers(text: &str) -> Result<Vec<TierLine>, String> {
    let mut tiers: Vec<TierLine> = Vec::new();
    for (n, line) in text.lines().enumerate().map(|(i, l)| (i + 1, l.trim())) {
        if line.is_empty() {
            continue;
        }
        let parts: Vec<&str> = line.split('|').map(str::trim).collect();
        let (name, capacity, price) = match parts[..] {
            [name, capacity] => (name, capacity, None),
            [name, capacity, price] => (name, capacity, Some(price)),
            _ => {
                return Err(format!(
                    "Line {n}: write Name | how many, like General admission | 100, or add | price for a paid tier."
                ));
            }
        };
        if name.is_empty() || !crate::error::is_one_line(name, TIER_NAME_MAX_CHARS) {
            return Err(format!("Line {n}: name the tier in at most {TIER_NAME_MAX_CHARS} characters."));
        }
        let capacity = capacity.replace(',', "").parse::<i64>().ok();
        let Some(capacity) = capacity.filter(|c| (1..=TIER_CAPACITY_MAX).contains(c)) else {
            return Err(format!("Line {n}: how many tickets must be a whole number from 1 to 10,000."));
        };
        let (kind, price_cents) = match price {
            None => (TierKind::Free, 0),
            Some(price) if price.eq_ignore_ascii_case("free") => (TierKind::Free, 0),
            Some(price) if price.to_ascii_lowercase().starts_with(PAY_WHAT_YOU_CAN) => {
                (TierKind::Donation, pay_what_you_can_minimum(&price[PAY_WHAT_YOU_CAN.len()..], n)?)
            }
            Some(price) => (
                TierKind::Paid,
                crate::payments::parse_price_cents(price).map_err(|e| format!("Line {n}: {e}"))?,
            ),
        };
        if tiers.iter().any(|t| t.name.eq_ignore_ascii_case(name)) {
            return Err(format!("Line {n}: there is already a tier called {name}."));
        }
        tiers.push(TierLine { name: name.to_string(), capacity, kind, price_cents });
    }
    if tiers.is_empty() {
        return Err("Add at least one tier, like General admission | 100.".into());
    }
    if tiers.len() > MAX_TIERS {
        return Err(format!("An event can have at most {MAX_TIERS} tiers."));
    }
    Ok(tiers)
}

/// How a pay-what-you-can tier is written in the tiers box (any case).
const PAY_WHAT_YOU_CAN: &str = "pay what you can";

/// The least a pay-what-you-can tier takes, from what follows its words on line `n`: nothing
/// (anything goes, even nothing) or `, from 10` (from $10.00; at least $1.00, as a donation).
fn pay_what_you_can_minimum(rest: &str, n: usize) -> Result<i64, String> {
    let rest = rest.trim().trim_start_matches(',').trim();
    if rest.is_empty() {
        return Ok(0);
    }
    let from = rest.get(..5).filter(|w| w.eq_ignore_ascii_case("from ")).map(|_| &rest[5..]);
    let wrong =
        || format!("Line {n}: write pay what you can, or pay what you can, from 10 for a least amount.");
    let minimum = from.ok_or_else(wrong)?;
    crate::payments::parse_donation_cents(minimum).map_err(|e| format!("Line {n}: {e}"))
}

/// The tiers as the form shows them again.
pub fn tiers_text(tiers: &[Tier]) -> String {
    tiers
        .iter()
        .map(|t| match t.kind {
            TierKind::Free => format!("{} | {}", t.name, t.capacity),
            TierKind::Paid => {
                format!("{} | {} | {}", t.name, t.capacity, crate::payments::format_cents(t.price_cents))
            }
            TierKind::Donation if t.price_cents == 0 => {
                format!("{} | {} | {PAY_WHAT_YOU_CAN}", t.name, t.capacity)
            }
            TierKind::Donation => format!(
                "{} | {} | {PAY_WHAT_YOU_CAN}, from {}",
                t.name,
                t.capacity,
                crate::payments::format_cents(t.price_cents)
            ),
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The tickets as CSV, for the door list or a spreadsheet.
pub fn tickets_csv(tickets: &[TicketRow]) -> String {
    let mut out = String::from("code,name,email,tier,status,issued,checked_in\n");
    for t in tickets {
        out.push_str(&crate::csv::row(&[
            &t.code,
            &t.name,
            &t.email,
            &t.tier_name,
            t.status.as_str(),
            &t.issued,
            t.checked_in.as_deref().unwrap_or(""),
        ]));
    }
    out
}

#[cfg(feature = "ssr")]
impl From<service::TicketingError> for AppError {
    fn from(err: service::TicketingError) -> AppError {
        use service::TicketingError;
        match err {
            TicketingError::Invalid(errors) => AppError::Invalid(errors),
            TicketingError::NotFound => AppError::NotFound("There is no such event.".into()),
            TicketingError::TicketNotFound => {
                AppError::NotFound("There is no ticket with this code. Check it and try again.".into())
            }
            TicketingError::SlugTaken => {
                AppError::invalid("slug", "Another event already uses this address.")
            }
            TicketingError::Conflict(message) => AppError::Conflict(message),
            TicketingError::ChangedMeanwhile => AppError::changed_meanwhile("this event", "Reload the page"),
            TicketingError::RateLimited(wait) => {
                AppError::RateLimited { retry_after_secs: wait.as_secs().max(1) }
            }
            TicketingError::Payment(e) => e.into(),
            TicketingError::Database(e) => crate::auth::internal(e),
        }
    }
}

#[server(prefix = "/api", endpoint = "ticketed-events/list")]
pub async fn list_ticketed_events(#[server(default)] filter: EventFilter) -> Result<EventPage, AppError> {
    crate::auth::require_role(MANAGERS).await?;
    let state = crate::state::app_state()?;
    Ok(service::list(&state.db, &filter).await?)
}

/// An event with a page of its tickets (newest first), those whose holder's name, email or
/// code contains `q` when it is not empty.
#[server(prefix = "/api", endpoint = "ticketed-events/get")]
pub async fn get_ticketed_event(
    id: String,
    #[server(default)] q: String,
    #[server(default)] page: i64,
) -> Result<EventDetail, AppError> {
    crate::auth::require_role(MANAGERS).await?;
    let state = crate::state::app_state()?;
    Ok(service::detail(&state.db, &id, &q, page).await?)
}

/// Emails the event's ticket holders an organiser's message; answers how many were queued.
#[server(prefix = "/api", endpoint = "ticketed-events/email-holders")]
pub async fn email_ticket_holders(
    id: String,
    #[server(default)] subject: String,
    #[server(default)] body: String,
) -> Result<usize, AppError> {
    let user = crate::auth::require_role(MANAGERS).await?;
    let state = crate::state::app_state()?;
    let actor = crate::events::Actor::User(user.id);
    Ok(service::email_holders(&state.db, &actor, &id, &subject, &body).await?)
}

/// Creates (empty `id`, as a DRAFT) or updates an event.
#[server(prefix = "/api", endpoint = "ticketed-events/save")]
pub async fn save_ticketed_event(
    #[server(default)] id: String,
    form: EventForm,
) -> Result<TicketedEvent, AppError> {
    let user = crate::auth::require_role(MANAGERS).await?;
    let state = crate::state::app_state()?;
    let actor = crate::events::Actor::User(user.id);
    let saved = service::save(&state.bus, &actor, &id, &form, crate::db::now_unix()).await?;
    crate::request::after_plain_form_post(&format!("/admin/ticketed-events/{}", saved.id));
    Ok(saved)
}

/// Publishes a draft: its public page opens and tickets can be taken.
#[server(prefix = "/api", endpoint = "ticketed-events/publish")]
pub async fn publish_ticketed_event(id: String) -> Result<(), AppError> {
    let user = crate::auth::require_role(MANAGERS).await?;
    let state = crate::state::app_state()?;
    let actor = crate::events::Actor::User(user.id);
    Ok(service::publish(&state.bus, &actor, &id, crate::db::now_unix()).await?)
}

/// Cancels a published event: its tickets are cancelled and their holders emailed.
#[server(prefix = "/api", endpoint = "ticketed-events/cancel")]
pub async fn cancel_ticketed_event(id: String) -> Result<(), AppError> {
    let user = crate::auth::require_role(MANAGERS).await?;
    let state = crate::state::app_state()?;
    Ok(service::cancel(&state.bus, &crate::events::Actor::User(user.id), &id).await?)
}

/// Deletes a draft (a published event is cancelled instead, so no ticket is lost).
#[server(prefix = "/api", endpoint = "ticketed-events/delete")]
pub async fn delete_ticketed_event(id: String) -> Result<(), AppError> {
    let user = crate::auth::require_role(MANAGERS).await?;
    let state = crate::state::app_state()?;
    Ok(service::delete(&state.bus, &crate::events::Actor::User(user.id), &id).await?)
}

/// Checks in the ticket with `code` at event `id`'s door.
#[server(prefix = "/api", endpoint = "ticketed-events/check-in")]
pub async fn check_in_ticket(id: String, code: String) -> Result<CheckedIn, AppError> {
    let user = crate::auth::require_role(MANAGERS).await?;
    let state = crate::state::app_state()?;
    let actor = crate::events::Actor::User(user.id);
    Ok(service::check_in(&state.bus, &actor, &id, &code).await?)
}

/// An organiser cancels one ticket; its holder is emailed.
#[server(prefix = "/api", endpoint = "ticketed-events/cancel-ticket")]
pub async fn cancel_ticket(ticket_id: String) -> Result<(), AppError> {
    let user = crate::auth::require_role(MANAGERS).await?;
    let state = crate::state::app_state()?;
    let actor = crate::events::Actor::User(user.id);
    Ok(service::cancel_one(&state.bus, &actor, &ticket_id, crate::db::now_unix()).await?)
}

/// Published events still to end, soonest first, 25 a page (the first without `page`).
#[server(prefix = "/api", endpoint = "ticketed-events/public")]
pub async fn list_public_events(page: Option<i64>) -> Result<UpcomingEvents, AppError> {
    let state = crate::state::app_state()?;
    let now = crate::db::now_unix();
    Ok(service::upcoming(&state.db, now, page.unwrap_or(1), PUBLIC_PAGE_SIZE).await?)
}

/// The next published events, for the admin dashboard.
#[server(prefix = "/api", endpoint = "ticketed-events/coming")]
pub async fn coming_ticketed_events() -> Result<Vec<TicketedEvent>, AppError> {
    crate::auth::require_role(MANAGERS).await?;
    let state = crate::state::app_state()?;
    Ok(service::upcoming(&state.db, crate::db::now_unix(), 1, DASHBOARD_EVENTS).await?.events)
}

/// A published (or cancelled) event's public page.
#[server(prefix = "/api", endpoint = "ticketed-events/public-one")]
pub async fn get_public_event(slug: String) -> Result<TicketedEvent, AppError> {
    let state = crate::state::app_state()?;
    Ok(service::public(&state.db, &slug).await?)
}

/// Takes a ticket: a free one at once (limited per client IP with the shifts' sign-ups), a
/// paid one through Stripe's checkout (limited as every checkout is).
#[server(prefix = "/api", endpoint = "ticketed-events/take")]
pub async fn take_ticket(slug: String, form: TicketForm) -> Result<Taken, AppError> {
    let state = crate::state::app_state()?;
    let client_ip = crate::request::client_ip();
    let taker = crate::rate_limit::Allowance { limiter: &state.signup_limiter, client_ip: &client_ip };
    let request = crate::payments::service::RequestInfo::current();
    let taken = service::take(&state, &taker, &request, &slug, &form, crate::db::now_unix()).await?;
    crate::request::after_plain_form_post(&taken.next_address());
    Ok(taken)
}

/// The ticket with `code`, for its holder.
#[server(prefix = "/api", endpoint = "ticketed-events/ticket")]
pub async fn get_ticket(code: String) -> Result<TicketView, AppError> {
    let state = crate::state::app_state()?;
    Ok(service::ticket(&state.db, &state.public_url, &code).await?)
}

/// The holder gives their ticket back, so someone else can have the place.
#[server(prefix = "/api", endpoint = "ticketed-events/return")]
pub async fn return_ticket(code: String) -> Result<(), AppError> {
    let state = crate::state::app_state()?;
    service::return_ticket(&state.bus, &code, crate::db::now_unix()).await?;
    crate::request::after_plain_form_post(&format!("/ticket?code={}", normalise_code(&code)));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Tiers as they would be saved from `lines`.
    fn as_saved(lines: &[TierLine]) -> Vec<Tier> {
        let tier = |t: &TierLine| Tier {
            id: String::new(),
            name: t.name.clone(),
            kind: t.kind,
            price_cents: t.price_cents,
            capacity: t.capacity,
            issued: 0,
        };
        lines.iter().map(tier).collect()
    }

    #[test]
    fn tiers_are_parsed_line_by_line() {
        let tiers = parse_tiers("General admission | 1,000\n\n Members | 50 ").unwrap();
        assert_eq!(
            tiers,
            [
                TierLine {
                    name: "General admission".into(),
                    capacity: 1000,
                    kind: TierKind::Free,
                    price_cents: 0
                },
                TierLine { name: "Members".into(), capacity: 50, kind: TierKind::Free, price_cents: 0 }
            ]
        );
        assert!(parse_tiers("General").unwrap_err().starts_with("Line 1: write Name | how many"));
        assert!(parse_tiers("A | 1\nB | 0").unwrap_err().starts_with("Line 2: how many tickets"));
        assert!(parse_tiers("A | 10001").unwrap_err().contains("1 to 10,000"));
        assert!(parse_tiers(" | 5").unwrap_err().starts_with("Line 1: name the tier"));
        assert!(parse_tiers("A | 1\na | 2").unwrap_err().contains("already a tier called a"));
        assert_eq!(parse_tiers("  \n").unwrap_err(), "Add at least one tier, like General admission | 100.");
        let eleven = (1..=11).map(|n| format!("T{n} | 1")).collect::<Vec<_>>().join("\n");
        assert_eq!(parse_tiers(&eleven).unwrap_err(), "An event can have at most 10 tiers.");
        let shown = as_saved(&tiers);
        assert_eq!(parse_tiers(&tiers_text(&shown)).unwrap(), tiers);
    }

    #[test]
    fn a_tier_with_a_price_is_paid() {
        let tiers = parse_tiers("Seats | 50 | $1,215.50\nStanding | 10 | free\nFriends | 5").unwrap();
        let prices: Vec<i64> = tiers.iter().map(|t| t.price_cents).collect();
        assert_eq!(prices, [121_550, 0, 0]);
        assert!(
            parse_tiers("A | 1\nB | 2 | 0.10").unwrap_err().starts_with("Line 2: Enter a price from $0.50")
        );
        assert!(parse_tiers("A | 1 | ten").unwrap_err().starts_with("Line 1: Enter a price"));
        assert!(parse_tiers("A | 1 | 5 | 6").unwrap_err().starts_with("Line 1: write Name | how many"));
        let shown = as_saved(&tiers);
        assert_eq!(tiers_text(&shown), "Seats | 50 | $1,215.50\nStanding | 10\nFriends | 5");
        assert_eq!(parse_tiers(&tiers_text(&shown)).unwrap(), tiers);
    }

    #[test]
    fn a_pay_what_you_can_tier_takes_what_the_visitor_chooses_from_its_least() {
        let tiers =
            parse_tiers("Solidarity | 20 | Pay what you can\nSupporter | 5 | pay what you can, from $1,000")
                .unwrap();
        let kinds: Vec<(TierKind, i64)> = tiers.iter().map(|t| (t.kind, t.price_cents)).collect();
        assert_eq!(kinds, [(TierKind::Donation, 0), (TierKind::Donation, 100_000)]);
        let shown = as_saved(&tiers);
        assert_eq!(
            tiers_text(&shown),
            "Solidarity | 20 | pay what you can\nSupporter | 5 | pay what you can, from $1,000.00"
        );
        assert_eq!(parse_tiers(&tiers_text(&shown)).unwrap(), tiers);
        assert_eq!(shown[0].price_label(), "Pay what you can");
        assert_eq!(shown[1].price_label(), "Pay what you can, from $1,000.00");
        assert!(
            parse_tiers("A | 1 | pay what you can, up to 5")
                .unwrap_err()
                .starts_with("Line 1: write pay what")
        );
        assert!(parse_tiers("A | 1 | pay what you can from 0.50").unwrap_err().contains("from $1.00"));

        let (anything, from_ten) = (&shown[0], &Tier { price_cents: 1000, ..shown[0].clone() });
        assert_eq!(anything.amount_cents(""), Ok(0));
        assert_eq!(anything.amount_cents("$0.00"), Ok(0));
        assert_eq!(anything.amount_cents(" 12.50 "), Ok(1250));
        assert!(anything.amount_cents("0.50").unwrap_err().starts_with("Enter nothing for a free ticket"));
        assert!(anything.amount_cents("12.505").is_err());
        assert!(anything.amount_cents("100000.01").is_err());
        assert_eq!(from_ten.amount_cents("10"), Ok(1000));
        assert_eq!(from_ten.amount_cents("9.99").unwrap_err(), "Solidarity tickets are from $10.00.");
        assert_eq!(from_ten.amount_cents("").unwrap_err(), "Enter an amount from $10.00, like 25 or 25.50.");
        // A set price is the price, whatever was typed.
        let seats = Tier { kind: TierKind::Paid, price_cents: 1500, ..shown[0].clone() };
        assert_eq!(seats.amount_cents("1"), Ok(1500));
        assert_eq!(Tier { kind: TierKind::Free, ..seats }.amount_cents("20"), Ok(0));
    }

    #[test]
    fn codes_are_read_however_they_are_typed() {
        assert_eq!(normalise_code(" abcd efgh-jkmn "), "ABCD-EFGH-JKMN");
        assert_eq!(normalise_code("ABCD-EFGH-JKMN"), "ABCD-EFGH-JKMN");
        // Not a code: left as typed (upper case), so it simply matches nothing.
        assert_eq!(normalise_code("abc0"), "ABC0");
    }
}
