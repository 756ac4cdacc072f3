//! Text campaign rules (ssr only): who a campaign reaches, starting one (its recipients and
//! `sms.campaign.started` in one transaction), sending it as a background job (each text
//! through Twilio, then its outcome and `sms.message.sent` in one transaction; at the end
//! `sms.campaign.completed`), going on after the server stopped, and the lists.

use std::collections::HashSet;

use sqlx::Row;

use super::campaign_text;
use super::service::{SmsError, international_number, invalid, sender};
use super::{SmsAudience, SmsCampaign, SmsCampaignDetail, SmsCampaignForm, SmsCampaignPage, SmsFailure};
use crate::bus::{self, Bus};
use crate::db::{self, Db};
use crate::error::{Validation, is_one_line, is_plain_text};
use crate::events::catalog::{SmsCampaignCompleted, SmsCampaignStarted, SmsMessageSent};
use crate::events::{Actor, Event};
use crate::integrations::service::{TwilioTarget, load_sms};
use crate::jobs::JobResult;
use crate::jobs::service::Progress;
use crate::secrets::SecretKey;
use crate::state::AppState;

/// Campaigns on a page of the list.
pub const PAGE_SIZE: i64 = 20;
/// The failures a campaign's page lists.
const FAILURES_SHOWN: i64 = 200;
/// Why a text that was being sent when the server stopped is not sent again.
const STOPPED_WHILE_SENDING: &str =
    "The server stopped while sending this one; it is not sent again, in case it went.";

/// Who a campaign to `tag` (empty: every contact) reaches: each usable number once, with
/// the first contact who has it; and how many contacts it leaves out (no usable number,
/// opted out).
async fn audience(
    db: &Db,
    tag: &str,
    country_code: &str,
) -> Result<(Vec<(String, String)>, SmsAudience), sqlx::Error> {
    let tagged =
        if tag.is_empty() { "" } else { " AND c.id IN (SELECT contact_id FROM contact_tags WHERE tag = $1)" };
    let sql = format!(
        "SELECT c.id, c.phone FROM contacts c WHERE c.phone IS NOT NULL AND c.phone <> ''{tagged} \
         ORDER BY c.created_at, c.id"
    );
    let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
    if !tag.is_empty() {
        query = query.bind(tag);
    }
    let rows = query.fetch_all(db.pool()).await?;
    let opted_out: HashSet<String> = sqlx::query_scalar("SELECT phone FROM sms_opt_outs")
        .fetch_all(db.pool())
        .await?
        .into_iter()
        .collect();
    let (mut reached, mut counts, mut numbers) = (Vec::new(), SmsAudience::default(), HashSet::new());
    for row in rows {
        let phone: String = row.try_get("phone")?;
        match international_number(&phone, country_code) {
            None => counts.unusable += 1,
            Some(number) if opted_out.contains(&number) => counts.opted_out += 1,
            Some(number) => {
                if numbers.insert(number.clone()) {
                    reached.push((row.try_get("id")?, number));
                }
            }
        }
    }
    counts.recipients = reached.len() as i64;
    Ok((reached, counts))
}

/// Who a campaign to `tag` would reach, for the form to show before it is sent.
pub async fn audience_counts(db: &Db, key: &SecretKey, tag: &str) -> Result<SmsAudience, SmsError> {
    let tag = checked_tag(tag)?;
    let country_code = load_sms(db, key).await?.country_code;
    Ok(audience(db, &tag, &country_code).await?.1)
}

fn checked_tag(tag: &str) -> Result<String, SmsError> {
    let tag = tag.trim().to_lowercase();
    if !is_one_line(&tag, super::TAG_MAX_CHARS) {
        return Err(invalid("tag", "A tag is one line of at most 100 characters."));
    }
    Ok(tag)
}

fn checked(form: &SmsCampaignForm) -> Result<SmsCampaignForm, SmsError> {
    let tag = checked_tag(&form.tag)?;
    let form =
        SmsCampaignForm { name: form.name.trim().to_string(), tag, body: form.body.trim().to_string() };
    let mut v = Validation::new();
    v.check(!form.name.is_empty(), "name", "Give the campaign a name, for the list.");
    v.check(
        is_one_line(&form.name, super::NAME_MAX_CHARS),
        "name",
        "Names are one line of at most 200 characters.",
    );
    v.check(!form.body.is_empty(), "body", "Write the text.");
    v.check(
        is_plain_text(&campaign_text(&form.body), super::BODY_MAX_CHARS),
        "body",
        "A text can be at most 1,600 characters, the line on how to stop them included.",
    );
    v.finish().map_err(SmsError::Invalid)?;
    Ok(form)
}

