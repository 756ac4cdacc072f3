//! Campaign rules (ssr only): saving and moderating campaigns, supporters' emails through the
//! email queue, and representatives' responses.

use std::time::Duration;

use sqlx::Row;

use super::{
    Campaign, CampaignCard, CampaignDetail, CampaignFilter, CampaignForm, CampaignPage, CampaignResponse,
    CampaignRow, CampaignStatus, PublicCampaign, Recipient, ResponseForm, ResponsePage, StatusChange,
    SupporterExport, SupporterForm, SupporterRow,
};
use crate::bus::{self, Bus};
use crate::db::{self, Db, Tx};
use crate::email::service::OutgoingEmail;
use crate::error::{FieldError, Validation, is_plain_text};
use crate::events::catalog::{
    CampaignCreated, CampaignDeleted, CampaignEmailSent, CampaignPublished, CampaignStatusChanged,
    CampaignUpdated, ResponseModerated, ResponseSubmitted,
};
use crate::events::{Actor, Event};
use crate::rate_limit::Allowance;
use crate::settings;
use crate::time_zone::Zone;
use crate::users::service::{is_plausible_email, normalise_email};

#[derive(Debug, thiserror::Error)]
pub enum CampaignError {
    #[error("invalid campaign details")]
    Invalid(Vec<FieldError>),
    #[error("no such campaign")]
    NotFound,
    #[error("this address is taken")]
    SlugTaken,
    /// An edit was made on the campaign as it was before someone else saved it.
    #[error("someone else saved this campaign meanwhile")]
    ChangedMeanwhile,
    #[error("a {0:?} campaign cannot become {1:?}")]
    NotAllowed(CampaignStatus, CampaignStatus),
    #[error("the campaign is not active")]
    NotActive,
    #[error("already sent in the last 24 hours")]
    AlreadySent,
    #[error("too many requests")]
    RateLimited(Duration),
    #[error(transparent)]
    Database(#[from] sqlx::Error),
}

/// Campaigns on a page of the admin list.
pub const PAGE_SIZE: i64 = 50;
/// Responses on a page of a campaign's (admin's or public).
pub const RESPONSES_PAGE_SIZE: i64 = 20;

/// A supporter may send a campaign's email once per this many seconds.
pub const RESEND_AFTER_SECS: i64 = 24 * 3600;

/// The longest address (`/campaigns/<slug>`).
const SLUG_MAX: usize = 80;

/// Checks a campaign form; answers with its recipients.
pub fn validate(form: &CampaignForm) -> Result<Vec<Recipient>, Vec<FieldError>> {
    let mut v = Validation::new();
    v.check(!form.title.trim().is_empty(), "title", "Enter a title.");
    v.check(
        is_plain_text(&form.title, super::TITLE_MAX_CHARS),
        "title",
        "Titles can be at most 200 characters.",
    );
    v.check(
        crate::slug::may_stand(form.slug.trim(), &form.title, SLUG_MAX),
        "slug",
        "Use 1 to 80 lower-case letters, digits and hyphens, like save-the-park.",
    );
    v.check(is_plain_text(&form.summary, 1_000), "summary", "The summary can be at most 1,000 characters.");
    v.check(
        is_plain_text(&form.body, super::TEXT_MAX_CHARS),
        "body",
        "The text can be at most 20,000 characters.",
    );
    v.check(
        is_plain_text(&form.call_to_action, 200),
        "call_to_action",
        "The call to action can be at most 200 characters.",
    );
    let recipients = match super::parse_recipients(&form.recipients) {
        Ok(r) if r.is_empty() => {
            v.add("recipients", "Add at least one recipient.");
            Vec::new()
        }
        Ok(r) if r.len() > super::MAX_RECIPIENTS => {
            v.add("recipients", "A campaign can email at most 50 recipients.");
            Vec::new()
        }
        Ok(r) => r,
        Err(message) => {
            v.add("recipients", &message);
            Vec::new()
        }
    };
    v.check(!form.email_subject.trim().is_empty(), "email_subject", "Enter the email's subject.");
    v.check(
        is_plain_text(&form.email_subject, 200),
        "email_subject",
        "Subjects can be at most 200 characters.",
    );
    v.check(!form.email_template.trim().is_empty(), "email_template", "Write the email.");
    v.check(
        is_plain_text(&form.email_template, super::TEXT_MAX_CHARS),
        "email_template",
        "The email can be at most 20,000 characters.",
    );
    for (field, text) in [("email_subject", &form.email_subject), ("email_template", &form.email_template)] {
        if let Some(problem) = crate::template::problem(text, super::PLACEHOLDERS) {
            v.add(field, &problem);
        }
    }
    v.finish()?;
    Ok(recipients)
}

const COLUMNS: &str = "id, slug, title, summary, body, call_to_action, recipients, email_subject, email_template, \
                       status, emails_sent, created_at, edits";

fn campaign_from_row(row: &sqlx::any::AnyRow, zone: Zone) -> Result<Campaign, sqlx::Error> {
    let status: String = row.try_get("status")?;
    let recipients: String = row.try_get("recipients")?;
    Ok(Campaign {
        id: row.try_get("id")?,
        slug: row.try_get("slug")?,
        title: row.try_get("title")?,
        summary: row.try_get("summary")?,
        body: row.try_get("body")?,
        call_to_action: row.try_get("call_to_action")?,
        recipients: serde_json::from_str(&recipients).unwrap_or_default(),
        email_subject: row.try_get("email_subject")?,
        email_template: row.try_get("email_template")?,
        status: CampaignStatus::parse(&status).unwrap_or(CampaignStatus::Draft),
        emails_sent: row.try_get("emails_sent")?,
        created: zone.date(row.try_get("created_at")?),
        edits: row.try_get("edits")?,
    })
}

/// One page of campaigns, newest first, by part of the title and by status.
pub async fn list(db: &Db, filter: &CampaignFilter) -> Result<CampaignPage, CampaignError> {
    let status = crate::error::title_and_status_filter(&filter.search, &filter.status, CampaignStatus::parse)
        .map_err(CampaignError::Invalid)?;
    let (conditions, binds) =
        db::title_and_status_conditions("title", &filter.search, "status", status.map(|s| s.as_str()));
    let count = db::fetch_count(db, &format!("SELECT COUNT(*) FROM campaigns{conditions}"), &binds).await?;
    let select = format!(
        "SELECT id, title, status, emails_sent, created_at FROM campaigns{conditions} ORDER BY created_at DESC, id"
    );
    let (rows, page, has_more) = db::fetch_page(db, &select, &binds, filter.page, PAGE_SIZE).await?;
    let zone = settings::time_zone(db).await?;
    let rows = rows
        .iter()
        .map(|r| {
            let status: String = r.try_get("status")?;
            Ok(CampaignRow {
                id: r.try_get("id")?,
                title: r.try_get("title")?,
                status: CampaignStatus::parse(&status).unwrap_or(CampaignStatus::Draft),
                emails_sent: r.try_get("emails_sent")?,
                created: zone.date(r.try_get("created_at")?),
            })
        })
        .collect::<Result<Vec<_>, sqlx::Error>>()?;
    Ok(CampaignPage { rows, page, has_more, count })
}

async fn find(db: &Db, column: &str, value: &str) -> Result<Campaign, CampaignError> {
    let zone = settings::time_zone(db).await?;
    let row =
        sqlx::query(sqlx::AssertSqlSafe(format!("SELECT {COLUMNS} FROM campaigns WHERE {column} = $1")))
            .bind(value)
            .fetch_optional(db.pool())
            .await?
            .ok_or(CampaignError::NotFound)?;
    Ok(campaign_from_row(&row, zone)?)
}

/// The campaign, locked until commit on PostgreSQL: for the change's rules, never shown (its
/// `created` is a UTC date).
async fn locked(tx: &mut Tx, column: &str, value: &str) -> Result<Campaign, CampaignError> {
    let lock = db::for_update(tx);
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM campaigns WHERE {column} = $1{lock}"
    )))
    .bind(value)
    .fetch_optional(&mut **tx)
    .await?
    .ok_or(CampaignError::NotFound)?;
    Ok(campaign_from_row(&row, Zone::UTC)?)
}

