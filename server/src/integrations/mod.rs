//! The listeners that talk to outside services (SPEC §3), set up under Integrations
//! (`app::integrations`). Each reads its settings at every delivery, so a change applies to
//! the next event without a restart.

pub mod automation;
pub mod team_chat;

use std::time::Duration;

/// The HTTP client the integrations post with. A redirect is answered as a failure rather
/// than followed (a POST would turn into a GET). Events go out one after another, so a
/// receiver that hangs must not hold up the rest for long.
fn http_client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(10))
        .user_agent(concat!("Changemaker/", env!("CARGO_PKG_VERSION")))
        .build()
        .unwrap_or_default()
}

/// A POST's outcome as a delivery's: 2xx is delivered, anything else an error to retry. The
/// error, kept with a failed delivery and shown to admins, never names the address (it may
/// carry the receiver's token).
async fn outcome(sent: Result<reqwest::Response, reqwest::Error>, service: &str) -> Result<(), String> {
    let response = sent.map_err(|e| format!("{service} could not be reached: {}", e.without_url()))?;
    let status = response.status();
    if status.is_success() { Ok(()) } else { Err(format!("{service} answered {status}")) }
}
