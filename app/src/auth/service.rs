//! Sessions, signing in and out, and first-run setup. Plain async functions over `Db`.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;
use sha2::{Digest, Sha256};
use sqlx::Row;

use super::password;
use crate::bus;
use crate::db::{self, Db};
use crate::error::{FieldError, Validation};
use crate::events::Actor;
use crate::rate_limit::RateLimiter;
use crate::users::service::{self as users, NewUser, User, UserError};
use crate::users::{Role, UserStatus};

/// How long a session lasts after sign-in.
pub const SESSION_SECONDS: i64 = 14 * 24 * 3600;

#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    #[error("email or password is wrong")]
    WrongCredentials,
    #[error("this account is waiting for an administrator's approval")]
    Pending,
    #[error("this account is disabled")]
    Disabled,
    #[error("this temporary account has expired")]
    Expired,
    #[error("too many sign-in attempts")]
    RateLimited { retry_after_secs: u64 },
    #[error("this setup link is not valid or has already been used")]
    SetupLinkInvalid,
    #[error("this password link is not valid, was used or has expired")]
    ResetLinkInvalid,
    #[error("this email confirmation link is not valid, was used or has expired")]
    EmailLinkInvalid,
    #[error("invalid details")]
    Invalid(Vec<FieldError>),
    /// Your account's form was opened before the account's name or email changed (see
    /// `User::profile_edits`).
    #[error("the account changed since the form was opened")]
    ChangedMeanwhile,
    #[error("{0}")]
    Refused(&'static str),
    #[error(transparent)]
    User(#[from] UserError),
    #[error(transparent)]
    Database(#[from] sqlx::Error),
}

/// The login rate limits: per client IP and per account, counting failed attempts.
#[derive(Debug)]
pub struct LoginLimits {
    pub per_ip: RateLimiter,
    pub per_account: RateLimiter,
}

/// A random token, URL-safe: what the client holds. Only its hash is stored.
pub fn new_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Checks email and password, applying the rate limits, and opens a new session. The
/// session named by `previous_token` (if any) is ended: the id is rotated at every sign-in.
pub async fn login(
    db: &Db,
    limits: &LoginLimits,
    client_ip: &str,
    email: &str,
    password_given: &str,
    previous_token: Option<&str>,
) -> Result<(User, String), AuthError> {
    let account_key = users::normalise_email(email);
    for (limiter, key) in [(&limits.per_ip, client_ip), (&limits.per_account, account_key.as_str())] {
        if let Err(wait) = limiter.check(key) {
            return Err(AuthError::RateLimited { retry_after_secs: wait.as_secs().max(1) });
        }
    }
    let record = users::find_for_login(db, email).await?;
    let stored_hash = record.as_ref().map_or(password::DECOY_HASH, |r| r.password_hash.as_str());
    let matches = password::verify(stored_hash, password_given).await;
    let Some(record) = record.filter(|_| matches) else {
        limits.per_ip.record(client_ip);
        limits.per_account.record(&account_key);
        return Err(AuthError::WrongCredentials);
    };
    let user = record.user;
    ensure_may_sign_in(&user)?;
    limits.per_account.reset(&account_key);

    let token = new_token();
    let now = db::now_unix();
    let mut tx = db.begin_write().await?;
    if let Some(previous) = previous_token {
        sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
            .bind(token_hash(previous))
            .execute(&mut *tx)
            .await?;
    }
    sqlx::query("INSERT INTO sessions (token_hash, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4)")
        .bind(token_hash(&token))
        .bind(&user.id)
        .bind(now)
        .bind(now + SESSION_SECONDS)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok((user, token))
}

/// Whether the account may sign in now: active and not expired. Sessions and calendar links
/// check it too.
pub fn ensure_may_sign_in(user: &User) -> Result<(), AuthError> {
    match user.status {
        UserStatus::Active => {}
        UserStatus::Pending => return Err(AuthError::Pending),
        UserStatus::Disabled => return Err(AuthError::Disabled),
    }
    if user.expires_at.is_some_and(|at| at <= db::now_unix()) {
        return Err(AuthError::Expired);
    }
    Ok(())
}

/// The user a session token belongs to, if the session is live and the account may still
/// sign in.
pub async fn session_user(db: &Db, token: &str) -> Result<Option<User>, sqlx::Error> {
    let row = sqlx::query("SELECT user_id FROM sessions WHERE token_hash = $1 AND expires_at > $2")
        .bind(token_hash(token))
        .bind(db::now_unix())
        .fetch_optional(db.pool())
        .await?;
    let Some(row) = row else { return Ok(None) };
    let user_id: String = row.try_get("user_id")?;
    let user = users::find_by_id(db, &user_id).await?;
    Ok(user.filter(|u| ensure_may_sign_in(u).is_ok()))
}

/// Ends a session server-side.
pub async fn logout(db: &Db, token: &str) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
        .bind(token_hash(token))
        .execute(db.writer())
        .await?;
    Ok(())
}

/// Removes what has expired: sessions, links to choose a password and links to confirm a new
/// email (only their hashes, but nothing to keep). Run now and then; answers how many rows went.
pub async fn prune_expired(db: &Db) -> Result<u64, sqlx::Error> {
    let now = db::now_unix();
    let mut removed = 0;
    for table in ["sessions", "password_resets", "email_changes"] {
        let done = sqlx::query(sqlx::AssertSqlSafe(format!("DELETE FROM {table} WHERE expires_at <= $1")))
            .bind(now)
            .execute(db.writer())
            .await?;
        removed += done.rows_affected();
    }
    Ok(removed)
}

// ---- first-run setup -------------------------------------------------------------------

/// When no super admin exists, issues a fresh one-time setup token (replacing any earlier
/// unused one) and returns it; otherwise `None`.
pub async fn issue_setup_token(db: &Db) -> Result<Option<String>, sqlx::Error> {
    if users::count_by_role(db, Role::SuperAdmin).await? > 0 {
        return Ok(None);
    }
    let token = new_token();
    let mut tx = db.begin_write().await?;
    sqlx::query("DELETE FROM setup_tokens WHERE used_at IS NULL").execute(&mut *tx).await?;
    sqlx::query("INSERT INTO setup_tokens (token_hash, created_at) VALUES ($1, $2)")
        .bind(token_hash(&token))
        .bind(db::now_unix())
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(Some(token))
}

/// Whether `token` is an unused setup token while no super admin exists.
pub async fn setup_token_is_valid(db: &Db, token: &str) -> Result<bool, sqlx::Error> {
    if users::count_by_role(db, Role::SuperAdmin).await? > 0 {
        return Ok(false);
    }
    let found: Option<i64> =
        sqlx::query_scalar("SELECT 1 FROM setup_tokens WHERE token_hash = $1 AND used_at IS NULL")
            .bind(token_hash(token))
            .fetch_optional(db.pool())
            .await?;
    Ok(found.is_some())
}

pub struct SetupForm<'a> {
    pub organisation_name: &'a str,
    pub display_name: &'a str,
    pub email: &'a str,
    pub password: &'a str,
    pub password_confirm: &'a str,
}

