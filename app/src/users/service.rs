//! User records: creation with validation, lookup. Plain async functions over the pool or a
//! transaction.

use sqlx::Row;

use super::{Role, UserStatus};
use crate::auth::password;
use crate::auth::service::PasswordLink;
use crate::bus::Bus;
use crate::db::{self, Db, Tx};
use crate::error::{FieldError, Validation};
use crate::events::catalog::{UserApproved, UserDeleted, UserUpdated};
use crate::events::{Actor, Event};
use crate::time_zone::Zone;

#[derive(Debug, thiserror::Error)]
pub enum UserError {
    #[error("invalid user details")]
    Invalid(Vec<FieldError>),
    #[error("an account with this email already exists")]
    EmailTaken,
    #[error("too many attempts")]
    RateLimited(std::time::Duration),
    #[error(transparent)]
    Database(#[from] sqlx::Error),
    #[error("password hashing failed: {0}")]
    Hashing(String),
}

/// A stored user, without the password hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub id: String,
    pub email: String,
    pub display_name: String,
    pub role: Role,
    pub status: UserStatus,
    pub expires_at: Option<i64>,
    /// How many times the account's name, email, role or expiry were changed: an edit form
    /// opened at another count is refused (`db::check_edits`).
    pub edits: i64,
    /// How many times its name or email were changed: Your account's form, which shows only
    /// those, is checked against this count, so an admin's change of role does not refuse it.
    pub profile_edits: i64,
}

/// What it takes to create an account. The password is plain text only until it is hashed.
pub struct NewUser<'a> {
    pub email: &'a str,
    pub display_name: &'a str,
    pub password: &'a str,
    pub role: Role,
    pub status: UserStatus,
    pub expires_at: Option<i64>,
}

pub const PASSWORD_MIN_CHARS: usize = 12;
pub const PASSWORD_MAX_CHARS: usize = 256;
pub const NAME_MAX_CHARS: usize = 100;
pub const EMAIL_MAX_CHARS: usize = 254;

/// Emails are compared and stored trimmed and lower-cased.
pub fn normalise_email(email: &str) -> String {
    email.trim().to_lowercase()
}

/// One `@`, something before it, a dot in the domain, no spaces, and an address the mailer
/// can send to (`lettre`'s rules: no `a..b@`, `<x>@` or `a,b@`, no `@-example.org`):
/// one it cannot would be saved, and then every email to it would fail.
pub fn is_plausible_email(email: &str) -> bool {
    let Some((local, domain)) = email.split_once('@') else { return false };
    !local.is_empty()
        && !domain.contains('@')
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !email.chars().any(|c| c.is_whitespace() || c.is_control())
        && email.chars().count() <= EMAIL_MAX_CHARS
        && email.parse::<lettre::Address>().is_ok()
}

/// A mail client's `Name <address>` (the name perhaps quoted): the name and the address, both
/// trimmed; `None` for text that is not in that form.
pub fn split_mailbox(text: &str) -> Option<(&str, &str)> {
    let (name, rest) = text.split_once('<')?;
    let (address, after) = rest.split_once('>')?;
    after.trim().is_empty().then(|| (name.trim().trim_matches('"').trim(), address.trim()))
}

/// The addresses in a pasted list, in order: separated by commas, semicolons, spaces or new
/// lines, each bare or as a mail client copies it (`Name <address>`, whose name is dropped).
/// Nothing is checked here: a piece that is not an address comes back as typed.
pub fn typed_addresses(text: &str) -> Vec<String> {
    // A quoted name may hold a comma ("Lee, Jo" <jo@example.org>); quotes that pair up are
    // names only, so they go first.
    let unquoted = if text.matches('"').count().is_multiple_of(2) {
        text.split('"').step_by(2).collect::<Vec<_>>().join(" ")
    } else {
        text.to_string()
    };
    let mut addresses = Vec::new();
    for entry in unquoted.split([',', ';', '\n']) {
        match split_mailbox(entry) {
            Some((_, "")) => addresses.push(entry.trim().to_string()),
            Some((_, address)) => addresses.push(address.to_string()),
            None => addresses.extend(entry.split_whitespace().map(str::to_string)),
        }
    }
    addresses
}

