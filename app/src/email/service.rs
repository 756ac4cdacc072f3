//! Email settings, the queue and the worker that empties it (ssr only).

use std::time::Duration;

use lettre::message::header::ContentType;
use lettre::message::{Attachment, Mailbox, MultiPart, SinglePart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use sqlx::Row;

use super::{EmailQueuePage, EmailSettings, EmailSettingsForm, EmailStatus, QueuedEmail, TlsMode};
use crate::db::{self, Db, Tx};
use crate::error::{FieldError, Validation};
use crate::secrets::{ExposeSecret, SecretKey, SecretString};
use crate::settings;
use crate::users::service::{is_plausible_email, normalise_email};

const HOST: &str = "smtp.host";
const PORT: &str = "smtp.port";
const TLS: &str = "smtp.tls";
const USERNAME: &str = "smtp.username";
const PASSWORD: &str = "smtp.password";
const FROM_NAME: &str = "email.from_name";
const FROM_ADDRESS: &str = "email.from_address";
/// How many times the settings have been saved (see `settings::count_save`).
const EDITS: &str = "email.edits";

/// Written into queued bodies in place of the server's address, which the worker fills in
/// when sending: links in email must be absolute, and the services that queue email do not
/// know the public URL.
pub const LINK_BASE: &str = "{{base_url}}";

#[derive(Debug, thiserror::Error)]
pub enum EmailError {
    #[error("invalid email settings")]
    Invalid(Vec<FieldError>),
    #[error("SMTP is not configured")]
    NotConfigured,
    #[error("sending failed: {0}")]
    Send(String),
    #[error("no such email")]
    NotFound,
    #[error("someone else saved the email settings meanwhile")]
    SavedSince,
    #[error(transparent)]
    Database(#[from] sqlx::Error),
}

/// The stored SMTP settings, password included (decrypted, never printed).
#[derive(Debug, Default)]
pub struct SmtpSettings {
    pub host: String,
    pub port: u16,
    pub tls: TlsMode,
    pub username: String,
    pub password: Option<SecretString>,
    pub from_name: String,
    pub from_address: String,
    pub edits: i64,
}

impl SmtpSettings {
    /// What an admin may see.
    pub fn view(&self) -> EmailSettings {
        EmailSettings {
            host: self.host.clone(),
            port: self.port,
            tls: self.tls,
            username: self.username.clone(),
            password_set: self.password.is_some(),
            from_name: self.from_name.clone(),
            from_address: self.from_address.clone(),
            edits: self.edits,
        }
    }
}

pub async fn load_settings(db: &Db, key: &SecretKey) -> Result<SmtpSettings, sqlx::Error> {
    let stored =
        settings::Group::read(db, &[HOST, PORT, TLS, USERNAME, PASSWORD, FROM_NAME, FROM_ADDRESS, EDITS])
            .await?;
    let tls = TlsMode::parse(&stored.text(TLS)).unwrap_or_default();
    let port = stored.text(PORT).parse().unwrap_or(match tls {
        TlsMode::Tls => 465,
        _ => 587,
    });
    Ok(SmtpSettings {
        host: stored.text(HOST),
        port,
        tls,
        username: stored.text(USERNAME),
        password: stored.secret(key, PASSWORD),
        from_name: stored.text(FROM_NAME),
        from_address: stored.text(FROM_ADDRESS),
        edits: stored.count(EDITS),
    })
}

/// The settings emails are sent with: without a sender name of their own, the organisation's
/// name, once setup or an admin has given one.
async fn sending_settings(db: &Db, key: &SecretKey) -> Result<SmtpSettings, sqlx::Error> {
    let mut smtp = load_settings(db, key).await?;
    if smtp.from_name.is_empty() {
        smtp.from_name = settings::get(db, settings::ORGANISATION_NAME).await?.unwrap_or_default();
    }
    Ok(smtp)
}

/// Host names and addresses: letters, digits, dots, hyphens (and colons for IPv6).
fn plausible_host(host: &str) -> bool {
    !host.is_empty()
        && host.len() <= 253
        && host.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':'))
}

