//! Signing in and out, sessions, first-run setup, and the authorisation helper every
//! server function uses.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;
use crate::users::Role;

#[cfg(feature = "ssr")]
pub mod password;
#[cfg(feature = "ssr")]
pub mod service;
pub mod ui;

pub const SESSION_COOKIE: &str = "changemaker_session";

/// The signed-in user as the pages see them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CurrentUser {
    pub id: String,
    pub email: String,
    pub display_name: String,
    pub role: Role,
    /// The account's `profile_edits` (see `users::service::User`), for Your account's form.
    pub profile_edits: i64,
}

/// What saving Your account did: the account as stored, and the new email a confirmation
/// link was sent to when the email waits for it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SavedAccount {
    pub user: CurrentUser,
    pub confirm_sent_to: Option<String>,
}

#[cfg(feature = "ssr")]
mod server_side {
    use super::*;
    use crate::request;
    use crate::state::AppState;
    use crate::users::service::User;
    use service::AuthError;

    impl From<User> for CurrentUser {
        fn from(u: User) -> CurrentUser {
            CurrentUser {
                id: u.id,
                email: u.email,
                display_name: u.display_name,
                role: u.role,
                profile_edits: u.profile_edits,
            }
        }
    }

    /// Logs what the user must not see and answers with a generic error.
    pub fn internal(err: impl std::fmt::Display) -> AppError {
        tracing::error!(error = %err, "internal error");
        AppError::Internal
    }

    impl From<AuthError> for AppError {
        fn from(err: AuthError) -> AppError {
            match err {
                AuthError::WrongCredentials => AppError::invalid("password", "Email or password is wrong."),
                AuthError::Pending => {
                    AppError::invalid("email", "This account is waiting for an administrator's approval.")
                }
                AuthError::Disabled => AppError::invalid("email", "This account is disabled."),
                AuthError::Expired => AppError::invalid("email", "This temporary account has expired."),
                AuthError::RateLimited { retry_after_secs } => AppError::RateLimited { retry_after_secs },
                AuthError::SetupLinkInvalid => {
                    AppError::Conflict("This setup link is not valid or has already been used.".to_string())
                }
                AuthError::ResetLinkInvalid => AppError::NotFound(
                    "This link is not valid, was already used or has expired. Ask for a new one.".to_string(),
                ),
                AuthError::EmailLinkInvalid => AppError::NotFound(
                    "This link is not valid, was already used or has expired. Change your email again on Your account."
                        .to_string(),
                ),
                AuthError::Invalid(errors) => AppError::Invalid(errors),
                AuthError::ChangedMeanwhile => AppError::changed_meanwhile("your account", "Reload the page"),
                AuthError::Refused(why) => AppError::Conflict(why.to_string()),
                AuthError::User(e) => e.into(),
                AuthError::Database(e) => internal(e),
            }
        }
    }

    /// The user whose session cookie came with `headers`, if any.
    pub async fn user_from_headers(
        state: &AppState,
        headers: &axum::http::HeaderMap,
    ) -> Result<Option<CurrentUser>, AppError> {
        let Some(token) = request::cookie_in(headers, SESSION_COOKIE) else { return Ok(None) };
        let user = service::session_user(&state.db, &token).await.map_err(internal)?;
        Ok(user.map(CurrentUser::from))
    }

    /// The signed-in user of the current request, if any.
    pub async fn current_user() -> Result<Option<CurrentUser>, AppError> {
        let state = crate::state::app_state()?;
        let Some(parts) = request::parts() else { return Ok(None) };
        user_from_headers(&state, &parts.headers).await
    }

    /// The signed-in account as stored (not the `CurrentUser` a page sees) and its session
    /// token: what a change to one's own account starts from; 401 for nobody signed in.
    pub async fn signed_in_session(state: &AppState) -> Result<(User, String), AppError> {
        let token = request::cookie(SESSION_COOKIE).ok_or(AppError::Unauthenticated)?;
        let user = service::session_user(&state.db, &token).await.map_err(internal)?;
        Ok((user.ok_or(AppError::Unauthenticated)?, token))
    }

