//! The newsletter (ssr only, SPEC §3, Listmonk). Out: the `newsletter` listener makes each
//! volunteer, supporter and donor a subscriber on their list, keeps what Changemaker knows of
//! them (tags, last sign-up, donor…) in their attributes, follows an admin's correction of
//! their address or name, and deletes the subscribers of a contact whose personal data was
//! erased. In: reports of opens, clicks, bounces and unsubscribes, posted to
//! `/api/webhooks/newsletter`, are published as `newsletter.*` events.
//! `start_adding_contacts` adds the people who were contacts before the newsletter was turned
//! on.
//!
//! People are never put on a list against their wish: someone who unsubscribed from
//! Changemaker's emails is not added to one (and is unsubscribed from every list when they
//! do), and Listmonk keeps its own unsubscribes and blocklist (an update never resubscribes
//! anyone). Lists are joined without pre-confirming, so a double opt-in list sends its own
//! confirmation.

use serde::Deserialize;
use serde_json::{Map, Value, json};
use sqlx::Row;

use super::service::{self, ListmonkTarget};
use crate::bus::{self, Bus};
use crate::db::Db;
use crate::error::is_one_line;
use crate::events::catalog::{
    NewsletterEmailBounced, NewsletterEmailClicked, NewsletterEmailOpened, NewsletterUnsubscribed,
};
use crate::events::{Actor, Envelope, Event};
use crate::jobs::JobResult;
use crate::jobs::service::Progress;
use crate::secrets::{ExposeSecret, SecretKey};
use crate::users::service::{is_plausible_email, normalise_email};

/// What the service is called in a delivery's error.
const SERVICE: &str = "Listmonk";

/// The attribute, in each subscriber's attributes, that holds what Changemaker knows.
const ATTRIBUTE: &str = "changemaker";

/// The longest report id, message id or list name a report may carry.
const REPORT_TEXT_MAX: usize = 200;
const URL_MAX: usize = 2000;

/// Which of the three lists someone joins.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    Volunteers,
    Supporters,
    Donors,
}

/// What an event tells the newsletter about one person.
#[derive(Debug, PartialEq)]
pub struct Change {
    pub email: String,
    pub name: String,
    /// The list they join; `None` when only their attributes change (someone who is not a
    /// subscriber yet is then left alone).
    pub audience: Option<Audience>,
    /// Set, key by key, in the subscriber's `changemaker` attribute.
    pub attributes: Map<String, Value>,
}

impl Change {
    fn new(email: &str, name: &str, audience: Option<Audience>, attributes: Value) -> Change {
        let Value::Object(attributes) = attributes else { unreachable!("attributes are built as objects") };
        Change { email: normalise_email(email), name: name.trim().to_string(), audience, attributes }
    }
}

/// What an event asks of the newsletter.
#[derive(Debug, PartialEq)]
pub enum Update {
    /// Someone added, or their details changed.
    Change(Change),
    /// Someone who wants no more bulk email: off every list.
    Unsubscribe { email: String },
    /// Someone's details corrected in Changemaker: their subscriber's address and name follow.
    Correct { previous_email: String, email: String, name: String },
    /// Two contacts found to be one person, kept under `email`: one subscriber for them too
    /// (on no list if the person asked Changemaker for no more bulk email).
    Merge { merged_email: String, email: String, unsubscribed: bool },
    /// A contact whose personal data was erased: their subscribers go too.
    Erase { contact_id: String },
}