pub async fn slug_of(db: &Db, id: &str) -> Result<String, CampaignError> {
    Ok(find(db, "id", id).await?.slug)
}

/// Creates a DRAFT (empty `id`) or updates a campaign; publishes `campaign.created` or
/// `campaign.updated`.
pub async fn save(
    bus: &Bus,
    actor: &Actor,
    id: &str,
    form: &CampaignForm,
) -> Result<Campaign, CampaignError> {
    let derived;
    let form = if form.slug.trim().is_empty() {
        derived = CampaignForm { slug: crate::slug::from_title(&form.title, SLUG_MAX), ..form.clone() };
        &derived
    } else {
        form
    };
    let recipients = validate(form).map_err(CampaignError::Invalid)?;
    let recipients_json = serde_json::to_string(&recipients).unwrap_or_else(|_| "[]".into());
    let mut tx = bus.db().begin_write().await?;
    let now = db::now_unix();
    let is_update = !id.is_empty();
    let (id, status) = if !is_update {
        let id = uuid::Uuid::new_v4().to_string();
        let inserted = sqlx::query(
            "INSERT INTO campaigns (id, slug, title, summary, body, call_to_action, recipients, email_subject, \
             email_template, status, emails_sent, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'DRAFT', 0, $10, $10)",
        )
        .bind(&id)
        .bind(form.slug.trim())
        .bind(form.title.trim())
        .bind(form.summary.trim())
        .bind(form.body.trim())
        .bind(form.call_to_action.trim())
        .bind(&recipients_json)
        .bind(form.email_subject.trim())
        .bind(form.email_template.trim())
        .bind(now)
        .execute(&mut *tx)
        .await;
        match inserted {
            Err(e) if db::is_unique_violation(&e) => return Err(CampaignError::SlugTaken),
            other => other?,
        };
        (id, CampaignStatus::Draft)
    } else {
        let current = locked(&mut tx, "id", id).await?;
        if form.edits.is_some_and(|seen| seen != current.edits) {
            return Err(CampaignError::ChangedMeanwhile);
        }
        let updated = sqlx::query(
            "UPDATE campaigns SET slug = $1, title = $2, summary = $3, body = $4, call_to_action = $5, \
             recipients = $6, email_subject = $7, email_template = $8, updated_at = $9, edits = edits + 1 \
             WHERE id = $10",
        )
        .bind(form.slug.trim())
        .bind(form.title.trim())
        .bind(form.summary.trim())
        .bind(form.body.trim())
        .bind(form.call_to_action.trim())
        .bind(&recipients_json)
        .bind(form.email_subject.trim())
        .bind(form.email_template.trim())
        .bind(now)
        .bind(id)
        .execute(&mut *tx)
        .await;
        match updated {
            Err(e) if db::is_unique_violation(&e) => return Err(CampaignError::SlugTaken),
            other => other?,
        };
        (id.to_string(), current.status)
    };
    let (slug, title, status) =
        (form.slug.trim().to_string(), form.title.trim().to_string(), status.as_str().to_string());
    let event = if is_update {
        Event::CampaignUpdated(CampaignUpdated { campaign_id: id.clone(), slug, title, status })
    } else {
        Event::CampaignCreated(CampaignCreated { campaign_id: id.clone(), slug, title, status })
    };
    bus::publish(&mut tx, actor, &event).await?;
    bus.commit(tx).await?;
    find(bus.db(), "id", &id).await
}