/// Checks a new account's fields; every problem is reported against its field.
pub fn validate_new_user(email: &str, display_name: &str, password: &str) -> Vec<FieldError> {
    let mut v = Validation::new();
    check_email(&mut v, &normalise_email(email));
    check_display_name(&mut v, display_name.trim());
    check_password(&mut v, password);
    v.finish().err().unwrap_or_default()
}

/// The rule for an account's email, given normalised (`normalise_email`).
pub fn check_email(v: &mut Validation, email: &str) {
    v.check(!email.is_empty(), "email", "Enter an email address.");
    v.check(is_plausible_email(email), "email", "Enter a valid email address, like name@example.org.");
}

/// The rule for an account's name, given trimmed.
pub fn check_display_name(v: &mut Validation, name: &str) {
    v.check(!name.is_empty(), "display_name", "Enter a name.");
    v.check(name.chars().count() <= NAME_MAX_CHARS, "display_name", "Names can be at most 100 characters.");
    v.check(!name.chars().any(char::is_control), "display_name", "Names cannot contain control characters.");
}

/// The rule for every new password (an account's first, or one chosen by a reset link).
pub fn check_password(v: &mut Validation, password: &str) {
    let length = password.chars().count();
    v.check(length >= PASSWORD_MIN_CHARS, "password", "Passwords need at least 12 characters.");
    v.check(length <= PASSWORD_MAX_CHARS, "password", "Passwords can be at most 256 characters.");
}

/// Creates an account inside the caller's transaction.
pub async fn create_user(tx: &mut Tx, new: NewUser<'_>) -> Result<User, UserError> {
    let errors = validate_new_user(new.email, new.display_name, new.password);
    if !errors.is_empty() {
        return Err(UserError::Invalid(errors));
    }
    let email = normalise_email(new.email);
    let display_name = new.display_name.trim().to_string();
    let hash = password::hash(new.password).await.map_err(UserError::Hashing)?;
    let id = uuid::Uuid::new_v4().to_string();
    let now = db::now_unix();
    let inserted = sqlx::query(
        "INSERT INTO users (id, email, display_name, password_hash, role, status, expires_at, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)",
    )
    .bind(&id)
    .bind(&email)
    .bind(&display_name)
    .bind(&hash)
    .bind(new.role.as_str())
    .bind(new.status.as_str())
    .bind(new.expires_at)
    .bind(now)
    .execute(&mut **tx)
    .await;
    match inserted {
        Ok(_) => Ok(User {
            id,
            email,
            display_name,
            role: new.role,
            status: new.status,
            expires_at: new.expires_at,
            edits: 0,
            profile_edits: 0,
        }),
        Err(e) if db::is_unique_violation(&e) => Err(UserError::EmailTaken),
        Err(e) => Err(UserError::Database(e)),
    }
}

/// The `user.created` event for a new account (no password, no hash).
pub fn created_event(user: &User) -> crate::events::Event {
    crate::events::Event::UserCreated(crate::events::catalog::UserCreated {
        user_id: user.id.clone(),
        email: user.email.clone(),
        display_name: user.display_name.clone(),
        role: user.role.as_str().to_string(),
        status: user.status.as_str().to_string(),
    })
}

/// A user with their password hash, for signing in.
pub struct LoginRecord {
    pub user: User,
    pub password_hash: String,
}

const USER_COLUMNS: &str = "id, email, display_name, role, status, expires_at, edits, profile_edits";

fn user_from_row(row: &sqlx::any::AnyRow) -> Result<User, sqlx::Error> {
    let role: String = row.try_get("role")?;
    let status: String = row.try_get("status")?;
    Ok(User {
        id: row.try_get("id")?,
        email: row.try_get("email")?,
        display_name: row.try_get("display_name")?,
        role: Role::parse(&role).ok_or_else(|| decode_error("role", &role))?,
        status: UserStatus::parse(&status).ok_or_else(|| decode_error("status", &status))?,
        expires_at: row.try_get("expires_at")?,
        edits: row.try_get("edits")?,
        profile_edits: row.try_get("profile_edits")?,
    })
}