/// What `envelope` changes for the newsletter, if anything. Read at delivery: a contact's
/// tags are the ones held now, a canvasser's address is their account's.
pub async fn update_of(db: &Db, envelope: &Envelope) -> Result<Option<Update>, String> {
    // An event this version cannot read changes nothing.
    let Ok(event) = envelope.event() else { return Ok(None) };
    let at = envelope.occurred_at.as_str();
    match &event {
        Event::ContactUnsubscribed(e) => {
            return Ok(Some(Update::Unsubscribe { email: normalise_email(&e.email) }));
        }
        Event::ContactUpdated(e) => {
            return Ok(Some(Update::Correct {
                previous_email: normalise_email(&e.previous_email),
                email: normalise_email(&e.email),
                name: e.name.trim().to_string(),
            }));
        }
        Event::ContactErased(e) => return Ok(Some(Update::Erase { contact_id: e.contact_id.clone() })),
        Event::ContactMerged(e) => {
            let email = normalise_email(&e.email);
            let unsubscribed = unsubscribed(db, &email).await.map_err(|e| e.to_string())?;
            return Ok(Some(Update::Merge {
                merged_email: normalise_email(&e.merged_email),
                email,
                unsubscribed,
            }));
        }
        _ => {}
    }
    let change = match &event {
        Event::ShiftSignupCreated(e) => Some(Change::new(
            &e.email,
            &e.name,
            Some(Audience::Volunteers),
            json!({ "contact_id": e.contact_id, "volunteer": true, "last_shift_signup_at": at }),
        )),
        Event::CanvassSessionCompleted(e) => {
            let user = crate::users::service::find_by_id(db, &e.canvasser_user_id)
                .await
                .map_err(|e| e.to_string())?;
            user.map(|user| {
                Change::new(
                    &user.email,
                    &user.display_name,
                    Some(Audience::Volunteers),
                    json!({ "volunteer": true, "last_canvass_at": at }),
                )
            })
        }
        Event::CanvassAddressUpdated(e) => {
            e.email.as_deref().filter(|email| !email.is_empty()).map(|email| {
                Change::new(
                    email,
                    "",
                    Some(Audience::Supporters),
                    json!({ "contact_id": e.contact_id, "supporter": true, "postal_code": e.postal_code }),
                )
            })
        }
        Event::CampaignEmailSent(e) => Some(Change::new(
            &e.supporter_email,
            &e.supporter_name,
            Some(Audience::Supporters),
            json!({ "contact_id": e.contact_id, "supporter": true, "last_campaign": e.campaign_title }),
        )),
        Event::DonationCompleted(e) => Some(Change::new(
            &e.donor_email,
            &e.donor_name,
            Some(Audience::Donors),
            json!({ "contact_id": e.contact_id, "donor": true, "last_donation_at": at }),
        )),
        Event::SubscriptionActivated(e) => Some(Change::new(
            &e.email,
            &e.name,
            Some(Audience::Donors),
            json!({ "contact_id": e.contact_id, "donor": true, "monthly_plan": e.plan_name }),
        )),
        Event::ProductPurchased(e) => Some(Change::new(
            &e.buyer_email,
            &e.buyer_name,
            Some(Audience::Donors),
            json!({ "contact_id": e.contact_id, "buyer": true, "last_purchase_at": at }),
        )),
        Event::ContactTagsChanged(e) => {
            let tags =
                crate::contacts::service::tags_held(db, &e.contact_id).await.map_err(|e| e.to_string())?;
            Some(Change::new(&e.email, "", None, json!({ "contact_id": e.contact_id, "tags": tags })))
        }
        Event::ReengagementSent(e) => Some(Change::new(
            &e.email,
            &e.name,
            None,
            json!({ "contact_id": e.contact_id, "last_reengaged_at": at }),
        )),
        _ => None,
    };
    let Some(mut change) = change else { return Ok(None) };
    // An event about someone since erased names no one (`erased:<id>` is not an address).
    if !is_plausible_email(&change.email) {
        return Ok(None);
    }
    // No list for someone who asked Changemaker for no more bulk email.
    if change.audience.is_some() && unsubscribed(db, &change.email).await.map_err(|e| e.to_string())? {
        change.audience = None;
    }
    Ok(Some(Update::Change(change)))
}

/// Whether the contact with this email asked for no more bulk email.
async fn unsubscribed(db: &Db, email: &str) -> Result<bool, sqlx::Error> {
    let found: Option<Option<i64>> =
        sqlx::query_scalar("SELECT unsubscribed_at FROM contacts WHERE email = $1")
            .bind(email)
            .fetch_optional(db.pool())
            .await?;
    Ok(found.flatten().is_some())
}