/// A request for an emailed link ("Forgot your password?", lost cancel links) answers no
/// sooner than this, so that its timing does not tell an email that has something (a write)
/// from one without (a read).
pub const EMAILED_LINK_ANSWER_TIME: std::time::Duration = std::time::Duration::from_millis(250);

/// How long a link to choose a new password works.
pub const RESET_LINK_SECONDS: i64 = 3600;
/// How long the link a new account gets to choose its first password works.
pub const NEW_ACCOUNT_LINK_SECONDS: i64 = 7 * 24 * 3600;

/// Why someone is emailed a link to choose a password: it decides the email's words and how
/// long the link works.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PasswordLink {
    /// They asked ("Forgot your password?").
    Forgotten,
    /// An organiser sent it from the accounts page.
    SentByOrganiser,
    /// An organiser made their account without a password.
    NewAccount,
}

/// Emails `user` a one-time link to choose a password, replacing any earlier link, in the
/// caller's transaction. Only the link's hash is stored.
pub async fn email_password_link(tx: &mut db::Tx, user: &User, why: PasswordLink) -> Result<(), sqlx::Error> {
    let token = new_token();
    let valid_for =
        if why == PasswordLink::NewAccount { NEW_ACCOUNT_LINK_SECONDS } else { RESET_LINK_SECONDS };
    sqlx::query(
        "INSERT INTO password_resets (user_id, token_hash, expires_at) VALUES ($1, $2, $3) \
         ON CONFLICT (user_id) DO UPDATE SET token_hash = excluded.token_hash, expires_at = excluded.expires_at",
    )
    .bind(&user.id)
    .bind(token_hash(&token))
    .bind(db::now_unix() + valid_for)
    .execute(&mut **tx)
    .await?;
    let base = crate::email::service::LINK_BASE;
    let link = format!("{base}/reset-password?token={token}");
    let (name, email) = (&user.display_name, &user.email);
    let (subject, body) = match why {
        PasswordLink::Forgotten => (
            "Choose a new password",
            format!(
                "Hello {name},\n\nSomeone (we hope you) asked to choose a new password for {email}. \
                 Choose it here; the link works once, for an hour:\n\n{link}\n\n\
                 If you did not ask, ignore this email: your password stays as it is.\n"
            ),
        ),
        PasswordLink::SentByOrganiser => (
            "Choose a new password",
            format!(
                "Hello {name},\n\nAn organiser sent you this link to choose a new password for {email}. \
                 It works once, for an hour:\n\n{link}\n\n\
                 If you did not expect it, ignore this email: your password stays as it is.\n"
            ),
        ),
        PasswordLink::NewAccount => (
            "Your new account: choose a password",
            format!(
                "Hello {name},\n\nAn organiser made you an account, to sign in with {email}. \
                 Choose your password here; the link works once, for 7 days:\n\n{link}\n\n\
                 Then sign in at {base}/login.\n"
            ),
        ),
    };
    let email = crate::email::service::OutgoingEmail {
        to: user.email.clone(),
        subject: subject.to_string(),
        body,
        attachment: None,
    };
    crate::email::service::queue(tx, &email).await
}