fn decode_error(column: &str, value: &str) -> sqlx::Error {
    sqlx::Error::ColumnDecode {
        index: column.to_string(),
        source: format!("unexpected value {value:?}").into(),
    }
}

pub async fn find_for_login(db: &Db, email: &str) -> Result<Option<LoginRecord>, sqlx::Error> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {USER_COLUMNS}, password_hash FROM users WHERE email = $1"
    )))
    .bind(normalise_email(email))
    .fetch_optional(db.pool())
    .await?;
    row.map(|row| {
        Ok(LoginRecord { user: user_from_row(&row)?, password_hash: row.try_get("password_hash")? })
    })
    .transpose()
}

pub async fn find_by_id(db: &Db, id: &str) -> Result<Option<User>, sqlx::Error> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!("SELECT {USER_COLUMNS} FROM users WHERE id = $1")))
        .bind(id)
        .fetch_optional(db.pool())
        .await?;
    row.as_ref().map(user_from_row).transpose()
}

/// Who each actor is, as admin pages name them: an account's name ("Deleted account" once it
/// is gone), "System", or "Stripe webhook". Keyed by the actor's stored text.
pub async fn actor_names(
    db: &Db,
    actors: Vec<String>,
) -> Result<std::collections::HashMap<String, String>, sqlx::Error> {
    let mut names = std::collections::HashMap::new();
    for actor in actors {
        if names.contains_key(&actor) {
            continue;
        }
        let name = match Actor::parse(&actor) {
            Some(Actor::User(id)) => sqlx::query_scalar("SELECT display_name FROM users WHERE id = $1")
                .bind(&id)
                .fetch_optional(db.pool())
                .await?
                .unwrap_or_else(|| "Deleted account".to_string()),
            Some(Actor::System) => "System".to_string(),
            Some(Actor::Webhook(source)) => {
                let mut letters = source.chars();
                let first = letters.next().map(|c| c.to_uppercase().collect::<String>()).unwrap_or_default();
                format!("{first}{} webhook", letters.as_str())
            }
            None => actor.clone(),
        };
        names.insert(actor, name);
    }
    Ok(names)
}

pub async fn count_by_role(db: &Db, role: Role) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("SELECT COUNT(*) FROM users WHERE role = $1")
        .bind(role.as_str())
        .fetch_one(db.pool())
        .await
}

/// Registrations waiting for an admin's approval.
pub async fn count_waiting_for_approval(db: &Db) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("SELECT COUNT(*) FROM users WHERE status = 'PENDING'").fetch_one(db.pool()).await
}

pub async fn count_all(db: &Db) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("SELECT COUNT(*) FROM users").fetch_one(db.pool()).await
}

// ---- administration (SUPER_ADMIN) -------------------------------------------------------