/// A subscriber as Listmonk answers it, with what an update must send back.
#[derive(Debug, Deserialize)]
struct Subscriber {
    id: i64,
    email: String,
    name: String,
    status: String,
    #[serde(default)]
    attribs: Map<String, Value>,
    #[serde(default)]
    lists: Vec<SubscribedList>,
}

#[derive(Debug, Deserialize)]
struct SubscribedList {
    id: i64,
    /// unconfirmed, confirmed or unsubscribed.
    #[serde(default)]
    subscription_status: String,
}

#[derive(Debug, Deserialize)]
struct List {
    id: i64,
    name: String,
}

/// Listmonk's answers wrap what they carry in `data`.
#[derive(Deserialize)]
struct Data<T> {
    data: T,
}

#[derive(Deserialize)]
struct Results<T> {
    results: Vec<T>,
}

/// Listmonk's API, as the API user.
pub struct Listmonk<'a> {
    pub http: &'a reqwest::Client,
    pub target: &'a ListmonkTarget,
}

impl Listmonk<'_> {
    /// Makes Listmonk hold `change`: the subscriber added or updated, on their list.
    pub async fn apply(&self, change: &Change) -> Result<(), String> {
        let list_id = match change.audience {
            Some(audience) => Some(self.list_id(self.list_name(audience)).await?),
            None => None,
        };
        let Some(found) = self.subscriber(&change.email).await? else {
            // Not a subscriber, and nothing to subscribe them to.
            let Some(list_id) = list_id else { return Ok(()) };
            let name = if change.name.is_empty() { local_part(&change.email) } else { change.name.clone() };
            let body = json!({
                "email": change.email,
                "name": name,
                "status": "enabled",
                "lists": [list_id],
                "attribs": { ATTRIBUTE: change.attributes },
                "preconfirm_subscriptions": false,
            });
            return self.send(reqwest::Method::POST, "/api/subscribers", &body).await.map(|_| ());
        };
        let attribs = with_changes(&found.attribs, &change.attributes);
        let mut lists: Vec<i64> = found.lists.iter().map(|l| l.id).collect();
        let joins = list_id.filter(|id| !lists.contains(id));
        if attribs == found.attribs && joins.is_none() {
            return Ok(());
        }
        lists.extend(joins);
        // Listmonk's update replaces the lists with those sent, so every one they are on
        // (unsubscribed ones too, which stay unsubscribed) goes back with the new one.
        let body = json!({
            "email": found.email,
            "name": found.name,
            "status": found.status,
            "lists": lists,
            "attribs": attribs,
            "preconfirm_subscriptions": false,
        });
        let path = format!("/api/subscribers/{}", found.id);
        self.send(reqwest::Method::PUT, &path, &body).await.map(|_| ())
    }

    /// Unsubscribes the subscriber with this email, if there is one, from every list they are
    /// on.
    pub async fn unsubscribe(&self, email: &str) -> Result<(), String> {
        let Some(found) = self.subscriber(email).await? else { return Ok(()) };
        let lists: Vec<i64> = found.lists.iter().map(|l| l.id).collect();
        if lists.is_empty() {
            return Ok(());
        }
        let body = json!({ "ids": [found.id], "action": "unsubscribe", "target_list_ids": lists });
        self.send(reqwest::Method::PUT, "/api/subscribers/lists", &body).await.map(|_| ())
    }

    /// Gives the subscriber with `previous_email`, if there is one, the corrected address and
    /// name; their lists, status and attributes stay. When another subscriber has the new
    /// address already, Listmonk cannot hold both: the old one is left for an admin there.
    pub async fn correct(&self, previous_email: &str, email: &str, name: &str) -> Result<(), String> {
        let Some(found) = self.subscriber(previous_email).await? else { return Ok(()) };
        let moves = !found.email.eq_ignore_ascii_case(email);
        if (!moves && found.name == name) || (moves && self.subscriber(email).await?.is_some()) {
            return Ok(());
        }
        let body = json!({
            "email": email,
            "name": name,
            "status": found.status,
            "lists": found.lists.iter().map(|l| l.id).collect::<Vec<i64>>(),
            "attribs": found.attribs,
            "preconfirm_subscriptions": false,
        });
        let path = format!("/api/subscribers/{}", found.id);
        self.send(reqwest::Method::PUT, &path, &body).await.map(|_| ())
    }

    /// Makes the subscriber of a contact merged into another (`merged_email`) one with the
    /// kept contact's (`email`), so that the person gets one copy of each newsletter; someone
    /// `unsubscribed` from Changemaker's bulk email then leaves every list. Each step can be
    /// made again, for a delivery retried halfway.
    pub async fn merge(&self, merged_email: &str, email: &str, unsubscribed: bool) -> Result<(), String> {
        self.fold(merged_email, email, unsubscribed).await?;
        if unsubscribed { self.unsubscribe(email).await } else { Ok(()) }
    }

    /// Without a subscriber of its own, the kept address takes the merged one over (as a
    /// correction does). Otherwise the kept subscriber joins the lists the merged one is
    /// subscribed to (not those it left, and none when `unsubscribed`), gains the merged one's
    /// `changemaker` attributes it lacks, and the merged subscriber is deleted. A blocklisted
    /// merged subscriber is left to Listmonk.
    async fn fold(&self, merged_email: &str, email: &str, unsubscribed: bool) -> Result<(), String> {
        let Some(merged) = self.subscriber(merged_email).await? else { return Ok(()) };
        if merged.status == "blocklisted" {
            return Ok(());
        }
        let Some(kept) = self.subscriber(email).await? else {
            return self.correct(merged_email, email, &merged.name).await;
        };
        let mut lists: Vec<i64> = kept.lists.iter().map(|l| l.id).collect();
        let joins: Vec<i64> = merged
            .lists
            .iter()
            .filter(|l| !unsubscribed && l.subscription_status != "unsubscribed" && !lists.contains(&l.id))
            .map(|l| l.id)
            .collect();
        // The kept subscriber's own values win over the merged one's.
        let mut ours = match merged.attribs.get(ATTRIBUTE) {
            Some(Value::Object(theirs)) => theirs.clone(),
            _ => Map::new(),
        };
        if let Some(Value::Object(kept_ours)) = kept.attribs.get(ATTRIBUTE) {
            ours.extend(kept_ours.clone());
        }
        let attribs = with_changes(&kept.attribs, &ours);
        if attribs != kept.attribs || !joins.is_empty() {
            lists.extend(joins);
            let body = json!({
                "email": kept.email,
                "name": kept.name,
                "status": kept.status,
                "lists": lists,
                "attribs": attribs,
                "preconfirm_subscriptions": false,
            });
            self.send(reqwest::Method::PUT, &format!("/api/subscribers/{}", kept.id), &body).await?;
        }
        self.delete(merged.id).await
    }

    /// Deletes every subscriber whose `changemaker` attributes name contact `contact_id`: the
    /// erased contact's address is no longer known here, their id is.
    pub async fn erase(&self, contact_id: &str) -> Result<(), String> {
        let query = format!(
            "subscribers.attribs->'{ATTRIBUTE}'->>'contact_id' = '{}'",
            contact_id.replace('\'', "''")
        );
        let path = format!("/api/subscribers?per_page=all&query={}", crate::ui::urlencode(&query));
        let found: Data<Results<Subscriber>> = self.get(&path).await?;
        for subscriber in found.data.results {
            self.delete(subscriber.id).await?;
        }
        Ok(())
    }

    async fn delete(&self, subscriber_id: i64) -> Result<(), String> {
        let path = format!("/api/subscribers/{subscriber_id}");
        let sent = self.request(reqwest::Method::DELETE, &path).send().await;
        super::http::success(super::http::answer(sent, SERVICE)?, SERVICE).map(|_| ())
    }

    fn list_name(&self, audience: Audience) -> &str {
        let lists = &self.target.lists;
        match audience {
            Audience::Volunteers => &lists.volunteers,
            Audience::Supporters => &lists.supporters,
            Audience::Donors => &lists.donors,
        }
    }

    /// The id of the list named `name`, made (private, single opt-in) when there is none.
    /// Every list is read: Listmonk's list search is a full-text query, which a name with
    /// spaces breaks, and a group has few lists.
    async fn list_id(&self, name: &str) -> Result<i64, String> {
        let found: Data<Results<List>> = self.get("/api/lists?per_page=all").await?;
        if let Some(list) = found.data.results.into_iter().find(|list| list.name == name) {
            return Ok(list.id);
        }
        let body = json!({ "name": name, "type": "private", "optin": "single", "tags": ["changemaker"] });
        let made: Data<List> = read(self.send(reqwest::Method::POST, "/api/lists", &body).await?).await?;
        Ok(made.data.id)
    }

    /// The subscriber with this email, if there is one.
    async fn subscriber(&self, email: &str) -> Result<Option<Subscriber>, String> {
        let query = format!("LOWER(subscribers.email) = '{}'", email.to_lowercase().replace('\'', "''"));
        let path = format!("/api/subscribers?per_page=1&query={}", crate::ui::urlencode(&query));
        let found: Data<Results<Subscriber>> = self.get(&path).await?;
        Ok(found.data.results.into_iter().next())
    }

    fn request(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        let target = self.target;
        self.http
            .request(method, format!("{}{path}", target.base_url))
            .basic_auth(&target.api_user, Some(target.api_token.expose_secret()))
    }

    async fn get<T: serde::de::DeserializeOwned>(&self, path: &str) -> Result<T, String> {
        let sent = self.request(reqwest::Method::GET, path).send().await;
        read(super::http::success(super::http::answer(sent, SERVICE)?, SERVICE)?).await
    }

    async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        body: &Value,
    ) -> Result<reqwest::Response, String> {
        let sent = self.request(method, path).json(body).send().await;
        super::http::success(super::http::answer(sent, SERVICE)?, SERVICE)
    }
}

