//! The error type every server function returns, shared by server and browser.
//!
//! Domain services have their own `thiserror` enums; server functions map them into
//! `AppError`, which the UI shows (per field where there is a field) and which the server
//! turns into the HTTP status (see `AppError::status`).

use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use serde::{Deserialize, Serialize};

/// One message about one form field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    /// The errors of a form with one thing wrong: `message` about `field`.
    pub fn only(field: &str, message: impl Into<String>) -> Vec<FieldError> {
        vec![FieldError { field: field.to_string(), message: message.into() }]
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum AppError {
    #[error("Please sign in to continue.")]
    Unauthenticated,
    #[error("You do not have permission to do that.")]
    Forbidden,
    #[error("{0}")]
    NotFound(String),
    #[error("{}", join_messages(.0))]
    Invalid(Vec<FieldError>),
    #[error("{0}")]
    Conflict(String),
    #[error("Too many attempts. Try again in {}.", wait_text(*.retry_after_secs))]
    RateLimited { retry_after_secs: u64 },
    #[error("Something went wrong on our side. Please try again.")]
    Internal,
    /// A service this needs is switched off or not answering (payments disabled, Stripe down).
    #[error("{0}")]
    Unavailable(String),
    /// The request itself was malformed (bad arguments, wrong encoding).
    #[error("The request was not understood: {0}")]
    BadRequest(String),
}

/// "45 seconds", "1 minute", "60 minutes": how long to wait, in words.
fn wait_text(secs: u64) -> String {
    match secs {
        0..=1 => "1 second".to_string(),
        2..=119 => format!("{secs} seconds"),
        _ => format!("{} minutes", secs.div_ceil(60)),
    }
}

fn join_messages(errors: &[FieldError]) -> String {
    errors.iter().map(|e| e.message.as_str()).collect::<Vec<_>>().join(" ")
}

impl AppError {
    /// An edit saved on `what` ("this shift") as it was before someone else saved it: refused,
    /// with how to see their changes (`to_see_theirs`).
    pub fn changed_meanwhile(what: &str, to_see_theirs: &str) -> AppError {
        AppError::Conflict(format!(
            "Someone else saved changes to {what} while you were editing it, so yours were not saved. \
             {to_see_theirs} to see theirs, then make yours again."
        ))
    }

    /// A settings form's save refused because someone else saved the same settings after the
    /// form was opened (see `settings::count_save`); `what` names them, in the plural.
    pub fn settings_changed_meanwhile(what: &str) -> AppError {
        AppError::Conflict(format!(
            "Someone else saved {what} while you were editing them, so yours were not saved. \
             Reload the page to see theirs, then make yours again."
        ))
    }

    /// A single field-level validation error.
    pub fn invalid(field: &str, message: impl Into<String>) -> AppError {
        AppError::Invalid(FieldError::only(field, message))
    }

    /// The message for one field, if this error names it.
    pub fn field_message(&self, field: &str) -> Option<String> {
        match self {
            AppError::Invalid(errors) => {
                // Forms send a struct argument as `form[name]`; its errors name the field alone.
                let inner = field.strip_prefix("form[").and_then(|f| f.strip_suffix(']')).unwrap_or(field);
                errors.iter().find(|e| e.field == field || e.field == inner).map(|e| e.message.clone())
            }
            _ => None,
        }
    }

    /// The HTTP status this error is answered with.
    pub fn status(&self) -> u16 {
        match self {
            AppError::Unauthenticated => 401,
            AppError::Forbidden => 403,
            AppError::NotFound(_) => 404,
            AppError::Invalid(_) => 422,
            AppError::Conflict(_) => 409,
            AppError::RateLimited { .. } => 429,
            AppError::Internal => 500,
            AppError::Unavailable(_) => 503,
            AppError::BadRequest(_) => 400,
        }
    }
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        match value {
            ServerFnErrorErr::Args(m)
            | ServerFnErrorErr::MissingArg(m)
            | ServerFnErrorErr::Deserialization(m)
            | ServerFnErrorErr::UnsupportedRequestMethod(m) => AppError::BadRequest(m),
            // Transport failures seen in the browser (network down, server unreachable).
            ServerFnErrorErr::Request(_) | ServerFnErrorErr::Response(_) => AppError::Internal,
            _ => AppError::Internal,
        }
    }
}