/// Saves the settings. An empty host turns sending off. A blank password keeps the stored
/// one; `clear_password` forgets it. The password is stored encrypted.
pub async fn save_settings(
    db: &Db,
    key: &SecretKey,
    form: &EmailSettingsForm,
) -> Result<EmailSettings, EmailError> {
    let host = form.host.trim();
    let from_address = normalise_email(&form.from_address);
    let from_name = form.from_name.trim();
    let username = form.username.trim();
    let tls = TlsMode::parse(form.tls.trim());
    let port = form.port.trim().parse::<u16>().ok().filter(|p| *p > 0);
    let mut v = Validation::new();
    v.check(host.is_empty() || plausible_host(host), "host", "Enter a host name such as smtp.example.org.");
    v.check(port.is_some(), "port", "Enter a port from 1 to 65535 (usually 587 or 465).");
    v.check(tls.is_some(), "tls", "Choose how to secure the connection.");
    v.check(
        (host.is_empty() && from_address.is_empty()) || is_plausible_email(&from_address),
        "from_address",
        "Enter the address emails come from, like team@example.org.",
    );
    // Header values: no line breaks (they would let a value add headers of its own).
    v.check(
        from_name.chars().count() <= 100 && !from_name.chars().any(char::is_control),
        "from_name",
        "The sender name can be at most 100 characters on one line.",
    );
    v.check(
        username.len() <= 200 && !username.chars().any(char::is_control),
        "username",
        "The user name can be at most 200 characters on one line.",
    );
    v.check(form.password.len() <= 500, "password", "The password can be at most 500 characters.");
    v.check(
        !settings::is_masked(&form.password),
        "password",
        "Type the whole new password, or leave the field empty to keep the saved one.",
    );
    v.finish().map_err(EmailError::Invalid)?;
    let mut tx = db.begin_write().await?;
    settings::count_save(&mut tx, EDITS, form.edits, EmailError::SavedSince).await?;
    settings::set(&mut tx, HOST, host).await?;
    settings::set(&mut tx, PORT, &port.unwrap_or(587).to_string()).await?;
    settings::set(&mut tx, TLS, tls.unwrap_or_default().as_str()).await?;
    settings::set(&mut tx, USERNAME, username).await?;
    settings::set(&mut tx, FROM_NAME, from_name).await?;
    settings::set(&mut tx, FROM_ADDRESS, &from_address).await?;
    if form.clear_password {
        settings::remove(&mut tx, PASSWORD).await?;
    } else {
        settings::save_secret_field(&mut tx, key, PASSWORD, &form.password).await?;
    }
    tx.commit().await?;
    Ok(load_settings(db, key).await?.view())
}