async fn read<T: serde::de::DeserializeOwned>(response: reqwest::Response) -> Result<T, String> {
    response.json().await.map_err(|e| format!("{SERVICE} answered something unexpected: {}", e.without_url()))
}

/// The subscriber's attributes with `changes` set in their `changemaker` attribute; the
/// rest (theirs, or another tool's) kept.
fn with_changes(attribs: &Map<String, Value>, changes: &Map<String, Value>) -> Map<String, Value> {
    let mut attribs = attribs.clone();
    let ours = attribs.entry(ATTRIBUTE).or_insert_with(|| Value::Object(Map::new()));
    if !ours.is_object() {
        *ours = Value::Object(Map::new());
    }
    if let Value::Object(ours) = ours {
        for (key, value) in changes {
            ours.insert(key.clone(), value.clone());
        }
    }
    attribs
}

/// A name for someone who gave none: their address' part before the `@`.
fn local_part(email: &str) -> String {
    email.split('@').next().unwrap_or(email).to_string()
}

/// The activity that puts a contact on each list, as the CRM's timeline records it.
const AUDIENCE_TOPICS: [(&str, Audience); 5] = [
    ("shift.signup.created", Audience::Volunteers),
    ("campaign.email.sent", Audience::Supporters),
    ("donation.completed", Audience::Donors),
    ("subscription.activated", Audience::Donors),
    ("product.purchased", Audience::Donors),
];

