//! How the integrations talk to outside services (ssr only): one HTTP client, one rule for
//! turning an answer into a delivery's outcome, and how a job adding things to a service
//! reports.

use std::time::Duration;

/// The HTTP client the integrations send with. A redirect is answered as a failure rather
/// than followed (a POST would turn into a GET). Events go out one after another, so a
/// receiver that hangs must not hold up the rest for long.
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(10))
        .user_agent(concat!("Changemaker/", env!("CARGO_PKG_VERSION")))
        .build()
        .unwrap_or_default()
}

/// A request's answer, or the error to retry with when there was none. The error, kept with
/// a failed delivery and shown to admins, never names the address (it may carry the
/// receiver's token).
pub fn answer(
    sent: Result<reqwest::Response, reqwest::Error>,
    service: &str,
) -> Result<reqwest::Response, String> {
    sent.map_err(|e| format!("{service} could not be reached: {}", e.without_url()))
}

/// A 2xx answer, or the error to retry with.
pub fn success(response: reqwest::Response, service: &str) -> Result<reqwest::Response, String> {
    let status = response.status();
    if status.is_success() { Ok(response) } else { Err(format!("{service} answered {status}")) }
}

/// A request's outcome as a delivery's: 2xx is delivered, anything else an error to retry.
pub fn outcome(sent: Result<reqwest::Response, reqwest::Error>, service: &str) -> Result<(), String> {
    success(answer(sent, service)?, service).map(|_| ())
}

/// The result of a job that adds things to a service one by one and stops at the first
/// failure (the service is then most likely down): how many it added (`noun`: singular and
/// plural) and, if it stopped, why.
pub fn adding_result(
    added: i64,
    noun: (&str, &str),
    service: &str,
    stopped: Option<String>,
) -> crate::jobs::JobResult {
    let what = if added == 1 { format!("1 {}", noun.0) } else { format!("{added} {}", noun.1) };
    let summary = match &stopped {
        None => format!("Added {what} to {service}."),
        Some(e) => format!(
            "Added {what} to {service}, then stopped: {e}. Try again once it answers; what was added stays."
        ),
    };
    crate::jobs::JobResult {
        summary,
        counts: vec![("added".into(), added), ("failed".into(), i64::from(stopped.is_some()))],
        problems: Vec::new(),
    }
}