    /// The authorisation check at the top of every server function that needs a role:
    /// 401 for nobody signed in, 403 for a role not in `allowed` (a super admin passes all).
    pub async fn require_role(allowed: &[Role]) -> Result<CurrentUser, AppError> {
        let user = current_user().await?.ok_or(AppError::Unauthenticated)?;
        if user.role.satisfies(allowed) { Ok(user) } else { Err(AppError::Forbidden) }
    }

    /// The `Set-Cookie` value for a session token (or for clearing it, with `None`).
    pub fn session_cookie(token: Option<&str>, secure: bool) -> String {
        let secure = if secure { "; Secure" } else { "" };
        match token {
            Some(token) => format!(
                "{SESSION_COOKIE}={token}; Path=/; HttpOnly; SameSite=Lax; Max-Age={}{secure}",
                service::SESSION_SECONDS
            ),
            None => format!("{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0{secure}"),
        }
    }

    /// Where to go after signing in: `next` if it is a local path (so the login form cannot
    /// send people to another site) that the user may open; otherwise the admin dashboard for
    /// admins and the home page for everyone else.
    pub fn after_sign_in(role: Role, next: Option<&str>) -> &str {
        let next = next.filter(|path| {
            path.starts_with('/')
                && !path.starts_with("//")
                && path.chars().all(|c| c.is_ascii_graphic() && c != '\\')
        });
        if role.satisfies(Role::ADMIN_AREA) {
            next.unwrap_or("/admin")
        } else {
            next.filter(|path| !path.starts_with("/admin")).unwrap_or("/")
        }
    }
}

#[cfg(feature = "ssr")]
pub use server_side::{
    after_sign_in, current_user, internal, require_role, session_cookie, signed_in_session, user_from_headers,
};

#[server(prefix = "/api", endpoint = "auth/me")]
pub async fn get_current_user() -> Result<Option<CurrentUser>, AppError> {
    current_user().await
}

#[server(prefix = "/api", endpoint = "auth/login")]
pub async fn login(email: String, password: String, next: Option<String>) -> Result<(), AppError> {
    use crate::request;
    let state = crate::state::app_state()?;
    let previous = request::cookie(SESSION_COOKIE);
    let (user, token) = service::login(
        &state.db,
        &state.login_limits,
        &request::client_ip(),
        &email,
        &password,
        previous.as_deref(),
    )
    .await?;
    tracing::info!(user_id = %user.id, "signed in");
    request::set_cookie(&session_cookie(Some(&token), state.secure_cookies));
    leptos_axum::redirect(after_sign_in(user.role, next.as_deref()));
    Ok(())
}

/// The signed-in user's new password, given their current one; their other sessions end.
#[server(prefix = "/api", endpoint = "auth/change-password")]
pub async fn change_password(
    #[server(default)] current_password: String,
    #[server(default)] password: String,
    #[server(default)] password_again: String,
) -> Result<(), AppError> {
    let state = crate::state::app_state()?;
    let (user, token) = signed_in_session(&state).await?;
    let form = service::PasswordChange {
        current_password: &current_password,
        password: &password,
        password_again: &password_again,
    };
    service::change_password(&state.db, &state.login_limits, &user, &token, form).await?;
    tracing::info!(user_id = %user.id, "password changed");
    Ok(())
}

/// Signs the user out on every other device; the one in use stays signed in. Answers how many
/// sessions ended.
#[server(prefix = "/api", endpoint = "auth/sign-out-elsewhere")]
pub async fn sign_out_elsewhere() -> Result<u64, AppError> {
    let state = crate::state::app_state()?;
    let (user, token) = signed_in_session(&state).await?;
    let ended = service::end_other_sessions(&state.db, &user, &token).await.map_err(internal)?;
    tracing::info!(user_id = %user.id, ended, "signed out elsewhere");
    Ok(ended)
}

/// The signed-in user's own name and email; a new email needs their current password, and
/// waits for the link emailed to it when this instance can send email. `edits` is the
/// account's `profile_edits` when the form was opened (left out, not checked): a change of
/// name or email since refuses it, an admin's change of role does not. Answers with the
/// account as saved.
#[server(prefix = "/api", endpoint = "auth/update-account")]
pub async fn update_account(
    #[server(default)] display_name: String,
    #[server(default)] email: String,
    #[server(default)] current_password: String,
    #[server(default)] edits: Option<i64>,
) -> Result<SavedAccount, AppError> {
    let state = crate::state::app_state()?;
    let (user, _) = signed_in_session(&state).await?;
    let form = service::AccountChange {
        display_name: &display_name,
        email: &email,
        current_password: &current_password,
        edits,
    };
    let updated =
        service::update_account(&state.bus, &state.secret_key, &state.login_limits, &user, form).await?;
    tracing::info!(user_id = %user.id, confirm_by_link = updated.confirm_sent_to.is_some(), "account details changed");
    Ok(SavedAccount { user: CurrentUser::from(updated.user), confirm_sent_to: updated.confirm_sent_to })
}