/// Moves a campaign along its moderation path and records who did it and why; publishing a
/// draft also publishes `campaign.published`.
pub async fn change_status(
    bus: &Bus,
    actor: &Actor,
    id: &str,
    to: CampaignStatus,
    reason: &str,
) -> Result<(), CampaignError> {
    let reason = reason.trim();
    if !is_plain_text(reason, 500) {
        return Err(CampaignError::Invalid(FieldError::only(
            "reason",
            "The reason can be at most 500 characters.",
        )));
    }
    let mut tx = bus.db().begin_write().await?;
    let campaign = locked(&mut tx, "id", id).await?;
    if !campaign.status.can_move_to(to) {
        return Err(CampaignError::NotAllowed(campaign.status, to));
    }
    let now = db::now_unix();
    sqlx::query("UPDATE campaigns SET status = $1, updated_at = $2 WHERE id = $3")
        .bind(to.as_str())
        .bind(now)
        .bind(id)
        .execute(&mut *tx)
        .await?;
    sqlx::query(
        "INSERT INTO campaign_status_changes (id, campaign_id, from_status, to_status, reason, actor, at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(uuid::Uuid::new_v4().to_string())
    .bind(id)
    .bind(campaign.status.as_str())
    .bind(to.as_str())
    .bind(reason)
    .bind(actor.to_string())
    .bind(now)
    .execute(&mut *tx)
    .await?;
    let changed = Event::CampaignStatusChanged(CampaignStatusChanged {
        campaign_id: id.to_string(),
        title: campaign.title.clone(),
        from_status: campaign.status.as_str().to_string(),
        to_status: to.as_str().to_string(),
        reason: Some(reason.to_string()).filter(|r| !r.is_empty()),
    });
    bus::publish(&mut tx, actor, &changed).await?;
    if campaign.status == CampaignStatus::Draft && to == CampaignStatus::Active {
        let published = Event::CampaignPublished(CampaignPublished {
            campaign_id: id.to_string(),
            slug: campaign.slug.clone(),
            title: campaign.title.clone(),
            url_path: format!("/campaigns/{}", campaign.slug),
        });
        bus::publish(&mut tx, actor, &published).await?;
    }
    bus.commit(tx).await?;
    Ok(())
}

/// Deletes a campaign with its history, emails record and responses; publishes
/// `campaign.deleted`.
pub async fn delete(bus: &Bus, actor: &Actor, id: &str) -> Result<(), CampaignError> {
    let mut tx = bus.db().begin_write().await?;
    let campaign = locked(&mut tx, "id", id).await?;
    sqlx::query("DELETE FROM campaigns WHERE id = $1").bind(id).execute(&mut *tx).await?;
    crate::audit::service::record(&mut tx, actor, "campaign.deleted", &campaign.slug).await?;
    let event = Event::CampaignDeleted(CampaignDeleted {
        campaign_id: id.to_string(),
        slug: campaign.slug,
        title: campaign.title,
    });
    bus::publish(&mut tx, actor, &event).await?;
    bus.commit(tx).await?;
    Ok(())
}

/// Page `page` of a campaign's responses: for the admin every one, those awaiting moderation
/// first, then newest first; for the public page the approved ones, newest first.
async fn responses(
    db: &Db,
    campaign_id: &str,
    approved_only: bool,
    page: i64,
    zone: Zone,
) -> Result<ResponsePage, sqlx::Error> {
    let (filter, order) = if approved_only {
        (" AND status = 'APPROVED'", "created_at DESC, id")
    } else {
        ("", "CASE WHEN status = 'PENDING' THEN 0 ELSE 1 END, created_at DESC, id")
    };
    let select = format!(
        "SELECT id, representative_name, body, status, created_at FROM campaign_responses \
         WHERE campaign_id = $1{filter} ORDER BY {order}"
    );
    let (rows, page, has_more) =
        db::fetch_page(db, &select, &[campaign_id.to_string()], page, RESPONSES_PAGE_SIZE).await?;
    let rows = rows
        .iter()
        .map(|r| {
            Ok(CampaignResponse {
                id: r.try_get("id")?,
                representative_name: r.try_get("representative_name")?,
                body: r.try_get("body")?,
                status: r.try_get("status")?,
                submitted: zone.stamp(r.try_get("created_at")?),
            })
        })
        .collect::<Result<Vec<_>, sqlx::Error>>()?;
    Ok(ResponsePage { rows, page, has_more })
}

/// The campaigns visitors can act on (active), newest first, at most `limit`.
pub async fn active(db: &Db, limit: i64) -> Result<Vec<CampaignCard>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT slug, title, summary, call_to_action FROM campaigns WHERE status = $1 \
         ORDER BY created_at DESC, id LIMIT $2",
    )
    .bind(CampaignStatus::Active.as_str())
    .bind(limit)
    .fetch_all(db.pool())
    .await?;
    rows.iter()
        .map(|r| {
            Ok(CampaignCard {
                slug: r.try_get("slug")?,
                title: r.try_get("title")?,
                summary: r.try_get("summary")?,
                call_to_action: r.try_get("call_to_action")?,
            })
        })
        .collect()
}