/// Starts a campaign: records it and its recipients with `sms.campaign.started` and an audit
/// line in one transaction, then sends it as a background job. Answers with the campaign's id.
pub async fn start(state: &AppState, actor: &Actor, form: &SmsCampaignForm) -> Result<String, SmsError> {
    let form = checked(form)?;
    let (bus, target) = (&state.bus, sender(state).await?);
    let (recipients, _) = audience(bus.db(), &form.tag, &target.country_code).await?;
    if recipients.is_empty() {
        let who = if form.tag.is_empty() {
            "No contact".to_string()
        } else {
            format!("No contact tagged {}", form.tag)
        };
        return Err(invalid("tag", &format!("{who} has a number texts can go to.")));
    }
    let id = uuid::Uuid::new_v4().to_string();
    let now = db::now_unix();
    let mut tx = bus.db().begin_write().await?;
    sqlx::query(
        "INSERT INTO sms_campaigns (id, name, body, tag, status, recipient_count, created_by, created_at) \
         VALUES ($1, $2, $3, $4, 'SENDING', $5, $6, $7)",
    )
    .bind(&id)
    .bind(&form.name)
    .bind(&form.body)
    .bind(&form.tag)
    .bind(recipients.len() as i64)
    .bind(actor.to_string())
    .bind(now)
    .execute(&mut *tx)
    .await?;
    for (position, (contact_id, phone)) in recipients.iter().enumerate() {
        sqlx::query(
            "INSERT INTO sms_recipients (campaign_id, phone, contact_id, position, status, updated_at) \
             VALUES ($1, $2, $3, $4, 'PENDING', $5)",
        )
        .bind(&id)
        .bind(phone)
        .bind(contact_id)
        .bind(position as i64)
        .bind(now)
        .execute(&mut *tx)
        .await?;
    }
    let event = Event::SmsCampaignStarted(SmsCampaignStarted {
        campaign_id: id.clone(),
        name: form.name.clone(),
        recipient_count: recipients.len() as i64,
    });
    bus::publish(&mut tx, actor, &event).await?;
    let entity = format!("{}: {}", form.name, crate::ui::count(recipients.len() as i64, "text"));
    crate::audit::service::record(&mut tx, actor, "sms.campaign.started", &entity).await?;
    bus.commit(tx).await?;
    send_in_background(bus, target, actor, &id, recipients.len() as i64).await?;
    Ok(id)
}

/// Goes on with a campaign whose sending stopped with the server: the text that was being
/// sent then is recorded as failed (not sent twice), and the rest are sent. The campaign is
/// claimed by the job it had, so that two admins pressing at once start one job, not two.
pub async fn resume(state: &AppState, actor: &Actor, id: &str) -> Result<(), SmsError> {
    let bus = &state.bus;
    let campaign = find(bus.db(), id).await?;
    if !campaign.can_resume {
        return Err(SmsError::Conflict("This campaign is sending, or has finished."));
    }
    let target = sender(state).await?;
    let mut tx = bus.db().begin_write().await?;
    let claimed = sqlx::query(
        "UPDATE sms_campaigns SET job_id = NULL WHERE id = $1 AND status = 'SENDING' AND COALESCE(job_id, '') = $2",
    )
    .bind(id)
    .bind(campaign.job_id.as_deref().unwrap_or_default())
    .execute(&mut *tx)
    .await?;
    if claimed.rows_affected() == 0 {
        return Err(SmsError::Conflict("This campaign is sending, or has finished."));
    }
    let stopped = sqlx::query(
        "UPDATE sms_recipients SET status = 'FAILED', error = $1, updated_at = $2 \
         WHERE campaign_id = $3 AND status = 'SENDING'",
    )
    .bind(STOPPED_WHILE_SENDING)
    .bind(db::now_unix())
    .bind(id)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    sqlx::query("UPDATE sms_campaigns SET failed_count = failed_count + $1 WHERE id = $2")
        .bind(stopped as i64)
        .bind(id)
        .execute(&mut *tx)
        .await?;
    let to_go: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM sms_recipients WHERE campaign_id = $1 AND status = 'PENDING'",
    )
    .bind(id)
    .fetch_one(&mut *tx)
    .await?;
    let entity = format!("{}: {} to go", campaign.name, crate::ui::count(to_go, "text"));
    crate::audit::service::record(&mut tx, actor, "sms.campaign.resumed", &entity).await?;
    tx.commit().await?;
    send_in_background(bus, target, actor, id, to_go).await
}