/// Starts a background job making every contact who has volunteered, emailed a
/// representative or given (and has not unsubscribed) a subscriber on their lists, with
/// their tags; answers with the job's id. For those who were contacts before the newsletter
/// was turned on; running it again changes only what is not in step. Stops at the first
/// failure, since Listmonk is then most likely down.
pub async fn start_adding_contacts(db: &Db, key: &SecretKey, actor: &Actor) -> Result<String, AddError> {
    let target = service::load_newsletter(db, key).await?.target().ok_or(AddError::NotSetUp)?;
    let topics = AUDIENCE_TOPICS.iter().map(|(topic, _)| format!("'{topic}'")).collect::<Vec<_>>().join(", ");
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT DISTINCT c.id, c.email, c.name, c.created_at, a.topic FROM contacts c \
         JOIN contact_activity a ON a.contact_id = c.id \
         WHERE c.unsubscribed_at IS NULL AND a.topic IN ({topics}) ORDER BY c.created_at, c.id"
    )))
    .fetch_all(db.pool())
    .await?;
    // One row per contact and topic, a contact's rows together.
    let mut contacts: Vec<ContactToAdd> = Vec::new();
    for row in rows {
        let id: String = row.try_get("id")?;
        let topic: String = row.try_get("topic")?;
        let Some(&(_, audience)) = AUDIENCE_TOPICS.iter().find(|(t, _)| *t == topic) else { continue };
        match contacts.last_mut() {
            Some(last) if last.id == id => {
                if !last.audiences.contains(&audience) {
                    last.audiences.push(audience);
                }
            }
            _ => contacts.push(ContactToAdd {
                id,
                email: row.try_get("email")?,
                name: row.try_get("name")?,
                audiences: vec![audience],
            }),
        }
    }
    if contacts.is_empty() {
        return Err(AddError::NothingToAdd);
    }
    let db_for_job = db.clone();
    let total = contacts.len() as i64;
    let id = crate::jobs::service::spawn(db, "newsletter", total, actor, move |progress| async move {
        add_contacts(&db_for_job, &target, &contacts, progress).await
    })
    .await?;
    Ok(id)
}