/// The new email the signed-in user asked for that still waits for its emailed link, if any.
#[server(prefix = "/api", endpoint = "auth/pending-email")]
pub async fn pending_email() -> Result<Option<String>, AppError> {
    let state = crate::state::app_state()?;
    let (user, _) = signed_in_session(&state).await?;
    service::pending_email(&state.db, &user).await.map_err(internal)
}

/// Calls off the signed-in user's waiting new email (a typo, or a change of mind): they keep
/// signing in with the email they have. Answers whether one was waiting.
#[server(prefix = "/api", endpoint = "auth/cancel-email-change")]
pub async fn cancel_email_change() -> Result<bool, AppError> {
    let state = crate::state::app_state()?;
    let (user, _) = signed_in_session(&state).await?;
    let cancelled = service::cancel_email_change(&state.db, &user).await.map_err(internal)?;
    tracing::info!(user_id = %user.id, cancelled, "new email called off");
    crate::request::after_plain_form_post("/account");
    Ok(cancelled)
}

/// The new email the signed-in user's emailed confirmation link is for, while it works.
#[server(prefix = "/api", endpoint = "auth/email-link-status")]
pub async fn email_link_status(token: String) -> Result<Option<String>, AppError> {
    let state = crate::state::app_state()?;
    let (user, _) = signed_in_session(&state).await?;
    service::email_link_target(&state.db, &user, &token).await.map_err(internal)
}

/// Confirms a new email with the link sent to it, signed in as the account that asked for it:
/// the account signs in with it from now on. Answers with the new email.
#[server(prefix = "/api", endpoint = "auth/confirm-email")]
pub async fn confirm_email_change(token: String) -> Result<String, AppError> {
    let state = crate::state::app_state()?;
    let (user, _) = signed_in_session(&state).await?;
    let changed = service::confirm_email_change(&state.bus, &user, &token).await?;
    tracing::info!(user_id = %changed.id, "new email confirmed");
    crate::request::after_plain_form_post("/account");
    Ok(changed.email)
}

/// The signed-in user deletes their own account, given their password; the browser is signed
/// out and sent to the sign-in page, which says so.
#[server(prefix = "/api", endpoint = "auth/delete-account")]
pub async fn delete_own_account(#[server(default)] delete_password: String) -> Result<(), AppError> {
    let state = crate::state::app_state()?;
    let (user, _) = signed_in_session(&state).await?;
    service::delete_own_account(&state.bus, &state.login_limits, &user, &delete_password).await?;
    tracing::info!(user_id = %user.id, "account deleted by its owner");
    crate::request::set_cookie(&session_cookie(None, state.secure_cookies));
    leptos_axum::redirect("/login?deleted=1");
    Ok(())
}

#[server(prefix = "/api", endpoint = "auth/logout")]
pub async fn logout() -> Result<(), AppError> {
    use crate::request;
    let state = crate::state::app_state()?;
    if let Some(token) = request::cookie(SESSION_COOKIE) {
        service::logout(&state.db, &token).await.map_err(internal)?;
    }
    request::set_cookie(&session_cookie(None, state.secure_cookies));
    leptos_axum::redirect("/login");
    Ok(())
}