/// An active campaign by its address, with page `page` of its approved responses. A draft is
/// not found; a paused or archived one says so.
pub async fn public(db: &Db, slug: &str, page: i64) -> Result<PublicCampaign, CampaignError> {
    let campaign = find(db, "slug", slug).await?;
    match campaign.status {
        CampaignStatus::Active => {}
        CampaignStatus::Draft => return Err(CampaignError::NotFound),
        CampaignStatus::Paused | CampaignStatus::Archived => return Err(CampaignError::NotActive),
    }
    let responses = responses(db, &campaign.id, true, page, settings::time_zone(db).await?).await?;
    Ok(PublicCampaign { campaign, responses })
}

fn validate_supporter(form: &SupporterForm) -> Result<(), CampaignError> {
    let mut v = Validation::new();
    crate::contacts::service::check_name_and_email(&mut v, &form.name, &form.email);
    let postal = form.postal_code.trim();
    v.check(
        (3..=12).contains(&postal.len())
            && postal.chars().all(|c| c.is_ascii_alphanumeric() || c == ' ' || c == '-'),
        "postal_code",
        "Enter your postal code, like K1A 0A6.",
    );
    v.check(
        is_plain_text(&form.message, super::MESSAGE_MAX_CHARS),
        "message",
        "Your message can be at most 2,000 characters.",
    );
    v.finish().map_err(CampaignError::Invalid)
}

