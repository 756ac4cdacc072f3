//! User records: creation with validation, lookup. Plain async functions over the pool or a
//! transaction.

use sqlx::Row;

use super::{Role, UserStatus};
use crate::auth::password;
use crate::db::{self, Db, Tx};
use crate::error::{FieldError, Validation};

#[derive(Debug, thiserror::Error)]
pub enum UserError {
    #[error("invalid user details")]
    Invalid(Vec<FieldError>),
    #[error("an account with this email already exists")]
    EmailTaken,
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

/// A deliberately simple check: one `@`, something before it, a dot in the domain, no spaces.
pub fn is_plausible_email(email: &str) -> bool {
    let Some((local, domain)) = email.split_once('@') else { return false };
    !local.is_empty()
        && !domain.contains('@')
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !email.chars().any(|c| c.is_whitespace() || c.is_control())
        && email.chars().count() <= EMAIL_MAX_CHARS
}

/// Checks a new account's fields; every problem is reported against its field.
pub fn validate_new_user(email: &str, display_name: &str, password: &str) -> Vec<FieldError> {
    let mut v = Validation::new();
    let email = normalise_email(email);
    v.check(!email.is_empty(), "email", "Enter an email address.");
    v.check(is_plausible_email(&email), "email", "Enter a valid email address, like name@example.org.");
    let name = display_name.trim();
    v.check(!name.is_empty(), "display_name", "Enter a name.");
    v.check(name.chars().count() <= NAME_MAX_CHARS, "display_name", "Names can be at most 100 characters.");
    v.check(!name.chars().any(char::is_control), "display_name", "Names cannot contain control characters.");
    let length = password.chars().count();
    v.check(length >= PASSWORD_MIN_CHARS, "password", "Passwords need at least 12 characters.");
    v.check(length <= PASSWORD_MAX_CHARS, "password", "Passwords can be at most 256 characters.");
    v.finish().err().unwrap_or_default()
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

const USER_COLUMNS: &str = "id, email, display_name, role, status, expires_at";

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

pub async fn count_by_role(db: &Db, role: Role) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("SELECT COUNT(*) FROM users WHERE role = $1")
        .bind(role.as_str())
        .fetch_one(db.pool())
        .await
}

pub async fn count_all(db: &Db) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("SELECT COUNT(*) FROM users").fetch_one(db.pool()).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn email_plausibility() {
        assert!(is_plausible_email("ana@example.org"));
        for bad in ["", "ana", "ana@", "@example.org", "ana@example", "a b@example.org", "ana@@x.org"] {
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