/// An email to queue.
#[derive(Debug, Clone, PartialEq)]
pub struct OutgoingEmail {
    pub to: String,
    pub subject: String,
    /// Plain text; `LINK_BASE` stands for the server's public address.
    pub body: String,
    pub attachment: Option<EmailAttachment>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct EmailAttachment {
    pub filename: String,
    pub content_type: String,
    pub content: String,
}

/// Queues an email inside the caller's transaction: it is sent only if the change commits.
pub async fn queue(tx: &mut Tx, email: &OutgoingEmail) -> Result<(), sqlx::Error> {
    queue_all(tx, std::slice::from_ref(email)).await
}

/// Queues several emails, up to `QUEUE_ROWS_PER_STATEMENT` to a statement (see `queue`).
pub async fn queue_all(tx: &mut Tx, emails: &[OutgoingEmail]) -> Result<(), sqlx::Error> {
    let rows: Vec<(&OutgoingEmail, Option<&str>)> = emails.iter().map(|e| (e, None)).collect();
    for chunk in rows.chunks(QUEUE_ROWS_PER_STATEMENT) {
        queue_rows(tx, chunk).await?;
    }
    Ok(())
}

/// Queues a bulk email (re-engagement) as `queue` does, with the address that unsubscribes
/// its recipient in one click (`LINK_BASE` standing for the server): mail apps offer it as
/// "Unsubscribe" next to the sender (the `List-Unsubscribe` headers of RFC 8058).
pub async fn queue_bulk(
    tx: &mut Tx,
    email: &OutgoingEmail,
    unsubscribe_link: &str,
) -> Result<(), sqlx::Error> {
    queue_rows(tx, &[(email, Some(unsubscribe_link))]).await
}

/// Nine parameters a row: 500 rows stay far below PostgreSQL's 65,535 parameters.
const QUEUE_ROWS_PER_STATEMENT: usize = 500;

async fn queue_rows(tx: &mut Tx, emails: &[(&OutgoingEmail, Option<&str>)]) -> Result<(), sqlx::Error> {
    let now = db::now_unix();
    let sql = format!(
        "INSERT INTO email_outbox (id, to_address, subject, body, attachment_name, attachment_type, attachment, \
         unsubscribe_link, status, attempts, next_attempt_at, created_at) VALUES {}",
        // The same row shape as one email: its own values, then PENDING, 0 attempts, due now.
        (0..emails.len())
            .map(|row| {
                let n = 1 + row * 9;
                format!("({}, 'PENDING', 0, ${}, ${})", db::placeholders(n, 8), n + 8, n + 8)
            })
            .collect::<Vec<_>>()
            .join(", ")
    );
    let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
    for (email, unsubscribe_link) in emails {
        let attachment = email.attachment.as_ref();
        query = query
            .bind(uuid::Uuid::new_v4().to_string())
            .bind(&email.to)
            .bind(&email.subject)
            .bind(&email.body)
            .bind(attachment.map(|a| a.filename.as_str()))
            .bind(attachment.map(|a| a.content_type.as_str()))
            .bind(attachment.map(|a| a.content.as_str()))
            .bind(*unsubscribe_link)
            .bind(now);
    }
    query.execute(&mut **tx).await?;
    Ok(())
}

fn build_message(
    settings: &SmtpSettings,
    email: &OutgoingEmail,
    unsubscribe_link: Option<&str>,
    base_url: &str,
) -> Result<Message, String> {
    use lettre::message::header::{HeaderName, HeaderValue};
    let from_name = Some(settings.from_name.clone()).filter(|n| !n.is_empty());
    let from =
        Mailbox::new(from_name, settings.from_address.parse().map_err(|e| format!("sender address: {e}"))?);
    let to: Mailbox = email.to.parse().map_err(|e| format!("recipient address: {e}"))?;
    let base_url = base_url.trim_end_matches('/');
    let body = email.body.replace(LINK_BASE, base_url);
    let mut builder = Message::builder().from(from).to(to).subject(email.subject.clone());
    if let Some(link) = unsubscribe_link {
        let link = link.replace(LINK_BASE, base_url);
        builder = builder
            .raw_header(HeaderValue::new(
                HeaderName::new_from_ascii_str("List-Unsubscribe"),
                format!("<{link}>"),
            ))
            .raw_header(HeaderValue::new(
                HeaderName::new_from_ascii_str("List-Unsubscribe-Post"),
                "List-Unsubscribe=One-Click".to_string(),
            ));
    }
    let message = match &email.attachment {
        None => builder.singlepart(SinglePart::plain(body)),
        Some(a) => {
            let content_type =
                ContentType::parse(&a.content_type).map_err(|e| format!("attachment type: {e}"))?;
            builder.multipart(
                MultiPart::mixed()
                    .singlepart(SinglePart::plain(body))
                    .singlepart(Attachment::new(a.filename.clone()).body(a.content.clone(), content_type)),
            )
        }
    };
    message.map_err(|e| e.to_string())
}

async fn deliver(settings: &SmtpSettings, message: Message) -> Result<(), String> {
    let builder = match settings.tls {
        TlsMode::None => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&settings.host),
        TlsMode::Starttls => {
            AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&settings.host).map_err(|e| e.to_string())?
        }
        TlsMode::Tls => {
            AsyncSmtpTransport::<Tokio1Executor>::relay(&settings.host).map_err(|e| e.to_string())?
        }
    };
    let mut builder = builder.port(settings.port).timeout(Some(Duration::from_secs(20)));
    if !settings.username.is_empty() {
        let password = settings.password.as_ref().map(|p| p.expose_secret().to_string()).unwrap_or_default();
        builder = builder.credentials(Credentials::new(settings.username.clone(), password));
    }
    builder.build().send(message).await.map(|_| ()).map_err(|e| e.to_string())
}

/// Sends one email now (not queued) with the saved settings.
pub async fn send_test(db: &Db, key: &SecretKey, to: &str) -> Result<(), EmailError> {
    let to = normalise_email(to);
    if !is_plausible_email(&to) {
        return Err(EmailError::Invalid(FieldError::only("to", "Enter the address to send the test to.")));
    }
    let settings = sending_settings(db, key).await?;
    if !settings.view().is_configured() {
        return Err(EmailError::NotConfigured);
    }
    let email = OutgoingEmail {
        to,
        subject: "Changemaker test email".into(),
        body: "This is a test email from Changemaker: your SMTP settings work.".into(),
        attachment: None,
    };
    let message = build_message(&settings, &email, None, "").map_err(EmailError::Send)?;
    deliver(&settings, message).await.map_err(EmailError::Send)
}

pub const QUEUE_PAGE_SIZE: i64 = 50;

/// The longest message an organiser emails to a group (a shift's volunteers, an event's
/// ticket holders).
pub const MESSAGE_MAX_CHARS: usize = 5000;