/// A supporter's email: queued once per recipient, recorded, counted, the supporter's contact
/// created or matched, and `campaign.email.sent` published — all in one transaction. The same
/// email address may send once per campaign per 24 hours, and each send (accepted or not)
/// draws on the sender's per-IP allowance. Answers with the recipient count.
pub async fn send(
    bus: &Bus,
    sender: &Allowance<'_>,
    slug: &str,
    form: &SupporterForm,
    now: i64,
) -> Result<i64, CampaignError> {
    sender.take().map_err(CampaignError::RateLimited)?;
    validate_supporter(form)?;
    let email = normalise_email(&form.email);
    let mut tx = bus.db().begin_write().await?;
    // The lock serialises sends to one campaign, so the 24-hour check cannot be raced.
    let campaign = locked(&mut tx, "slug", slug).await?;
    match campaign.status {
        CampaignStatus::Active => {}
        CampaignStatus::Draft => return Err(CampaignError::NotFound),
        CampaignStatus::Paused | CampaignStatus::Archived => return Err(CampaignError::NotActive),
    }
    let recent: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM campaign_emails WHERE campaign_id = $1 AND supporter_email = $2 AND created_at > $3",
    )
    .bind(&campaign.id)
    .bind(&email)
    .bind(now - RESEND_AFTER_SECS)
    .fetch_one(&mut *tx)
    .await?;
    if recent > 0 {
        return Err(CampaignError::AlreadySent);
    }
    let (name, postal_code) = (form.name.trim(), form.postal_code.trim().to_uppercase());
    let contact = crate::contacts::service::find_or_create(&mut tx, &email, name, None, "CAMPAIGN").await?;
    let supporter = SupporterForm {
        name: name.into(),
        email: email.clone(),
        postal_code: postal_code.clone(),
        message: form.message.clone(),
    };
    for to in &campaign.recipients {
        let email = OutgoingEmail {
            to: to.email.clone(),
            subject: super::render_email(&campaign.email_subject, &campaign.title, &supporter, to),
            body: super::render_email(&campaign.email_template, &campaign.title, &supporter, to),
            attachment: None,
        };
        crate::email::service::queue(&mut tx, &email).await?;
    }
    let email_id = uuid::Uuid::new_v4().to_string();
    let recipient_count = campaign.recipients.len() as i64;
    sqlx::query(
        "INSERT INTO campaign_emails (id, campaign_id, contact_id, supporter_name, supporter_email, postal_code, \
         message, recipient_count, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(&email_id)
    .bind(&campaign.id)
    .bind(&contact.id)
    .bind(name)
    .bind(&email)
    .bind(&postal_code)
    .bind(form.message.trim())
    .bind(recipient_count)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    sqlx::query("UPDATE campaigns SET emails_sent = emails_sent + 1 WHERE id = $1")
        .bind(&campaign.id)
        .execute(&mut *tx)
        .await?;
    let sent = Event::CampaignEmailSent(CampaignEmailSent {
        campaign_id: campaign.id.clone(),
        campaign_title: campaign.title.clone(),
        email_id,
        contact_id: Some(contact.id.clone()),
        supporter_name: name.to_string(),
        supporter_email: email,
        postal_code: Some(postal_code),
        recipient_count,
    });
    if let Some(created) = &contact.created {
        bus::publish(&mut tx, &Actor::System, created).await?;
    }
    bus::publish(&mut tx, &Actor::System, &sent).await?;
    bus.commit(tx).await?;
    Ok(recipient_count)
}