/// Sends a campaign's `pending` texts as a job, and records the job on the campaign.
async fn send_in_background(
    bus: &Bus,
    target: TwilioTarget,
    actor: &Actor,
    id: &str,
    pending: i64,
) -> Result<(), SmsError> {
    let (bus_for_job, campaign_id) = (bus.clone(), id.to_string());
    let job_id =
        crate::jobs::service::spawn(bus.db(), "sms-campaign", pending, actor, move |progress| async move {
            send_pending(&bus_for_job, &target, &campaign_id, progress).await
        })
        .await?;
    sqlx::query("UPDATE sms_campaigns SET job_id = $1 WHERE id = $2")
        .bind(job_id)
        .bind(id)
        .execute(bus.db().writer())
        .await?;
    Ok(())
}

/// Sends each pending text in turn. A recipient is marked SENDING (committed) before Twilio
/// is asked, so that a text is never sent twice if the server stops midway; its outcome, the
/// campaign's counts and `sms.message.sent` are one transaction.
async fn send_pending(
    bus: &Bus,
    target: &TwilioTarget,
    campaign_id: &str,
    progress: Progress,
) -> Result<JobResult, sqlx::Error> {
    let body: String = sqlx::query_scalar("SELECT body FROM sms_campaigns WHERE id = $1")
        .bind(campaign_id)
        .fetch_one(bus.db().pool())
        .await?;
    let text = campaign_text(&body);
    let pending = sqlx::query(
        "SELECT phone, contact_id FROM sms_recipients WHERE campaign_id = $1 AND status = 'PENDING' ORDER BY position",
    )
    .bind(campaign_id)
    .fetch_all(bus.db().pool())
    .await?;
    let (mut sent, mut failed) = (0i64, 0i64);
    for (done, row) in pending.iter().enumerate() {
        let (phone, contact_id): (String, String) = (row.try_get("phone")?, row.try_get("contact_id")?);
        let claimed = sqlx::query(
            "UPDATE sms_recipients SET status = 'SENDING', updated_at = $1 \
             WHERE campaign_id = $2 AND phone = $3 AND status = 'PENDING'",
        )
        .bind(db::now_unix())
        .bind(campaign_id)
        .bind(&phone)
        .execute(bus.db().writer())
        .await?;
        if claimed.rows_affected() == 0 {
            continue;
        }
        let outcome = super::twilio::send(target, &phone, &text).await;
        let mut tx = bus.db().begin_write().await?;
        let (status, provider_id, error, counter) = match &outcome {
            Ok(sid) => ("SENT", Some(sid.as_str()), None, "sent_count"),
            Err(why) => ("FAILED", None, Some(why.as_str()), "failed_count"),
        };
        sqlx::query(
            "UPDATE sms_recipients SET status = $1, provider_id = $2, error = $3, updated_at = $4 \
             WHERE campaign_id = $5 AND phone = $6",
        )
        .bind(status)
        .bind(provider_id)
        .bind(error)
        .bind(db::now_unix())
        .bind(campaign_id)
        .bind(&phone)
        .execute(&mut *tx)
        .await?;
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "UPDATE sms_campaigns SET {counter} = {counter} + 1 WHERE id = $1"
        )))
        .bind(campaign_id)
        .execute(&mut *tx)
        .await?;
        if let Ok(sid) = &outcome {
            let event = Event::SmsMessageSent(SmsMessageSent {
                message_id: sid.clone(),
                campaign_id: Some(campaign_id.to_string()),
                contact_id: Some(contact_id),
                to: phone.clone(),
            });
            bus::publish(&mut tx, &Actor::System, &event).await?;
            super::service::take_early_delivery(&mut tx, sid).await?;
            sent += 1;
        } else {
            failed += 1;
        }
        bus.commit(tx).await?;
        progress.set(done as i64 + 1).await?;
    }
    complete(bus, campaign_id).await?;
    let summary = match failed {
        0 => format!("Sent {}.", crate::ui::count(sent, "text")),
        _ => format!(
            "Sent {}; {} could not be sent (listed below).",
            crate::ui::count(sent, "text"),
            crate::ui::thousands(failed)
        ),
    };
    Ok(JobResult {
        summary,
        counts: vec![("sent".into(), sent), ("failed".into(), failed)],
        problems: Vec::new(),
    })
}