/// "Forgot your password?": emails a one-time link to choose a new one, when the email is an
/// account that may sign in; the same answer either way.
#[server(prefix = "/api", endpoint = "auth/forgot-password")]
pub async fn request_password_reset(email: String) -> Result<(), AppError> {
    let state = crate::state::app_state()?;
    let allowance = crate::rate_limit::Allowance {
        limiter: &state.login_limits.per_ip,
        client_ip: &crate::request::client_ip(),
    };
    // Not before this time, whatever the email: an account's link is written and queued, an
    // unknown email costs one read, and the difference must not tell who has an account.
    let answer_at = tokio::time::Instant::now() + service::EMAILED_LINK_ANSWER_TIME;
    let (db, key, per_address) = (&state.db, &state.secret_key, &state.link_email_limiter);
    service::request_password_reset(db, key, &allowance, per_address, &email).await?;
    tokio::time::sleep_until(answer_at).await;
    crate::request::after_plain_form_post("/forgot-password?sent=1");
    Ok(())
}

/// Whether an emailed link to choose a new password still works.
#[server(prefix = "/api", endpoint = "auth/reset-link-status")]
pub async fn reset_link_status(token: String) -> Result<bool, AppError> {
    let state = crate::state::app_state()?;
    service::reset_link_is_valid(&state.db, &token).await.map_err(internal)
}

/// Sets a new password with the emailed link; every session of the account ends.
#[server(prefix = "/api", endpoint = "auth/reset-password")]
pub async fn reset_password(token: String, password: String, password_again: String) -> Result<(), AppError> {
    let state = crate::state::app_state()?;
    service::reset_password(&state.db, &token, &password, &password_again).await?;
    tracing::info!("password reset with an emailed link");
    crate::request::after_plain_form_post("/login?reset=1");
    Ok(())
}

/// Whether a first-run setup link is still good.
#[server(prefix = "/api", endpoint = "auth/setup-status")]
pub async fn setup_status(token: String) -> Result<bool, AppError> {
    let state = crate::state::app_state()?;
    service::setup_token_is_valid(&state.db, &token).await.map_err(internal)
}

/// Creates the first super admin from the one-time setup link, and signs them in.
#[server(prefix = "/api", endpoint = "auth/setup")]
pub async fn complete_setup(
    token: String,
    organisation_name: String,
    display_name: String,
    email: String,
    password: String,
    password_confirm: String,
) -> Result<(), AppError> {
    use crate::request;
    let state = crate::state::app_state()?;
    let form = service::SetupForm {
        organisation_name: &organisation_name,
        display_name: &display_name,
        email: &email,
        password: &password,
        password_confirm: &password_confirm,
    };
    let user = service::complete_setup(&state.db, &token, form).await?;
    state.bus.wake();
    tracing::info!(user_id = %user.id, "first administrator created");
    let (_, session) = service::login(
        &state.db,
        &state.login_limits,
        &request::client_ip(),
        &email,
        &password,
        request::cookie(SESSION_COOKIE).as_deref(),
    )
    .await?;
    request::set_cookie(&session_cookie(Some(&session), state.secure_cookies));
    leptos_axum::redirect("/admin");
    Ok(())
}

#[cfg(all(test, feature = "ssr"))]
mod tests {
    use super::*;

    #[test]
    fn next_is_only_ever_a_local_path() {
        for role in [Role::Admin, Role::Volunteer] {
            assert_eq!(after_sign_in(role, Some("/shifts/abc")), "/shifts/abc");
            for bad in ["https://evil.example", "//evil.example", "/\\evil.example", "/é", "/a\nb", "admin"]
            {
                assert_eq!(after_sign_in(role, Some(bad)), after_sign_in(role, None), "{bad:?}");
            }
        }
    }

    #[test]
    fn admins_land_in_the_admin_area_and_volunteers_never_do() {
        assert_eq!(after_sign_in(Role::Admin, None), "/admin");
        assert_eq!(after_sign_in(Role::Admin, Some("/admin/shifts")), "/admin/shifts");
        assert_eq!(after_sign_in(Role::Volunteer, None), "/");
        assert_eq!(after_sign_in(Role::Volunteer, Some("/my/shifts")), "/my/shifts");
        assert_eq!(after_sign_in(Role::Volunteer, Some("/admin/shifts")), "/");
    }

    #[test]
    fn session_cookie_is_http_only_lax_and_secure_over_https() {
        let cookie = session_cookie(Some("tok"), true);
        assert!(cookie.starts_with("changemaker_session=tok;"));
        assert!(
            cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax") && cookie.contains("; Secure")
        );
        assert!(!session_cookie(Some("tok"), false).contains("Secure"));
        assert!(session_cookie(None, false).contains("Max-Age=0"));
    }
}