/// An organiser's email to a group, checked into `v`: a subject on one line of at most 200
/// characters (field `subject`), and a message of at most `MESSAGE_MAX_CHARS` (field `body`).
pub fn check_message(v: &mut Validation, subject: &str, text: &str) {
    v.check(!subject.trim().is_empty(), "subject", "Enter a subject.");
    v.check(
        subject.chars().count() <= 200 && !subject.chars().any(char::is_control),
        "subject",
        "The subject can be at most 200 characters on one line.",
    );
    v.check(!text.trim().is_empty(), "body", "Write the message.");
    v.check(
        crate::error::is_plain_text(text, MESSAGE_MAX_CHARS),
        "body",
        "The message can be at most 5,000 characters.",
    );
}

/// The queue, newest first, optionally only one status; times in the organisation's time zone.
pub async fn list(
    db: &Db,
    key: &SecretKey,
    status: Option<&str>,
    page: i64,
) -> Result<EmailQueuePage, EmailError> {
    let status = status.map(str::trim).filter(|s| !s.is_empty());
    if status.is_some_and(|s| EmailStatus::parse(s).is_none()) {
        return Err(EmailError::Invalid(FieldError::only("status", "Choose a status from the list.")));
    }
    let (page, offset) = db::page_and_offset(page, QUEUE_PAGE_SIZE);
    let zone = crate::settings::time_zone(db).await?;
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT id, to_address, subject, status, attempts, last_error, created_at, sent_at FROM email_outbox \
         WHERE ($1 = '' OR status = $1) ORDER BY created_at DESC, id LIMIT {} OFFSET {offset}",
        QUEUE_PAGE_SIZE + 1
    )))
    .bind(status.unwrap_or(""))
    .fetch_all(db.pool())
    .await?;
    let has_more = rows.len() as i64 > QUEUE_PAGE_SIZE;
    let emails = rows
        .iter()
        .take(QUEUE_PAGE_SIZE as usize)
        .map(|r| {
            let status: String = r.try_get("status")?;
            Ok(QueuedEmail {
                id: r.try_get("id")?,
                to_address: r.try_get("to_address")?,
                subject: r.try_get("subject")?,
                status: EmailStatus::parse(&status).unwrap_or(EmailStatus::Failed),
                attempts: r.try_get("attempts")?,
                last_error: r.try_get("last_error")?,
                queued: zone.stamp(r.try_get("created_at")?),
                sent: r.try_get::<Option<i64>, _>("sent_at")?.map(|at| zone.stamp(at)),
            })
        })
        .collect::<Result<Vec<_>, sqlx::Error>>()?;
    let smtp_configured = is_configured(db, key).await?;
    Ok(EmailQueuePage { emails, page, has_more, smtp_configured })
}

/// How many emails have failed for good, and how many wait to be sent.
pub async fn count_failed_and_waiting(db: &Db) -> Result<(i64, i64), sqlx::Error> {
    sqlx::query_as(
        "SELECT CAST(COALESCE(SUM(CASE WHEN status = 'FAILED' THEN 1 ELSE 0 END), 0) AS BIGINT), \
         CAST(COALESCE(SUM(CASE WHEN status = 'PENDING' THEN 1 ELSE 0 END), 0) AS BIGINT) FROM email_outbox",
    )
    .fetch_one(db.pool())
    .await
}

/// Whether SMTP settings are saved, so that queued emails go out.
pub async fn is_configured(db: &Db, key: &SecretKey) -> Result<bool, sqlx::Error> {
    Ok(load_settings(db, key).await?.view().is_configured())
}

/// Puts a failed or waiting email back at the front of the queue with fresh attempts.
pub async fn retry(db: &Db, id: &str) -> Result<(), EmailError> {
    let done = sqlx::query(
        "UPDATE email_outbox SET status = 'PENDING', attempts = 0, next_attempt_at = $1 \
         WHERE id = $2 AND status <> 'SENT'",
    )
    .bind(db::now_unix())
    .bind(id)
    .execute(db.writer())
    .await?;
    if done.rows_affected() == 0 {
        return Err(EmailError::NotFound);
    }
    Ok(())
}

/// How long a sent email is kept in the queue (30 days).
pub const SENT_RETENTION_SECS: i64 = 30 * 24 * 3600;

