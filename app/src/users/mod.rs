//! Accounts and roles (SPEC §2 "users", §5): the records every module relies on, the super
//! admin's account pages and public registration.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;

#[cfg(feature = "ssr")]
pub mod service;
pub mod ui;

/// The roles of SPEC §5. Stored and sent as SCREAMING_SNAKE_CASE.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Role {
    SuperAdmin,
    Admin,
    PaymentsAdmin,
    EventsAdmin,
    Volunteer,
    Temp,
}

impl Role {
    pub const ALL: [Role; 6] =
        [Role::SuperAdmin, Role::Admin, Role::PaymentsAdmin, Role::EventsAdmin, Role::Volunteer, Role::Temp];

    /// Roles that may enter the admin area at all.
    pub const ADMIN_AREA: &'static [Role] =
        &[Role::SuperAdmin, Role::Admin, Role::PaymentsAdmin, Role::EventsAdmin];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::SuperAdmin => "SUPER_ADMIN",
            Role::Admin => "ADMIN",
            Role::PaymentsAdmin => "PAYMENTS_ADMIN",
            Role::EventsAdmin => "EVENTS_ADMIN",
            Role::Volunteer => "VOLUNTEER",
            Role::Temp => "TEMP",
        }
    }

    pub fn parse(text: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == text)
    }

    /// How the role is shown to people.
    pub fn label(self) -> &'static str {
        match self {
            Role::SuperAdmin => "Super admin",
            Role::Admin => "Admin",
            Role::PaymentsAdmin => "Payments admin",
            Role::EventsAdmin => "Events admin",
            Role::Volunteer => "Volunteer",
            Role::Temp => "Temporary",
        }
    }

    /// Whether someone with this role may do what needs one of `allowed`.
    /// A super admin may do everything.
    pub fn satisfies(self, allowed: &[Role]) -> bool {
        self == Role::SuperAdmin || allowed.contains(&self)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum UserStatus {
    Active,
    /// Registered, waiting for an admin's approval.
    Pending,
    Disabled,
}

impl UserStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            UserStatus::Active => "ACTIVE",
            UserStatus::Pending => "PENDING",
            UserStatus::Disabled => "DISABLED",
        }
    }

    pub fn parse(text: &str) -> Option<UserStatus> {
        [UserStatus::Active, UserStatus::Pending, UserStatus::Disabled]
            .into_iter()
            .find(|s| s.as_str() == text)
    }
}

/// Who manages accounts.
pub const MANAGERS: &[Role] = &[Role::SuperAdmin];

/// An account as the admin list shows it (never a password hash).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UserRow {
    pub id: String,
    pub email: String,
    pub display_name: String,
    pub role: Role,
    pub status: UserStatus,
    /// `YYYY-MM-DD`, the last day (the organisation's) the account may sign in.
    pub expires: Option<String>,
    pub expired: bool,
    /// `YYYY-MM-DD`, the organisation's day.
    pub created: String,
    /// How many times its name, email, role or expiry changed: the edit form sends it back,
    /// so that a save over a newer change is refused.
    pub edits: i64,
}

/// An account an organiser made, and what became of its link to choose a password.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewAccount {
    #[serde(flatten)]
    pub user: UserRow,
    pub password_link: PasswordLinkSent,
}

/// Whether a new account's owner was sent a link to choose their password.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PasswordLinkSent {
    /// The organiser typed a password: no link.
    NotNeeded,
    Emailed,
    /// Email is not set up: the link waits in the queue and works for a week from now.
    WaitsForEmail,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct UserFilter {
    /// Part of the name or email.
    pub search: String,
    pub status: Option<UserStatus>,
    pub page: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UserPage {
    pub users: Vec<UserRow>,
    pub page: i64,
    pub has_more: bool,
    /// Registrations waiting for approval (within the filter).
    pub pending: i64,
}

/// A new account as an admin types it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct UserForm {
    pub display_name: String,
    pub email: String,
    /// Empty: the account's owner is emailed a link to choose their own.
    #[serde(default)]
    pub password: String,
    pub role: String,
    /// `YYYY-MM-DD` or empty; TEMP accounts need one.
    #[serde(default)]
    pub expires: String,
}

/// Changes to an account.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct UserEdit {
    pub display_name: String,
    pub email: String,
    pub role: String,
    #[serde(default)]
    pub expires: String,
    /// The account's `edits` when the form was opened; left out, the save is not checked.
    #[serde(default)]
    pub edits: Option<i64>,
}

/// The public registration form.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RegisterForm {
    pub display_name: String,
    pub email: String,
    pub password: String,
    pub password_again: String,
}

#[cfg(feature = "ssr")]
impl From<service::UserError> for AppError {
    fn from(err: service::UserError) -> AppError {
        use service::UserError;
        match err {
            UserError::Invalid(errors) => AppError::Invalid(errors),
            UserError::EmailTaken => AppError::invalid("email", "An account with this email already exists."),
            UserError::RateLimited(wait) => AppError::RateLimited { retry_after_secs: wait.as_secs().max(1) },
            UserError::Database(e) => crate::auth::internal(e),
            UserError::Hashing(e) => crate::auth::internal(e),
        }
    }
}

