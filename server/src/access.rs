//! Authorisation for the plain axum routes (server functions use `app::auth::require_role`).

use app::auth::CurrentUser;
use app::state::AppState;
use app::users::Role;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};

/// The signed-in user when their role is one of `allowed`; else the 401/403 to answer with.
pub async fn require_roles(
    state: &AppState,
    headers: &HeaderMap,
    allowed: &[Role],
) -> Result<CurrentUser, Response> {
    match app::auth::user_from_headers(state, headers).await {
        Ok(Some(user)) if user.role.satisfies(allowed) => Ok(user),
        Ok(Some(_)) => Err((StatusCode::FORBIDDEN, "You do not have permission to do that.").into_response()),
        Ok(None) => Err((StatusCode::UNAUTHORIZED, "Please sign in.").into_response()),
        Err(_) => {
            Err((StatusCode::INTERNAL_SERVER_ERROR, "Something went wrong on our side.").into_response())
        }
    }
}