/// "Forgot your password?": when `email` is an account that may sign in, emails it a one-time
/// link to choose a new password (replacing any earlier link). Answers the same either way, so
/// the form reveals no one. Limited with sign-in's per-IP allowance, and `per_address` (the
/// links emailed to one address: past it, nothing is sent). Refused, for every email, while
/// email is not set up: the new link could not arrive, and would replace one that works.
pub async fn request_password_reset(
    db: &Db,
    key: &crate::secrets::SecretKey,
    allowance: &crate::rate_limit::Allowance<'_>,
    per_address: &crate::rate_limit::RateLimiter,
    email: &str,
) -> Result<(), AuthError> {
    if !crate::email::service::is_configured(db, key).await? {
        return Err(AuthError::Refused(
            "This organisation does not send email yet, so no link can be sent. Ask an organiser for help.",
        ));
    }
    allowance.take().map_err(|wait| AuthError::RateLimited { retry_after_secs: wait.as_secs().max(1) })?;
    if per_address.hit(&users::normalise_email(email)).is_err() {
        return Ok(());
    }
    let Some(record) = users::find_for_login(db, email).await? else { return Ok(()) };
    if ensure_may_sign_in(&record.user).is_err() {
        return Ok(());
    }
    let mut tx = db.begin_write().await?;
    email_password_link(&mut tx, &record.user, PasswordLink::Forgotten).await?;
    tx.commit().await?;
    Ok(())
}

/// Whether a link from `request_password_reset` still works (not used, not expired).
pub async fn reset_link_is_valid(db: &Db, token: &str) -> Result<bool, sqlx::Error> {
    let found: Option<String> =
        sqlx::query_scalar("SELECT user_id FROM password_resets WHERE token_hash = $1 AND expires_at > $2")
            .bind(token_hash(token))
            .bind(db::now_unix())
            .fetch_optional(db.pool())
            .await?;
    Ok(found.is_some())
}