#[derive(Debug, thiserror::Error)]
pub enum AdminUserError {
    #[error(transparent)]
    User(#[from] UserError),
    #[error("no such user")]
    NotFound,
    /// The edit form was opened before someone else changed the account (see `UserRow::edits`).
    #[error("the account changed since the form was opened")]
    ChangedMeanwhile,
    /// A super admin may not change their own role, deactivate or delete themselves: there is
    /// always one left who can manage accounts.
    #[error("{0}")]
    Refused(&'static str),
    #[error("this account is not waiting for approval")]
    NotPending,
}

impl From<sqlx::Error> for AdminUserError {
    fn from(e: sqlx::Error) -> AdminUserError {
        AdminUserError::User(UserError::Database(e))
    }
}

pub const PAGE_SIZE: i64 = 50;

/// An account as the admin's list shows it, dates in `zone`.
fn row_view(user: &User, created_at: i64, zone: Zone) -> super::UserRow {
    super::UserRow {
        id: user.id.clone(),
        email: user.email.clone(),
        display_name: user.display_name.clone(),
        role: user.role,
        status: user.status,
        expires: user.expires_at.map(|at| zone.date(at)),
        expired: user.expires_at.is_some_and(|at| at <= db::now_unix()),
        created: zone.date(created_at),
        edits: user.edits,
    }
}

/// A newly made account as the admin's list shows it.
pub async fn new_account_row(db: &Db, user: &User) -> Result<super::UserRow, sqlx::Error> {
    Ok(row_view(user, db::now_unix(), crate::settings::time_zone(db).await?))
}

/// Accounts, waiting ones first, then by name; filtered by status and part of the name or
/// email.
pub async fn list(db: &Db, filter: &super::UserFilter) -> Result<super::UserPage, sqlx::Error> {
    let mut conditions = String::from(" WHERE 1 = 1");
    let mut binds: Vec<String> = Vec::new();
    if !filter.search.trim().is_empty() {
        binds.push(db::contains_pattern(&filter.search));
        conditions.push_str(&format!(
            " AND (LOWER(display_name) LIKE ${0} ESCAPE '\\' OR email LIKE ${0} ESCAPE '\\')",
            binds.len()
        ));
    }
    if let Some(status) = filter.status {
        binds.push(status.as_str().to_string());
        conditions.push_str(&format!(" AND status = ${}", binds.len()));
    }
    let zone = crate::settings::time_zone(db).await?;
    let select = format!(
        "SELECT {USER_COLUMNS}, created_at FROM users{conditions} \
         ORDER BY CASE WHEN status = 'PENDING' THEN 0 ELSE 1 END, LOWER(display_name), id"
    );
    let (rows, page, has_more) = db::fetch_page(db, &select, &binds, filter.page, PAGE_SIZE).await?;
    let users = rows
        .iter()
        .map(|r| Ok(row_view(&user_from_row(r)?, r.try_get("created_at")?, zone)))
        .collect::<Result<Vec<_>, sqlx::Error>>()?;
    let pending_sql = format!("SELECT COUNT(*) FROM users{conditions} AND status = 'PENDING'");
    let pending = db::fetch_count(db, &pending_sql, &binds).await?;
    Ok(super::UserPage { users, page, has_more, pending })
}

/// A typed expiry date (`YYYY-MM-DD`) → the end of that day in the organisation's `zone`.
/// Only TEMP accounts expire, and each needs a date in the future, at most a year away.
fn valid_expiry(role: Role, typed: &str, now: i64, zone: Zone, v: &mut Validation) -> Option<i64> {
    let typed = typed.trim();
    if role != Role::Temp {
        v.check(typed.is_empty(), "expires", "Only temporary accounts expire; leave the date empty.");
        return None;
    }
    if typed.is_empty() {
        v.add("expires", "Temporary accounts need an expiry date.");
        return None;
    }
    let Some(day) = crate::time::parse_date(typed) else {
        v.add("expires", "Enter a date like 2026-12-31.");
        return None;
    };
    let at = zone.day_start(day + 1) - 1;
    v.check(at > now, "expires", "The expiry date must be in the future.");
    v.check(at <= now + 366 * 86_400, "expires", "Accounts can expire at most a year from now.");
    Some(at)
}

fn parse_role(text: &str, v: &mut Validation) -> Role {
    let role = Role::parse(text.trim());
    v.check(role.is_some(), "role", "Choose a role from the list.");
    role.unwrap_or(Role::Volunteer)
}

/// The `user.updated` event for an account as it now is.
pub fn updated_event(user: &User) -> Event {
    Event::UserUpdated(UserUpdated {
        user_id: user.id.clone(),
        email: user.email.clone(),
        display_name: user.display_name.clone(),
        role: user.role.as_str().to_string(),
        status: user.status.as_str().to_string(),
    })
}

/// Creates an active account with the role chosen; publishes `user.created`. Answers too
/// whether its owner was emailed a link to choose a password, or it waits for email settings.
pub async fn admin_create(
    bus: &Bus,
    key: &crate::secrets::SecretKey,
    actor: &Actor,
    form: &super::UserForm,
) -> Result<(User, super::PasswordLinkSent), AdminUserError> {
    let zone = crate::settings::time_zone(bus.db()).await?;
    let mut v = Validation::new();
    let role = parse_role(&form.role, &mut v);
    let expires_at = valid_expiry(role, &form.expires, db::now_unix(), zone, &mut v);
    // No password typed: the account gets one nobody knows, and its owner an emailed link to
    // choose their own, so no organiser ever knows it.
    let emails_a_link = form.password.is_empty();
    let password = if emails_a_link { crate::auth::service::new_token() } else { form.password.clone() };
    let mut errors = validate_new_user(&form.email, &form.display_name, &password);
    errors.extend(v.finish().err().unwrap_or_default());
    if !errors.is_empty() {
        return Err(UserError::Invalid(errors).into());
    }
    // Made anyway while email is not set up: the email waits in the queue, and the organiser
    // is told so.
    let link = match emails_a_link {
        false => super::PasswordLinkSent::NotNeeded,
        true if crate::email::service::is_configured(bus.db(), key).await? => {
            super::PasswordLinkSent::Emailed
        }
        true => super::PasswordLinkSent::WaitsForEmail,
    };
    let mut tx = bus.db().begin_write().await?;
    let new = NewUser {
        email: &form.email,
        display_name: &form.display_name,
        password: &password,
        role,
        status: UserStatus::Active,
        expires_at,
    };
    let user = create_user(&mut tx, new).await?;
    if emails_a_link {
        crate::auth::service::email_password_link(&mut tx, &user, PasswordLink::NewAccount).await?;
    }
    crate::audit::service::record(&mut tx, actor, "user.created", &user.email).await?;
    crate::bus::publish(&mut tx, actor, &created_event(&user)).await?;
    bus.commit(tx).await?;
    Ok((user, link))
}

/// Reads a user for a change, locked until commit on PostgreSQL.
pub async fn find_locked(tx: &mut Tx, id: &str) -> Result<Option<User>, sqlx::Error> {
    let lock = db::for_update(tx);
    let row =
        sqlx::query(sqlx::AssertSqlSafe(format!("SELECT {USER_COLUMNS} FROM users WHERE id = $1{lock}")))
            .bind(id)
            .fetch_optional(&mut **tx)
            .await?;
    row.as_ref().map(user_from_row).transpose()
}

async fn locked_user(tx: &mut Tx, id: &str) -> Result<User, AdminUserError> {
    find_locked(tx, id).await?.ok_or(AdminUserError::NotFound)
}

/// Changes a user's name, role and expiry; publishes `user.updated`.
pub async fn admin_update(
    bus: &Bus,
    actor: &Actor,
    acting_user: &str,
    id: &str,
    form: &super::UserEdit,
) -> Result<User, AdminUserError> {
    let zone = crate::settings::time_zone(bus.db()).await?;
    let mut v = Validation::new();
    let role = parse_role(&form.role, &mut v);
    let expires_at = valid_expiry(role, &form.expires, db::now_unix(), zone, &mut v);
    let name = form.display_name.trim();
    check_display_name(&mut v, name);
    let email = normalise_email(&form.email);
    check_email(&mut v, &email);
    if let Err(errors) = v.finish() {
        return Err(UserError::Invalid(errors).into());
    }
    let mut tx = bus.db().begin_write().await?;
    let changed_meanwhile = AdminUserError::ChangedMeanwhile;
    db::check_edits(&mut tx, "users", id, form.edits, AdminUserError::NotFound, changed_meanwhile).await?;
    let stored = locked_user(&mut tx, id).await?;
    if id == acting_user && role != stored.role {
        return Err(AdminUserError::Refused("You cannot change your own role."));
    }
    let mut user = set_name_and_email(&mut tx, actor, &stored, name, &email).await?;
    let counted = i64::from(role != stored.role || expires_at != stored.expires_at);
    user.edits = sqlx::query_scalar(
        "UPDATE users SET role = $1, expires_at = $2, edits = edits + $3 WHERE id = $4 RETURNING edits",
    )
    .bind(role.as_str())
    .bind(expires_at)
    .bind(counted)
    .bind(id)
    .fetch_one(&mut *tx)
    .await?;
    (user.role, user.expires_at) = (role, expires_at);
    let emails = if user.email == stored.email {
        user.email.clone()
    } else {
        format!("{} → {}", stored.email, user.email)
    };
    crate::audit::service::record(&mut tx, actor, "user.updated", &format!("{emails} as {}", role.as_str()))
        .await?;
    crate::bus::publish(&mut tx, actor, &updated_event(&user)).await?;
    bus.commit(tx).await?;
    Ok(user)
}

/// Sets an account's name and email (already checked, the email normalised) inside the
/// caller's transaction; an email another account has is `EmailTaken`. When the email
/// changes, the old address is told (if its owner did not expect it, they learn at the address
/// they still read), a password link emailed there stops working (whoever reads the old
/// mailbox must not be able to take the account back with it). The account's contact follows
/// (`contacts::service::follow_account`). Answers the account as saved.
pub async fn set_name_and_email(
    tx: &mut Tx,
    actor: &Actor,
    user: &User,
    name: &str,
    email: &str,
) -> Result<User, UserError> {
    // Counted as an edit only when the name or the email is not what is stored now.
    let updated = sqlx::query(
        "UPDATE users SET \
         edits = edits + CASE WHEN display_name = $1 AND email = $2 THEN 0 ELSE 1 END, \
         profile_edits = profile_edits + CASE WHEN display_name = $1 AND email = $2 THEN 0 ELSE 1 END, \
         display_name = $1, email = $2, updated_at = $3 WHERE id = $4 RETURNING edits, profile_edits",
    )
    .bind(name)
    .bind(email)
    .bind(db::now_unix())
    .bind(&user.id)
    .fetch_one(&mut **tx)
    .await;
    let counts = match updated {
        Err(e) if db::is_unique_violation(&e) => return Err(UserError::EmailTaken),
        other => other?,
    };
    if email != user.email {
        // Links sent before (a password link to the old address, a new email asked for)
        // stop working.
        for table in ["password_resets", "email_changes"] {
            sqlx::query(sqlx::AssertSqlSafe(format!("DELETE FROM {table} WHERE user_id = $1")))
                .bind(&user.id)
                .execute(&mut **tx)
                .await?;
        }
        crate::email::service::queue(tx, &email_changed_notice(user, email)).await?;
    }
    if email != user.email || name != user.display_name {
        let (old, new) = ((user.display_name.as_str(), user.email.as_str()), (name, email));
        crate::contacts::service::follow_account(tx, actor, old, new).await?;
    }
    Ok(User {
        display_name: name.to_string(),
        email: email.to_string(),
        edits: counts.try_get("edits")?,
        profile_edits: counts.try_get("profile_edits")?,
        ..user.clone()
    })
}

/// The email to an account's old address when it moves to `new_email`.
fn email_changed_notice(user: &User, new_email: &str) -> crate::email::service::OutgoingEmail {
    let base = crate::email::service::LINK_BASE;
    crate::email::service::OutgoingEmail {
        to: user.email.clone(),
        subject: "Your email for signing in was changed".to_string(),
        body: format!(
            "Hello {},\n\nThe email you sign in with was changed from {} to {}. \
             From now on, sign in at {base}/login with the new one.\n\n\
             If you did not expect this, tell an organiser straight away.\n",
            user.display_name, user.email, new_email
        ),
        attachment: None,
    }
}

/// Deactivates (`active` false: the account can no longer sign in, its sessions end) or
/// reactivates an account; publishes `user.updated`.
pub async fn admin_set_active(
    bus: &Bus,
    actor: &Actor,
    acting_user: &str,
    id: &str,
    active: bool,
) -> Result<User, AdminUserError> {
    let mut tx = bus.db().begin_write().await?;
    let mut user = locked_user(&mut tx, id).await?;
    if id == acting_user && !active {
        return Err(AdminUserError::Refused("You cannot deactivate your own account."));
    }
    if user.status == UserStatus::Pending {
        return Err(AdminUserError::Refused("Approve or delete a waiting registration instead."));
    }
    let status = if active { UserStatus::Active } else { UserStatus::Disabled };
    if status == user.status {
        return Ok(user);
    }
    sqlx::query("UPDATE users SET status = $1, updated_at = $2 WHERE id = $3")
        .bind(status.as_str())
        .bind(db::now_unix())
        .bind(id)
        .execute(&mut *tx)
        .await?;
    if !active {
        sqlx::query("DELETE FROM sessions WHERE user_id = $1").bind(id).execute(&mut *tx).await?;
    }
    user.status = status;
    let action = if active { "user.reactivated" } else { "user.deactivated" };
    crate::audit::service::record(&mut tx, actor, action, &user.email).await?;
    crate::bus::publish(&mut tx, actor, &updated_event(&user)).await?;
    bus.commit(tx).await?;
    Ok(user)
}

/// Emails an account that may sign in a one-time link to choose a new password (someone who
/// cannot sign in asked an organiser); their password works until the link is used. Refused
/// while email is not set up: the link could not arrive, and would replace one that works.
pub async fn admin_send_password_link(
    bus: &Bus,
    key: &crate::secrets::SecretKey,
    actor: &Actor,
    id: &str,
) -> Result<User, AdminUserError> {
    if !crate::email::service::is_configured(bus.db(), key).await? {
        return Err(AdminUserError::Refused("Email is not set up yet (Settings), so no link can be sent."));
    }
    let mut tx = bus.db().begin_write().await?;
    let user = locked_user(&mut tx, id).await?;
    if crate::auth::service::ensure_may_sign_in(&user).is_err() {
        return Err(AdminUserError::Refused(
            "This account cannot sign in: approve, reactivate or extend it first.",
        ));
    }
    crate::auth::service::email_password_link(&mut tx, &user, PasswordLink::SentByOrganiser).await?;
    crate::audit::service::record(&mut tx, actor, "user.password_link_sent", &user.email).await?;
    bus.commit(tx).await?;
    Ok(user)
}

/// Lets a waiting registration sign in; publishes `user.approved`.
pub async fn approve(bus: &Bus, actor: &Actor, id: &str) -> Result<User, AdminUserError> {
    let mut tx = bus.db().begin_write().await?;
    let mut user = locked_user(&mut tx, id).await?;
    if user.status != UserStatus::Pending {
        return Err(AdminUserError::NotPending);
    }
    sqlx::query("UPDATE users SET status = 'ACTIVE', updated_at = $1 WHERE id = $2")
        .bind(db::now_unix())
        .bind(id)
        .execute(&mut *tx)
        .await?;
    user.status = UserStatus::Active;
    crate::audit::service::record(&mut tx, actor, "user.approved", &user.email).await?;
    let event = Event::UserApproved(UserApproved {
        user_id: user.id.clone(),
        email: user.email.clone(),
        display_name: user.display_name.clone(),
    });
    crate::bus::publish(&mut tx, actor, &event).await?;
    bus.commit(tx).await?;
    Ok(user)
}

/// Deletes an account and its sessions (their shift sign-ups stay, no longer linked);
/// publishes `user.deleted`.
pub async fn admin_delete(
    bus: &Bus,
    actor: &Actor,
    acting_user: &str,
    id: &str,
) -> Result<(), AdminUserError> {
    if id == acting_user {
        return Err(AdminUserError::Refused("You cannot delete your own account."));
    }
    let mut tx = bus.db().begin_write().await?;
    let user = locked_user(&mut tx, id).await?;
    delete(&mut tx, actor, &user).await?;
    bus.commit(tx).await?;
    Ok(())
}

/// Deletes an account inside the caller's transaction: its sessions go with it, its shift
/// sign-ups stay, no longer linked. Audit-logged; publishes `user.deleted`.
pub async fn delete(tx: &mut Tx, actor: &Actor, user: &User) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM users WHERE id = $1").bind(&user.id).execute(&mut **tx).await?;
    crate::audit::service::record(tx, actor, "user.deleted", &user.email).await?;
    let event = Event::UserDeleted(UserDeleted { user_id: user.id.clone(), email: user.email.clone() });
    crate::bus::publish(tx, actor, &event).await?;
    Ok(())
}

/// Public registration: a VOLUNTEER account waiting for approval, and the person's contact.
/// An email that already has an account gets the same answer and changes nothing, so the
/// form does not reveal who has an account.
pub async fn register(
    bus: &Bus,
    allowance: &crate::rate_limit::Allowance<'_>,
    form: &super::RegisterForm,
) -> Result<(), UserError> {
    allowance.take().map_err(UserError::RateLimited)?;
    let mut errors = validate_new_user(&form.email, &form.display_name, &form.password);
    if form.password != form.password_again {
        errors.push(FieldError {
            field: "password_again".into(),
            message: "The passwords do not match.".into(),
        });
    }
    if !errors.is_empty() {
        return Err(UserError::Invalid(errors));
    }
    let mut tx = bus.db().begin_write().await?;
    let new = NewUser {
        email: &form.email,
        display_name: &form.display_name,
        password: &form.password,
        role: Role::Volunteer,
        status: UserStatus::Pending,
        expires_at: None,
    };
    let user = match create_user(&mut tx, new).await {
        Ok(user) => user,
        Err(UserError::EmailTaken) => return Ok(()),
        Err(e) => return Err(e),
    };
    let contact = crate::contacts::service::find_or_create(
        &mut tx,
        &user.email,
        &user.display_name,
        None,
        "REGISTRATION",
    )
    .await?;
    crate::bus::publish(&mut tx, &Actor::User(user.id.clone()), &created_event(&user)).await?;
    if let Some(created) = &contact.created {
        crate::bus::publish(&mut tx, &Actor::User(user.id.clone()), created).await?;
    }
    bus.commit(tx).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pasted_lists_of_addresses_are_read_as_mail_clients_write_them() {
        let typed = typed_addresses(
            "jo@example.org, Sam Lee <Sam@Example.org>; \"Lee, Al\" <al@example.org>\nkim@example.org  ann@example.org",
        );
        assert_eq!(
            typed,
            ["jo@example.org", "Sam@Example.org", "al@example.org", "kim@example.org", "ann@example.org"]
        );
        // What is not an address comes back as typed, for the caller to refuse.
        assert_eq!(typed_addresses("Jo <>, jo at example"), ["Jo <>", "jo", "at", "example"]);
        // An unpaired quote is kept as it is, not allowed to swallow the rest of the list.
        assert_eq!(
            typed_addresses("\"Jo <jo@example.org>, al@example.org"),
            ["jo@example.org", "al@example.org"]
        );
        assert_eq!(
            split_mailbox("\"Mayor Ray\" <mayor@city.example>"),
            Some(("Mayor Ray", "mayor@city.example"))
        );
        assert_eq!(split_mailbox("Mayor Ray <mayor@city.example> and more"), None);
        assert_eq!(split_mailbox("mayor@city.example"), None);
    }

    #[test]
    fn email_plausibility() {
        for good in ["ana@example.org", "o'neil+shifts@mail.example.org", "josé@exämple.org"] {
            assert!(is_plausible_email(good), "{good} should be taken");
        }
        for bad in [
            "",
            "ana",
            "ana@",
            "@example.org",
            "ana@example",
            "a b@example.org",
            "ana@@x.org",
            "a..b@example.org",
            ".ana@example.org",
            "<ana>@example.org",
            "ana,bo@example.org",
            "ana@-example.org",
        ] {
            assert!(!is_plausible_email(bad), "{bad} should be refused");
        }
    }

    #[test]
    fn validation_reports_each_field() {
        let errors = validate_new_user("nope", " ", "short");
        let fields: Vec<_> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["email", "display_name", "password"]);
        assert!(validate_new_user("Ana@Example.org", "Ana", "correct horse battery").is_empty());
        assert_eq!(normalise_email("  Ana@Example.ORG "), "ana@example.org");
    }
}