/// Validation accumulator: collect every field's problem, then fail once.
#[derive(Debug, Default)]
pub struct Validation(Vec<FieldError>);

/// Text someone typed that fits: at most `max` characters, and no control characters other
/// than line breaks and tabs.
pub fn is_plain_text(text: &str, max: usize) -> bool {
    text.chars().count() <= max
        && !text.chars().any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t')
}

/// Whether `url` is a web address of at most `max` bytes, with one of `schemes`, a host, and
/// no user name or password in it. Spaces and control characters are refused rather than
/// dropped, as the URL parser would drop them.
#[cfg(feature = "ssr")]
pub fn is_web_address(url: &str, max: usize, schemes: &[&str]) -> bool {
    let Ok(parsed) = reqwest::Url::parse(url) else { return false };
    url.len() <= max
        && !url.chars().any(|c| c.is_whitespace() || c.is_control())
        && schemes.contains(&parsed.scheme())
        && parsed.host_str().is_some_and(|h| !h.is_empty())
        && parsed.username().is_empty()
        && parsed.password().is_none()
}

/// A list's search box as every list checks it: at most 200 characters.
pub fn check_search(v: &mut Validation, field: &str, search: &str) {
    v.check(search.chars().count() <= 200, field, "Search for at most 200 characters.");
}

/// Checks an admin list's filter by title and status: a search of at most 200 characters,
/// and a status `parse` knows (`None` when left empty).
pub fn title_and_status_filter<S>(
    search: &str,
    status: &str,
    parse: fn(&str) -> Option<S>,
) -> Result<Option<S>, Vec<FieldError>> {
    let mut v = Validation::new();
    let status = status.trim();
    let status = (!status.is_empty()).then(|| parse(status));
    v.check(!matches!(status, Some(None)), "status", "Choose a status from the list.");
    check_search(&mut v, "search", search);
    v.finish()?;
    Ok(status.flatten())
}

/// Plain text on one line: at most `max` characters, no control characters but tabs.
pub fn is_one_line(text: &str, max: usize) -> bool {
    is_plain_text(text, max) && !text.contains(['\n', '\r'])
}

impl Validation {
    pub fn new() -> Validation {
        Validation::default()
    }

    pub fn check(&mut self, ok: bool, field: &str, message: &str) -> &mut Validation {
        if !ok {
            self.add(field, message);
        }
        self
    }

    pub fn add(&mut self, field: &str, message: &str) {
        if !self.0.iter().any(|e| e.field == field) {
            self.0.push(FieldError { field: field.to_string(), message: message.to_string() });
        }
    }

    /// `Ok` when every check passed, else every field's message.
    pub fn finish(self) -> Result<(), Vec<FieldError>> {
        if self.0.is_empty() { Ok(()) } else { Err(self.0) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_field_error_reaches_the_input_named_after_it_inside_a_form_argument() {
        let error = AppError::invalid("email", "Enter a valid email address.");
        assert_eq!(error.field_message("email").as_deref(), Some("Enter a valid email address."));
        assert_eq!(error.field_message("form[email]").as_deref(), Some("Enter a valid email address."));
        assert_eq!(error.field_message("form[name]"), None);
        assert_eq!(AppError::Forbidden.field_message("email"), None);
    }

    #[test]
    fn one_line_text_has_no_line_breaks_or_other_control_characters() {
        assert!(is_one_line("Volunteers\t2027", 20));
        assert!(!is_one_line("two\nlines", 20) && !is_one_line("a\rb", 20) && !is_one_line("bell\u{7}", 20));
        assert!(is_one_line("é".repeat(5).as_str(), 5) && !is_one_line("é".repeat(6).as_str(), 5));
    }
}