/// Sets a new password with a link from `request_password_reset`: once, within the hour.
/// Every session of the account ends, so whoever knew the old password is signed out.
pub async fn reset_password(db: &Db, token: &str, password: &str, again: &str) -> Result<(), AuthError> {
    let mut v = Validation::new();
    users::check_password(&mut v, password);
    v.check(password == again, "password_again", "The passwords do not match.");
    v.finish().map_err(AuthError::Invalid)?;
    // A wrong link is refused before the (deliberately slow) hashing, which runs outside the
    // write transaction.
    if !reset_link_is_valid(db, token).await? {
        return Err(AuthError::ResetLinkInvalid);
    }
    let hash = password::hash(password).await.map_err(|e| AuthError::User(UserError::Hashing(e)))?;
    let now = db::now_unix();
    let mut tx = db.begin_write().await?;
    // Spent in the same statement that finds it, so a link works once even when two race.
    let user_id: Option<String> = sqlx::query_scalar(
        "DELETE FROM password_resets WHERE token_hash = $1 AND expires_at > $2 RETURNING user_id",
    )
    .bind(token_hash(token))
    .bind(now)
    .fetch_optional(&mut *tx)
    .await?;
    let Some(user_id) = user_id else { return Err(AuthError::ResetLinkInvalid) };
    sqlx::query("UPDATE users SET password_hash = $1, updated_at = $2 WHERE id = $3")
        .bind(&hash)
        .bind(now)
        .bind(&user_id)
        .execute(&mut *tx)
        .await?;
    sqlx::query("DELETE FROM sessions WHERE user_id = $1").bind(&user_id).execute(&mut *tx).await?;
    crate::audit::service::record(&mut tx, &Actor::User(user_id.clone()), "user.password_reset", &user_id)
        .await?;
    tx.commit().await?;
    Ok(())
}

/// A signed-in user's new password, given their current one. A wrong current password counts
/// against the account's sign-in limit, as a wrong sign-in does. Every other session of theirs
/// ends (a device someone else holds is signed out); `session_token`, the one in use, goes on.
pub async fn change_password(
    db: &Db,
    limits: &LoginLimits,
    user: &User,
    session_token: &str,
    form: PasswordChange<'_>,
) -> Result<(), AuthError> {
    let mut v = Validation::new();
    v.check(!form.current_password.is_empty(), "current_password", "Enter your current password.");
    users::check_password(&mut v, form.password);
    v.check(form.password == form.password_again, "password_again", "The passwords do not match.");
    v.finish().map_err(AuthError::Invalid)?;
    confirm_current_password(db, limits, user, form.current_password, "current_password").await?;
    let hash = password::hash(form.password).await.map_err(|e| AuthError::User(UserError::Hashing(e)))?;
    let mut tx = db.begin_write().await?;
    sqlx::query("UPDATE users SET password_hash = $1, updated_at = $2 WHERE id = $3")
        .bind(&hash)
        .bind(db::now_unix())
        .bind(&user.id)
        .execute(&mut *tx)
        .await?;
    delete_other_sessions(&mut tx, user, session_token).await?;
    crate::audit::service::record(&mut tx, &Actor::User(user.id.clone()), "user.password_changed", &user.id)
        .await?;
    tx.commit().await?;
    Ok(())
}

/// "Sign out everywhere else": every session of `user` but `session_token`, the one in use,
/// ends (a shared or lost device is signed out). Answers how many ended; audit-logged when any
/// did.
pub async fn end_other_sessions(db: &Db, user: &User, session_token: &str) -> Result<u64, sqlx::Error> {
    let mut tx = db.begin_write().await?;
    let ended = delete_other_sessions(&mut tx, user, session_token).await?;
    if ended > 0 {
        let entry = format!("{} ({ended})", user.email);
        crate::audit::service::record(
            &mut tx,
            &Actor::User(user.id.clone()),
            "user.signed_out_elsewhere",
            &entry,
        )
        .await?;
    }
    tx.commit().await?;
    Ok(ended)
}

async fn delete_other_sessions(
    tx: &mut db::Tx,
    user: &User,
    session_token: &str,
) -> Result<u64, sqlx::Error> {
    let done = sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND token_hash <> $2")
        .bind(&user.id)
        .bind(token_hash(session_token))
        .execute(&mut **tx)
        .await?;
    Ok(done.rows_affected())
}

/// A password change as typed.
pub struct PasswordChange<'a> {
    pub current_password: &'a str,
    pub password: &'a str,
    pub password_again: &'a str,
}