/// Marks a campaign whose every text has an outcome COMPLETED, with `sms.campaign.completed`.
async fn complete(bus: &Bus, campaign_id: &str) -> Result<(), sqlx::Error> {
    let mut tx = bus.db().begin_write().await?;
    let row = sqlx::query(
        "UPDATE sms_campaigns SET status = 'COMPLETED', completed_at = $1 WHERE id = $2 AND status = 'SENDING' \
         AND NOT EXISTS (SELECT 1 FROM sms_recipients WHERE campaign_id = $2 AND status IN ('PENDING', 'SENDING')) \
         RETURNING name, sent_count, failed_count",
    )
    .bind(db::now_unix())
    .bind(campaign_id)
    .fetch_optional(&mut *tx)
    .await?;
    if let Some(row) = row {
        let event = Event::SmsCampaignCompleted(SmsCampaignCompleted {
            campaign_id: campaign_id.to_string(),
            name: row.try_get("name")?,
            sent_count: row.try_get("sent_count")?,
            failed_count: row.try_get("failed_count")?,
        });
        bus::publish(&mut tx, &Actor::System, &event).await?;
    }
    bus.commit(tx).await
}

const COLUMNS: &str = "id, name, body, tag, status, recipient_count, sent_count, failed_count, job_id, created_at, \
     (SELECT COUNT(*) FROM sms_recipients r WHERE r.campaign_id = sms_campaigns.id AND r.delivery = 'DELIVERED') \
     AS delivered_count, \
     (SELECT COUNT(*) FROM sms_recipients r WHERE r.campaign_id = sms_campaigns.id AND r.delivery = 'UNDELIVERED') \
     AS undelivered_count";

async fn campaign_from_row(
    db: &Db,
    row: &sqlx::any::AnyRow,
    zone: &crate::time_zone::Zone,
) -> Result<SmsCampaign, sqlx::Error> {
    let status: String = row.try_get("status")?;
    let job_id: Option<String> = row.try_get("job_id")?;
    let created_at: i64 = row.try_get("created_at")?;
    // A campaign still sending whose job has stopped (the server stopped) can go on; so can
    // one the server stopped before its job was recorded (just after it was started).
    let can_resume = status == "SENDING"
        && match &job_id {
            Some(job) => crate::jobs::service::get(db, job).await?.is_none_or(|j| j.finished()),
            None => created_at < db::now_unix() - crate::jobs::service::STALE_AFTER_SECS,
        };
    Ok(SmsCampaign {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        body: row.try_get("body")?,
        tag: row.try_get("tag")?,
        status,
        recipients: row.try_get("recipient_count")?,
        sent: row.try_get("sent_count")?,
        failed: row.try_get("failed_count")?,
        delivered: row.try_get("delivered_count")?,
        undelivered: row.try_get("undelivered_count")?,
        started_at: zone.stamp(created_at),
        job_id,
        can_resume,
    })
}

async fn find(db: &Db, id: &str) -> Result<SmsCampaign, SmsError> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!("SELECT {COLUMNS} FROM sms_campaigns WHERE id = $1")))
        .bind(id)
        .fetch_optional(db.pool())
        .await?
        .ok_or(SmsError::NotFound("There is no such text campaign."))?;
    let zone = crate::settings::time_zone(db).await?;
    Ok(campaign_from_row(db, &row, &zone).await?)
}

/// A campaign with the recipients its text did not reach: not sent, or reported not delivered.
pub async fn detail(db: &Db, id: &str) -> Result<SmsCampaignDetail, SmsError> {
    let campaign = find(db, id).await?;
    let failures = sqlx::query(
        "SELECT r.phone, r.contact_id, c.name, COALESCE(r.error, r.delivery_error) AS error FROM sms_recipients r \
         JOIN contacts c ON c.id = r.contact_id \
         WHERE r.campaign_id = $1 AND (r.status = 'FAILED' OR r.delivery = 'UNDELIVERED') ORDER BY r.position LIMIT $2",
    )
    .bind(id)
    .bind(FAILURES_SHOWN)
    .fetch_all(db.pool())
    .await?
    .iter()
    .map(|row| {
        Ok(SmsFailure {
            phone: row.try_get("phone")?,
            contact_id: row.try_get("contact_id")?,
            contact_name: row.try_get("name")?,
            error: row.try_get::<Option<String>, _>("error")?.unwrap_or_default(),
        })
    })
    .collect::<Result<Vec<_>, sqlx::Error>>()?;
    Ok(SmsCampaignDetail { campaign, failures })
}

/// One page of campaigns, newest first.
pub async fn list(db: &Db, page: i64) -> Result<SmsCampaignPage, SmsError> {
    let select = format!("SELECT {COLUMNS} FROM sms_campaigns ORDER BY created_at DESC, id");
    let (rows, page, has_more) = db::fetch_page(db, &select, &[], page, PAGE_SIZE).await?;
    let zone = crate::settings::time_zone(db).await?;
    let mut campaigns = Vec::with_capacity(rows.len());
    for row in &rows {
        campaigns.push(campaign_from_row(db, row, &zone).await?);
    }
    Ok(SmsCampaignPage { rows: campaigns, page, has_more })
}