/// Removes emails sent more than `older_than_secs` ago; waiting and failed ones stay.
pub async fn prune_sent(db: &Db, older_than_secs: i64) -> Result<u64, sqlx::Error> {
    let done = sqlx::query("DELETE FROM email_outbox WHERE status = 'SENT' AND sent_at < $1")
        .bind(db::now_unix() - older_than_secs)
        .execute(db.writer())
        .await?;
    Ok(done.rows_affected())
}

/// What the worker needs: the database, the key for the SMTP password, the public address
/// for links, and how long to wait after each failed attempt (then it gives up: FAILED).
#[derive(Debug, Clone)]
pub struct Worker {
    pub db: Db,
    pub key: std::sync::Arc<SecretKey>,
    pub base_url: String,
    pub retry_schedule: Vec<Duration>,
    pub poll_every: Duration,
}

/// The default waits between attempts: five attempts over about two and a half hours.
pub fn default_retry_schedule() -> Vec<Duration> {
    [60, 300, 1800, 7200].into_iter().map(Duration::from_secs).collect()
}

impl Worker {
    /// Sends what is due, then looks again every `poll_every`, until the task is dropped.
    pub async fn run(self) {
        loop {
            if let Err(e) = self.send_due().await {
                tracing::warn!(error = %e, "email worker could not read the queue");
            }
            tokio::time::sleep(self.poll_every).await;
        }
    }

    /// Sends every due email once. Without SMTP settings nothing is sent and nothing is
    /// counted as an attempt. Returns how many were sent.
    pub async fn send_due(&self) -> Result<usize, sqlx::Error> {
        let settings = sending_settings(&self.db, &self.key).await?;
        if !settings.view().is_configured() {
            return Ok(0);
        }
        let now = db::now_unix();
        let rows = sqlx::query(
            "SELECT id, to_address, subject, body, attachment_name, attachment_type, attachment, unsubscribe_link, \
             attempts, next_attempt_at FROM email_outbox WHERE status = 'PENDING' AND next_attempt_at <= $1 \
             ORDER BY next_attempt_at, created_at LIMIT 50",
        )
        .bind(now)
        .fetch_all(self.db.pool())
        .await?;
        let mut sent = 0;
        for row in rows {
            let id: String = row.try_get("id")?;
            let attempts: i64 = row.try_get::<i64, _>("attempts")? + 1;
            // Claim it: another process that read the same row loses this update and skips it.
            let claimed = sqlx::query(
                "UPDATE email_outbox SET attempts = $1, next_attempt_at = $2 \
                 WHERE id = $3 AND status = 'PENDING' AND next_attempt_at = $4",
            )
            .bind(attempts)
            .bind(now + 300)
            .bind(&id)
            .bind(row.try_get::<i64, _>("next_attempt_at")?)
            .execute(self.db.writer())
            .await?;
            if claimed.rows_affected() != 1 {
                continue;
            }
            let name: Option<String> = row.try_get("attachment_name")?;
            let email = OutgoingEmail {
                to: row.try_get("to_address")?,
                subject: row.try_get("subject")?,
                body: row.try_get("body")?,
                attachment: match name {
                    Some(filename) => Some(EmailAttachment {
                        filename,
                        content_type: row
                            .try_get::<Option<String>, _>("attachment_type")?
                            .unwrap_or_default(),
                        content: row.try_get::<Option<String>, _>("attachment")?.unwrap_or_default(),
                    }),
                    None => None,
                },
            };
            let unsubscribe_link: Option<String> = row.try_get("unsubscribe_link")?;
            let result = match build_message(&settings, &email, unsubscribe_link.as_deref(), &self.base_url) {
                Ok(message) => deliver(&settings, message).await,
                Err(e) => Err(e),
            };
            match result {
                Ok(()) => {
                    sent += 1;
                    sqlx::query(
                        "UPDATE email_outbox SET status = 'SENT', sent_at = $1, last_error = NULL WHERE id = $2",
                    )
                    .bind(db::now_unix())
                    .bind(&id)
                    .execute(self.db.writer())
                    .await?;
                }
                Err(error) => {
                    let wait = self.retry_schedule.get((attempts - 1) as usize);
                    tracing::warn!(email = %id, attempts, error = %error, "sending an email failed");
                    sqlx::query(
                        "UPDATE email_outbox SET status = $1, next_attempt_at = $2, last_error = $3 WHERE id = $4",
                    )
                    .bind(if wait.is_some() { "PENDING" } else { "FAILED" })
                    .bind(db::now_unix() + wait.map_or(0, |w| w.as_secs() as i64))
                    .bind(&error)
                    .bind(&id)
                    .execute(self.db.writer())
                    .await?;
                }
            }
        }
        Ok(sent)
    }
}