/// A contact the job adds, and the lists of what they have done.
struct ContactToAdd {
    id: String,
    email: String,
    name: String,
    audiences: Vec<Audience>,
}

#[derive(Debug, thiserror::Error)]
pub enum AddError {
    #[error("Turn the newsletter on and save Listmonk's address, API user and token first.")]
    NotSetUp,
    #[error(
        "No contact has volunteered, emailed a representative or given yet (or all of them unsubscribed)."
    )]
    NothingToAdd,
    #[error(transparent)]
    Database(#[from] sqlx::Error),
}

async fn add_contacts(
    db: &Db,
    target: &ListmonkTarget,
    contacts: &[ContactToAdd],
    progress: Progress,
) -> Result<JobResult, sqlx::Error> {
    let http = super::http::client();
    let listmonk = Listmonk { http: &http, target };
    let mut added = 0;
    let mut stopped = None;
    'contacts: for contact in contacts {
        let tags = crate::contacts::service::tags_held(db, &contact.id).await?;
        for &audience in &contact.audiences {
            let flag = match audience {
                Audience::Volunteers => "volunteer",
                Audience::Supporters => "supporter",
                Audience::Donors => "donor",
            };
            let attributes = json!({ "contact_id": contact.id, flag: true, "tags": tags });
            let change = Change::new(&contact.email, &contact.name, Some(audience), attributes);
            if let Err(e) = listmonk.apply(&change).await {
                stopped = Some(e);
                break 'contacts;
            }
        }
        added += 1;
        progress.set(added).await?;
    }
    Ok(super::http::adding_result(added, ("contact", "contacts"), "Listmonk", stopped))
}

/// A report of what happened to a newsletter email, as posted to `/api/webhooks/newsletter`.
#[derive(Debug, Deserialize)]
pub struct Report {
    /// The sender's id for this report, unique: a report sent again is received once.
    pub id: String,
    /// `opened`, `clicked`, `bounced` or `unsubscribed`.
    #[serde(rename = "type")]
    pub kind: String,
    pub email: String,
    /// The newsletter (campaign) it is about.
    #[serde(default)]
    pub message_id: String,
    /// The link clicked (`clicked` only).
    #[serde(default)]
    pub url: String,
    /// A hard bounce: the address does not exist (`bounced` only).
    #[serde(default)]
    pub hard: bool,
    /// The list left (`unsubscribed`); none means every list.
    #[serde(default)]
    pub list: String,
}