/// A representative's reply sent from the public form, within the sender's allowance.
pub async fn respond(
    bus: &Bus,
    sender: &Allowance<'_>,
    slug: &str,
    form: &ResponseForm,
) -> Result<(), CampaignError> {
    sender.take().map_err(CampaignError::RateLimited)?;
    submit_response(bus, &Actor::System, slug, form).await
}

/// A representative's reply to a campaign that has been published, held for moderation;
/// publishes `response.submitted` (with the representative's contact when there is one).
pub async fn submit_response(
    bus: &Bus,
    actor: &Actor,
    slug: &str,
    form: &ResponseForm,
) -> Result<(), CampaignError> {
    let mut v = Validation::new();
    v.check(
        !form.representative_name.trim().is_empty(),
        "representative_name",
        "Enter the representative's name.",
    );
    v.check(
        is_plain_text(&form.representative_name, 100),
        "representative_name",
        "Names can be at most 100 characters.",
    );
    let email = normalise_email(&form.representative_email);
    v.check(
        is_plausible_email(&email),
        "representative_email",
        "Enter a valid email address, like name@example.org.",
    );
    v.check(!form.body.trim().is_empty(), "body", "Enter the response.");
    v.check(is_plain_text(&form.body, 5_000), "body", "A response can be at most 5,000 characters.");
    v.finish().map_err(CampaignError::Invalid)?;
    let campaign = find(bus.db(), "slug", slug).await?;
    if campaign.status == CampaignStatus::Draft {
        return Err(CampaignError::NotFound);
    }
    let mut tx = bus.db().begin_write().await?;
    let id = uuid::Uuid::new_v4().to_string();
    let (name, body) = (form.representative_name.trim(), form.body.trim());
    sqlx::query(
        "INSERT INTO campaign_responses (id, campaign_id, representative_name, representative_email, body, status, \
         submitted_by, created_at) VALUES ($1, $2, $3, $4, $5, 'PENDING', $6, $7)",
    )
    .bind(&id)
    .bind(&campaign.id)
    .bind(name)
    .bind(&email)
    .bind(body)
    .bind(actor.to_string())
    .bind(db::now_unix())
    .execute(&mut *tx)
    .await?;
    let contact_id: Option<String> = sqlx::query_scalar("SELECT id FROM contacts WHERE email = $1")
        .bind(&email)
        .fetch_optional(&mut *tx)
        .await?;
    let event = Event::ResponseSubmitted(ResponseSubmitted {
        response_id: id,
        campaign_id: campaign.id,
        campaign_title: campaign.title,
        representative_name: name.to_string(),
        summary: body.chars().take(200).collect(),
        contact_id,
    });
    bus::publish(&mut tx, actor, &event).await?;
    bus.commit(tx).await?;
    Ok(())
}

/// Approves or rejects a pending response (approved ones show on the public page) and
/// publishes `response.moderated`.
pub async fn moderate(
    bus: &Bus,
    actor: &Actor,
    response_id: &str,
    approve: bool,
) -> Result<(), CampaignError> {
    let status = if approve { "APPROVED" } else { "REJECTED" };
    let mut tx = bus.db().begin_write().await?;
    let done = sqlx::query(
        "UPDATE campaign_responses SET status = $1, moderated_at = $2, moderated_by = $3 \
         WHERE id = $4 AND status = 'PENDING'",
    )
    .bind(status)
    .bind(db::now_unix())
    .bind(actor.to_string())
    .bind(response_id)
    .execute(&mut *tx)
    .await?;
    if done.rows_affected() == 0 {
        return Err(CampaignError::NotFound);
    }
    let (campaign_id, campaign_title, representative_name): (String, String, String) = sqlx::query_as(
        "SELECT c.id, c.title, r.representative_name FROM campaign_responses r \
         JOIN campaigns c ON c.id = r.campaign_id WHERE r.id = $1",
    )
    .bind(response_id)
    .fetch_one(&mut *tx)
    .await?;
    crate::audit::service::record(
        &mut tx,
        actor,
        &format!("response.{}", status.to_lowercase()),
        response_id,
    )
    .await?;
    let event = Event::ResponseModerated(ResponseModerated {
        response_id: response_id.to_string(),
        campaign_id,
        campaign_title,
        representative_name,
        status: status.to_string(),
    });
    bus::publish(&mut tx, actor, &event).await?;
    bus.commit(tx).await?;
    Ok(())
}