/// Checks the password a signed-in user typed (in the form's `field`) to confirm a change. A
/// wrong one counts against the account's sign-in limit, as a wrong sign-in does, so a borrowed
/// device cannot guess it; a right one clears the count.
async fn confirm_current_password(
    db: &Db,
    limits: &LoginLimits,
    user: &User,
    typed: &str,
    field: &'static str,
) -> Result<(), AuthError> {
    let account_key = users::normalise_email(&user.email);
    if let Err(wait) = limits.per_account.check(&account_key) {
        return Err(AuthError::RateLimited { retry_after_secs: wait.as_secs().max(1) });
    }
    let record = users::find_for_login(db, &user.email).await?;
    let stored_hash = record.as_ref().map_or(password::DECOY_HASH, |r| r.password_hash.as_str());
    if !password::verify(stored_hash, typed).await {
        limits.per_account.record(&account_key);
        return Err(AuthError::Invalid(FieldError::only(field, "That is not your current password.")));
    }
    limits.per_account.reset(&account_key);
    Ok(())
}

/// A signed-in user's own name and email as typed. A new email needs the current password
/// (it is what they sign in with, so whoever holds an unlocked device must not take the
/// account over with it).
pub struct AccountChange<'a> {
    pub display_name: &'a str,
    pub email: &'a str,
    pub current_password: &'a str,
    /// The account's `profile_edits` when the form was opened; left out, the save is not
    /// checked.
    pub edits: Option<i64>,
}

/// How long the link confirming a new email works.
pub const EMAIL_LINK_SECONDS: i64 = 24 * 3600;

/// What `update_account` did: the account as stored, and the new email a confirmation link
/// went to, if the email waits for it.
#[derive(Debug)]
pub struct AccountUpdated {
    pub user: User,
    pub confirm_sent_to: Option<String>,
}

/// Saves the signed-in user's own name and email. When this instance can send email, a new
/// email takes effect only once the link sent to it is opened (`confirm_email_change`): a
/// mistyped address cannot lock its owner out. Without SMTP it takes effect at once, the only
/// way it can. Publishes `user.updated` and writes the admin audit log for what changed now;
/// nothing changed, nothing is written. A form opened before the account changed elsewhere
/// (an admin, the emailed link, another tab) is refused: it would put back what it showed.
pub async fn update_account(
    bus: &bus::Bus,
    key: &crate::secrets::SecretKey,
    limits: &LoginLimits,
    user: &User,
    form: AccountChange<'_>,
) -> Result<AccountUpdated, AuthError> {
    let display_name = form.display_name.trim();
    let email = users::normalise_email(form.email);
    let email_changes = email != user.email;
    let mut v = Validation::new();
    users::check_display_name(&mut v, display_name);
    users::check_email(&mut v, &email);
    if email_changes {
        v.check(
            !form.current_password.is_empty(),
            "current_password",
            "Enter your current password to change your email.",
        );
    }
    v.finish().map_err(AuthError::Invalid)?;
    if !email_changes && display_name == user.display_name {
        return Ok(AccountUpdated { user: user.clone(), confirm_sent_to: None });
    }
    let confirm_by_link = email_changes && crate::email::service::is_configured(bus.db(), key).await?;
    if email_changes {
        confirm_current_password(bus.db(), limits, user, form.current_password, "current_password").await?;
        if confirm_by_link && users::find_for_login(bus.db(), &email).await?.is_some() {
            return Err(UserError::EmailTaken.into());
        }
    }
    let email_now = if confirm_by_link { user.email.clone() } else { email.clone() };
    let mut tx = bus.db().begin_write().await?;
    let deleted = AuthError::Refused("This account was deleted.");
    let changed_meanwhile = AuthError::ChangedMeanwhile;
    db::check_count(&mut tx, ("users", "profile_edits"), &user.id, form.edits, deleted, changed_meanwhile)
        .await?;
    let changed = if display_name != user.display_name || email_now != user.email {
        let actor = Actor::User(user.id.clone());
        let changed = users::set_name_and_email(&mut tx, &actor, user, display_name, &email_now).await?;
        let entry = if changed.email != user.email {
            format!("{} → {}", user.email, changed.email)
        } else {
            changed.email.clone()
        };
        crate::audit::service::record(&mut tx, &actor, "user.account_changed", &entry).await?;
        bus::publish(&mut tx, &actor, &users::updated_event(&changed)).await?;
        changed
    } else {
        user.clone()
    };
    if confirm_by_link {
        email_confirmation_link(&mut tx, &changed, &email).await?;
    }
    bus.commit(tx).await?;
    Ok(AccountUpdated { user: changed, confirm_sent_to: confirm_by_link.then_some(email) })
}