#[derive(Debug, PartialEq)]
pub enum ReportOutcome {
    Received,
    /// Received before, under the same id: nothing done again.
    Duplicate,
}

#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error("Newsletter reports are not set up: save a reports secret under Integrations first.")]
    NotSetUp,
    #[error("The reports secret is missing or wrong.")]
    Unauthorised,
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Database(#[from] sqlx::Error),
}

/// Receives one report: checks its bearer secret, reads and checks it, and publishes its
/// `newsletter.*` event, once per report id. An unsubscribe from every list also marks the
/// contact as wanting no more bulk email from Changemaker (`contact.unsubscribed`).
pub async fn receive_report(
    bus: &Bus,
    key: &SecretKey,
    authorization: Option<&str>,
    body: &[u8],
) -> Result<ReportOutcome, ReportError> {
    let settings = service::load_newsletter(bus.db(), key).await?;
    let secret = settings.reports_secret.ok_or(ReportError::NotSetUp)?;
    let presented = authorization.and_then(|a| a.strip_prefix("Bearer ")).unwrap_or_default();
    if !same_secret(key, presented, secret.expose_secret()) {
        return Err(ReportError::Unauthorised);
    }
    let report: Report = serde_json::from_slice(body)
        .map_err(|e| ReportError::Invalid(format!("The report is not one this server reads: {e}.")))?;
    check(&report).map_err(|problem| ReportError::Invalid(problem.to_string()))?;

    let email = normalise_email(&report.email);
    let mut tx = bus.db().begin_write().await?;
    let first = sqlx::query(
        "INSERT INTO newsletter_reports (id, received_at) VALUES ($1, $2) ON CONFLICT DO NOTHING",
    )
    .bind(&report.id)
    .bind(crate::db::now_unix())
    .execute(&mut *tx)
    .await?;
    if first.rows_affected() == 0 {
        return Ok(ReportOutcome::Duplicate);
    }
    let contact = sqlx::query("SELECT id, unsubscribed_at FROM contacts WHERE email = $1")
        .bind(&email)
        .fetch_optional(&mut *tx)
        .await?;
    let contact_id: Option<String> = contact.as_ref().map(|row| row.try_get("id")).transpose()?;
    let already_unsubscribed = match &contact {
        Some(row) => row.try_get::<Option<i64>, _>("unsubscribed_at")?.is_some(),
        None => false,
    };
    let actor = Actor::Webhook("newsletter".into());
    let (subscriber_email, message_id) = (email.clone(), report.message_id.clone());
    // Leaving every list, or an address that does not exist, ends Changemaker's bulk email too.
    let stops_bulk_email = match report.kind.as_str() {
        "unsubscribed" if report.list.is_empty() => Some("NEWSLETTER"),
        "bounced" if report.hard => Some("BOUNCED"),
        _ => None,
    };
    if let (Some(source), Some(id)) = (stops_bulk_email, &contact_id)
        && !already_unsubscribed
    {
        crate::contacts::service::mark_unsubscribed(&mut tx, &actor, id, &email, source).await?;
    }
    let event = match report.kind.as_str() {
        "opened" => {
            Event::NewsletterEmailOpened(NewsletterEmailOpened { subscriber_email, contact_id, message_id })
        }
        "clicked" => Event::NewsletterEmailClicked(NewsletterEmailClicked {
            subscriber_email,
            contact_id,
            message_id,
            url: report.url.clone(),
        }),
        "bounced" => Event::NewsletterEmailBounced(NewsletterEmailBounced {
            subscriber_email,
            contact_id,
            message_id,
            hard: report.hard,
        }),
        _ => Event::NewsletterUnsubscribed(NewsletterUnsubscribed {
            subscriber_email,
            contact_id,
            list: report.list.clone(),
        }),
    };
    bus::publish(&mut tx, &actor, &event).await?;
    bus.commit(tx).await?;
    Ok(ReportOutcome::Received)
}