#[cfg(feature = "ssr")]
impl From<service::AdminUserError> for AppError {
    fn from(err: service::AdminUserError) -> AppError {
        use service::AdminUserError;
        match err {
            AdminUserError::User(e) => e.into(),
            AdminUserError::NotFound => AppError::NotFound("There is no such account.".into()),
            AdminUserError::ChangedMeanwhile => AppError::changed_meanwhile("this account", "Close the form"),
            AdminUserError::Refused(why) => AppError::Conflict(why.into()),
            AdminUserError::NotPending => {
                AppError::Conflict("This account is not waiting for approval.".into())
            }
        }
    }
}

/// Accounts, waiting registrations first, 50 a page.
#[server(prefix = "/api", endpoint = "users/list")]
pub async fn list_users(#[server(default)] filter: UserFilter) -> Result<UserPage, AppError> {
    crate::auth::require_role(MANAGERS).await?;
    let state = crate::state::app_state()?;
    service::list(&state.db, &filter).await.map_err(crate::auth::internal)
}

#[server(prefix = "/api", endpoint = "users/create")]
pub async fn create_account(form: UserForm) -> Result<NewAccount, AppError> {
    let me = crate::auth::require_role(MANAGERS).await?;
    let state = crate::state::app_state()?;
    let actor = crate::events::Actor::User(me.id);
    let (user, password_link) = service::admin_create(&state.bus, &state.secret_key, &actor, &form).await?;
    let user = service::new_account_row(&state.db, &user).await.map_err(crate::auth::internal)?;
    Ok(NewAccount { user, password_link })
}

#[server(prefix = "/api", endpoint = "users/update")]
pub async fn update_account(id: String, form: UserEdit) -> Result<(), AppError> {
    let me = crate::auth::require_role(MANAGERS).await?;
    let state = crate::state::app_state()?;
    let actor = crate::events::Actor::User(me.id.clone());
    service::admin_update(&state.bus, &actor, &me.id, &id, &form).await?;
    Ok(())
}

/// Deactivates (`active` false) or reactivates an account.
#[server(prefix = "/api", endpoint = "users/set-active")]
pub async fn set_account_active(id: String, active: bool) -> Result<(), AppError> {
    let me = crate::auth::require_role(MANAGERS).await?;
    let state = crate::state::app_state()?;
    let actor = crate::events::Actor::User(me.id.clone());
    service::admin_set_active(&state.bus, &actor, &me.id, &id, active).await?;
    Ok(())
}

/// Emails the account a one-time link to choose a new password; answers with the address.
#[server(prefix = "/api", endpoint = "users/send-password-link")]
pub async fn send_password_link(id: String) -> Result<String, AppError> {
    let me = crate::auth::require_role(MANAGERS).await?;
    let state = crate::state::app_state()?;
    let actor = crate::events::Actor::User(me.id);
    let user = service::admin_send_password_link(&state.bus, &state.secret_key, &actor, &id).await?;
    Ok(user.email)
}

#[server(prefix = "/api", endpoint = "users/approve")]
pub async fn approve_account(id: String) -> Result<(), AppError> {
    let me = crate::auth::require_role(MANAGERS).await?;
    let state = crate::state::app_state()?;
    service::approve(&state.bus, &crate::events::Actor::User(me.id), &id).await?;
    Ok(())
}

#[server(prefix = "/api", endpoint = "users/delete")]
pub async fn delete_account(id: String) -> Result<(), AppError> {
    let me = crate::auth::require_role(MANAGERS).await?;
    let state = crate::state::app_state()?;
    let actor = crate::events::Actor::User(me.id.clone());
    service::admin_delete(&state.bus, &actor, &me.id, &id).await?;
    Ok(())
}

/// Public registration, limited per client IP like signing in. The account can sign in once
/// an admin approves it.
#[server(prefix = "/api", endpoint = "users/register")]
pub async fn register(form: RegisterForm) -> Result<(), AppError> {
    let state = crate::state::app_state()?;
    let allowance = crate::rate_limit::Allowance {
        limiter: &state.login_limits.per_ip,
        client_ip: &crate::request::client_ip(),
    };
    service::register(&state.bus, &allowance, &form).await?;
    crate::request::after_plain_form_post("/register?requested=1");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_round_trip_through_their_stored_names() {
        for role in Role::ALL {
            assert_eq!(Role::parse(role.as_str()), Some(role));
            let json = serde_json::to_string(&role).unwrap();
            assert_eq!(json, format!("\"{}\"", role.as_str()));
        }
        assert_eq!(Role::parse("ROOT"), None);
    }

    #[test]
    fn super_admin_satisfies_every_requirement_and_others_only_their_own() {
        assert!(Role::SuperAdmin.satisfies(&[Role::PaymentsAdmin]));
        assert!(Role::Admin.satisfies(Role::ADMIN_AREA));
        assert!(!Role::Volunteer.satisfies(Role::ADMIN_AREA));
        assert!(!Role::Admin.satisfies(&[Role::SuperAdmin]));
    }
}