/// Keeps `new_email` waiting for `user` (as just saved: their new name, their email still the
/// old one) and emails it a one-time link to confirm it, replacing any earlier one, in the
/// caller's transaction. Only the link's hash is stored.
async fn email_confirmation_link(tx: &mut db::Tx, user: &User, new_email: &str) -> Result<(), sqlx::Error> {
    let token = new_token();
    sqlx::query(
        "INSERT INTO email_changes (user_id, new_email, token_hash, expires_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (user_id) DO UPDATE SET new_email = excluded.new_email, \
         token_hash = excluded.token_hash, expires_at = excluded.expires_at",
    )
    .bind(&user.id)
    .bind(new_email)
    .bind(token_hash(&token))
    .bind(db::now_unix() + EMAIL_LINK_SECONDS)
    .execute(&mut **tx)
    .await?;
    let base = crate::email::service::LINK_BASE;
    let email = crate::email::service::OutgoingEmail {
        to: new_email.to_string(),
        subject: "Confirm your new email".to_string(),
        body: format!(
            "Hello {name},\n\nYou asked to sign in with {new_email} instead of {old}. \
             Confirm it here; the link works once, for 24 hours:\n\n\
             {base}/account/confirm-email?token={token}\n\n\
             Open it while signed in with {old}, which you sign in with until then. \
             If you did not ask, ignore this email.\n",
            name = user.display_name,
            old = user.email,
        ),
        attachment: None,
    };
    crate::email::service::queue(tx, &email).await
}

/// The new email `user` asked for that still waits for its link, if any.
pub async fn pending_email(db: &Db, user: &User) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar("SELECT new_email FROM email_changes WHERE user_id = $1 AND expires_at > $2")
        .bind(&user.id)
        .bind(db::now_unix())
        .fetch_optional(db.pool())
        .await
}

/// Calls off the new email `user` asked for: its link stops working and the account keeps its
/// email. Answers whether one was waiting.
pub async fn cancel_email_change(db: &Db, user: &User) -> Result<bool, sqlx::Error> {
    let deleted = sqlx::query("DELETE FROM email_changes WHERE user_id = $1")
        .bind(&user.id)
        .execute(db.writer())
        .await?;
    Ok(deleted.rows_affected() > 0)
}

/// The new email `user`'s confirmation link is for, while it still works.
pub async fn email_link_target(db: &Db, user: &User, token: &str) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT new_email FROM email_changes WHERE token_hash = $1 AND user_id = $2 AND expires_at > $3",
    )
    .bind(token_hash(token))
    .bind(&user.id)
    .bind(db::now_unix())
    .fetch_optional(db.pool())
    .await
}

/// Opens a link from `update_account`, signed in as the account that asked: whoever gets a
/// mistyped address's mail cannot take the account with it. From now on the account signs in
/// with its new email, and its old address is told. Once, within 24 hours; refused, changing
/// nothing, when another account took the email meanwhile. Publishes `user.updated`,
/// audit-logged as the owner's change.
pub async fn confirm_email_change(bus: &bus::Bus, user: &User, token: &str) -> Result<User, AuthError> {
    let mut tx = bus.db().begin_write().await?;
    // Spent in the same statement that finds it, so a link works once even when two race.
    let new_email: Option<String> = sqlx::query_scalar(
        "DELETE FROM email_changes WHERE token_hash = $1 AND user_id = $2 AND expires_at > $3 RETURNING new_email",
    )
    .bind(token_hash(token))
    .bind(&user.id)
    .bind(db::now_unix())
    .fetch_optional(&mut *tx)
    .await?;
    let Some(new_email) = new_email else { return Err(AuthError::EmailLinkInvalid) };
    let Some(user) = users::find_locked(&mut tx, &user.id).await? else {
        return Err(AuthError::EmailLinkInvalid);
    };
    let actor = Actor::User(user.id.clone());
    let changed =
        match users::set_name_and_email(&mut tx, &actor, &user, &user.display_name, &new_email).await {
            Err(UserError::EmailTaken) => {
                return Err(AuthError::Refused(
                    "Another account has signed up with this email since. Choose another on Your account.",
                ));
            }
            other => other?,
        };
    let entry = format!("{} → {}", user.email, changed.email);
    crate::audit::service::record(&mut tx, &actor, "user.account_changed", &entry).await?;
    bus::publish(&mut tx, &actor, &users::updated_event(&changed)).await?;
    bus.commit(tx).await?;
    Ok(changed)
}