/// What is wrong with a report, if anything.
fn check(report: &Report) -> Result<(), &'static str> {
    let short = |text: &str| is_one_line(text, REPORT_TEXT_MAX);
    if report.id.trim().is_empty() || !short(&report.id) {
        return Err("Give the report an id of 1 to 200 characters, unique to it.");
    }
    if !matches!(report.kind.as_str(), "opened" | "clicked" | "bounced" | "unsubscribed") {
        return Err("A report's type is opened, clicked, bounced or unsubscribed.");
    }
    if !is_plausible_email(&normalise_email(&report.email)) {
        return Err("A report's email is the subscriber's address, like name@example.org.");
    }
    if !short(&report.message_id) || !short(&report.list) {
        return Err("A message id or list name is at most 200 characters on one line.");
    }
    let url_ok = reqwest::Url::parse(&report.url)
        .is_ok_and(|url| matches!(url.scheme(), "https" | "http") && report.url.len() <= URL_MAX);
    if report.kind == "clicked" && !url_ok {
        return Err("A click report's url is the whole link clicked, starting with https:// or http://.");
    }
    Ok(())
}

/// Whether the presented secret is the stored one, compared in constant time: as their
/// signatures with the instance's key, which `verify` compares that way.
fn same_secret(key: &SecretKey, presented: &str, stored: &str) -> bool {
    const LABEL: &str = "newsletter-reports-secret";
    key.verify(LABEL, presented, &key.sign(LABEL, stored))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(kind: &str) -> Report {
        Report {
            id: "r-1".into(),
            kind: kind.into(),
            email: "Jo@Example.org".into(),
            message_id: "campaign-7".into(),
            url: String::new(),
            hard: false,
            list: String::new(),
        }
    }

    #[test]
    fn reports_are_checked_before_anything_is_done() {
        assert_eq!(check(&report("opened")), Ok(()));
        assert_eq!(check(&report("unsubscribed")), Ok(()));
        assert!(check(&report("forwarded")).is_err());
        assert!(check(&Report { id: " ".into(), ..report("opened") }).is_err());
        assert!(check(&Report { email: "not an address".into(), ..report("opened") }).is_err());
        assert!(check(&Report { list: "a\nb".into(), ..report("unsubscribed") }).is_err());
        assert!(check(&report("clicked")).is_err(), "a click names its link");
        assert!(check(&Report { url: "javascript:alert(1)".into(), ..report("clicked") }).is_err());
        assert_eq!(check(&Report { url: "https://example.org/a".into(), ..report("clicked") }), Ok(()));
    }

    #[test]
    fn the_reports_secret_must_match_exactly() {
        use base64::Engine;
        let key =
            SecretKey::from_base64(&base64::engine::general_purpose::STANDARD.encode([7u8; 32])).unwrap();
        let stored = "0123456789abcdef0123456789abcdef";
        assert!(same_secret(&key, stored, stored));
        assert!(!same_secret(&key, "", stored));
        assert!(!same_secret(&key, &stored[1..], stored));
        assert!(!same_secret(&key, &format!("{stored}0"), stored));
    }

    #[test]
    fn our_attribute_is_updated_and_the_rest_kept() {
        let before = json!({ "city": "Leeds", "changemaker": { "volunteer": true, "tags": ["a"] } });
        let Value::Object(before) = before else { unreachable!() };
        let Value::Object(changes) = json!({ "tags": ["a", "b"], "donor": true }) else { unreachable!() };
        let after = with_changes(&before, &changes);
        assert_eq!(
            Value::Object(after),
            json!({ "city": "Leeds", "changemaker": { "volunteer": true, "tags": ["a", "b"], "donor": true } })
        );
        // Something else under our name is replaced rather than merged into.
        let Value::Object(odd) = json!({ "changemaker": "x" }) else { unreachable!() };
        assert_eq!(Value::Object(with_changes(&odd, &changes)), json!({ "changemaker": changes }));
    }

    #[test]
    fn someone_without_a_name_is_called_by_their_address() {
        assert_eq!(local_part("sam.lee@example.org"), "sam.lee");
    }
}