/// Every supporter's email of campaign `id`, the first sent first, for the export (in UTC, as
/// its `sent_utc` column says: a file outlives a change of the time zone).
pub async fn all_supporters(db: &Db, id: &str) -> Result<Vec<SupporterExport>, CampaignError> {
    find(db, "id", id).await?;
    let rows = sqlx::query(
        "SELECT supporter_name, supporter_email, postal_code, message, recipient_count, created_at \
         FROM campaign_emails WHERE campaign_id = $1 ORDER BY created_at, id",
    )
    .bind(id)
    .fetch_all(db.pool())
    .await?;
    let supporters = rows
        .iter()
        .map(|r| {
            Ok(SupporterExport {
                sent: Zone::UTC.stamp(r.try_get("created_at")?),
                name: r.try_get("supporter_name")?,
                email: r.try_get("supporter_email")?,
                postal_code: r.try_get("postal_code")?,
                message: r.try_get("message")?,
                representatives: r.try_get("recipient_count")?,
            })
        })
        .collect::<Result<Vec<_>, sqlx::Error>>()?;
    Ok(supporters)
}

/// The admin's page: the campaign, emails sent per day (the organisation's days) over the 30
/// days up to `now`, the 20 most recent supporters, page `page` of the responses (see
/// `responses`) with how many await moderation, and the status history.
pub async fn detail(db: &Db, id: &str, page: i64, now: i64) -> Result<CampaignDetail, CampaignError> {
    let campaign = find(db, "id", id).await?;
    let zone = settings::time_zone(db).await?;
    let first_day = zone.day_of(now) - 29;
    // Counted by quarter hour in the database, then by the organisation's day.
    let sent: Vec<(i64, i64)> = sqlx::query_as(
        "SELECT created_at / 900, COUNT(*) FROM campaign_emails WHERE campaign_id = $1 AND created_at >= $2 \
         GROUP BY created_at / 900",
    )
    .bind(id)
    .bind(zone.day_start(first_day))
    .fetch_all(db.pool())
    .await?;
    let mut emails_per_day: Vec<(String, i64)> =
        (0..30).map(|i| (crate::time::date_time_from_unix((first_day + i) * 86_400).0, 0)).collect();
    for (quarter_hour, count) in sent {
        let day = zone.day_of_quarter_hour(quarter_hour) - first_day;
        if let Some(day) = usize::try_from(day).ok().and_then(|i| emails_per_day.get_mut(i)) {
            day.1 += count;
        }
    }
    let supporters = sqlx::query(
        "SELECT supporter_name, supporter_email, contact_id, created_at FROM campaign_emails \
         WHERE campaign_id = $1 ORDER BY created_at DESC, id LIMIT 20",
    )
    .bind(id)
    .fetch_all(db.pool())
    .await?
    .iter()
    .map(|r| {
        Ok(SupporterRow {
            at: zone.stamp(r.try_get("created_at")?),
            name: r.try_get("supporter_name")?,
            email: r.try_get("supporter_email")?,
            contact_id: r.try_get("contact_id")?,
        })
    })
    .collect::<Result<Vec<_>, sqlx::Error>>()?;
    let history = sqlx::query(
        "SELECT from_status, to_status, reason, actor, at FROM campaign_status_changes \
         WHERE campaign_id = $1 ORDER BY at DESC, id",
    )
    .bind(id)
    .fetch_all(db.pool())
    .await?
    .iter()
    .map(|r| {
        Ok(StatusChange {
            at: zone.stamp(r.try_get("at")?),
            actor: r.try_get("actor")?,
            actor_name: String::new(),
            from_status: r.try_get("from_status")?,
            to_status: r.try_get("to_status")?,
            reason: r.try_get("reason")?,
        })
    })
    .collect::<Result<Vec<StatusChange>, sqlx::Error>>()?;
    let names =
        crate::users::service::actor_names(db, history.iter().map(|h| h.actor.clone()).collect()).await?;
    let history =
        history.into_iter().map(|h| StatusChange { actor_name: names[&h.actor].clone(), ..h }).collect();
    let responses = responses(db, id, false, page, zone).await?;
    let pending_responses = db::fetch_count(
        db,
        "SELECT COUNT(*) FROM campaign_responses WHERE campaign_id = $1 AND status = 'PENDING'",
        &[id.to_string()],
    )
    .await?;
    Ok(CampaignDetail { campaign, emails_per_day, supporters, responses, pending_responses, history })
}