/// The signed-in user deletes their own account, confirming with their password (a wrong one
/// counts against the sign-in limit). Their sessions end with it; their shift sign-ups and
/// their contact stay with the organisers, as when an organiser deletes an account. A super
/// admin cannot, as on the Users page: another must, so one always remains.
pub async fn delete_own_account(
    bus: &bus::Bus,
    limits: &LoginLimits,
    user: &User,
    current_password: &str,
) -> Result<(), AuthError> {
    if user.role == Role::SuperAdmin {
        return Err(AuthError::Refused(
            "A super admin's account is deleted by another super admin, on the Users page.",
        ));
    }
    if current_password.is_empty() {
        return Err(AuthError::Invalid(FieldError::only(
            "delete_password",
            "Enter your password to delete your account.",
        )));
    }
    confirm_current_password(bus.db(), limits, user, current_password, "delete_password").await?;
    let mut tx = bus.db().begin_write().await?;
    users::delete(&mut tx, &Actor::User(user.id.clone()), user).await?;
    bus.commit(tx).await?;
    Ok(())
}

/// Creates the first super admin with a one-time token. The token is spent in the same
/// transaction, so a link works exactly once even when two requests race.
pub async fn complete_setup(db: &Db, token: &str, form: SetupForm<'_>) -> Result<User, AuthError> {
    let mut errors = users::validate_new_user(form.email, form.display_name, form.password);
    let mut v = Validation::new();
    let org = form.organisation_name.trim();
    crate::settings::check_organisation_name(&mut v, org);
    v.check(form.password == form.password_confirm, "password_confirm", "The two passwords do not match.");
    errors.extend(v.finish().err().unwrap_or_default());
    if !errors.is_empty() {
        return Err(AuthError::Invalid(errors));
    }

    let now = db::now_unix();
    let mut tx = db.begin_write().await?;
    let spent = sqlx::query("UPDATE setup_tokens SET used_at = $1 WHERE token_hash = $2 AND used_at IS NULL")
        .bind(now)
        .bind(token_hash(token))
        .execute(&mut *tx)
        .await?;
    let admins: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users WHERE role = $1")
        .bind(Role::SuperAdmin.as_str())
        .fetch_one(&mut *tx)
        .await?;
    if spent.rows_affected() != 1 || admins > 0 {
        return Err(AuthError::SetupLinkInvalid);
    }
    let user = users::create_user(
        &mut tx,
        NewUser {
            email: form.email,
            display_name: form.display_name,
            password: form.password,
            role: Role::SuperAdmin,
            status: UserStatus::Active,
            expires_at: None,
        },
    )
    .await?;
    crate::settings::set(&mut tx, crate::settings::ORGANISATION_NAME, org).await?;
    let entry = format!("{} as SUPER_ADMIN (first-run setup link)", user.email);
    crate::audit::service::record(&mut tx, &Actor::User(user.id.clone()), "user.created", &entry).await?;
    bus::publish(&mut tx, &Actor::User(user.id.clone()), &users::created_event(&user)).await?;
    tx.commit().await?;
    Ok(user)
}

/// `changemaker create-admin`: a super admin from the shell. Spends any outstanding setup
/// link, since the instance now has an administrator.
pub async fn create_super_admin(
    db: &Db,
    email: &str,
    display_name: &str,
    password: &str,
) -> Result<User, AuthError> {
    let mut tx = db.begin_write().await?;
    let user = users::create_user(
        &mut tx,
        NewUser {
            email,
            display_name,
            password,
            role: Role::SuperAdmin,
            status: UserStatus::Active,
            expires_at: None,
        },
    )
    .await?;
    sqlx::query("UPDATE setup_tokens SET used_at = $1 WHERE used_at IS NULL")
        .bind(db::now_unix())
        .execute(&mut *tx)
        .await?;
    // Whoever has the server's shell can make a super admin at any time: the log says so.
    let entry = format!("{} as SUPER_ADMIN (create-admin, from the shell)", user.email);
    crate::audit::service::record(&mut tx, &Actor::System, "user.created", &entry).await?;
    bus::publish(&mut tx, &Actor::System, &users::created_event(&user)).await?;
    tx.commit().await?;
    Ok(user)
}
