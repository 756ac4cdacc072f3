//! Sending one text through Twilio's Messages API (ssr only).

use serde::Deserialize;

use crate::integrations::http;
use crate::integrations::service::TwilioTarget;
use crate::secrets::{ExposeSecret, SecretString};

/// Twilio's answer to a send: the message's id.
#[derive(Deserialize)]
struct Accepted {
    sid: String,
}

/// Twilio's answer to a refused send.
#[derive(Deserialize)]
struct Refused {
    #[serde(default)]
    code: Option<i64>,
    #[serde(default)]
    message: String,
}

/// Sends `body` to `to` (an international number); answers with Twilio's id for the message,
/// or why it was not sent (never with the token).
pub async fn send(target: &TwilioTarget, to: &str, body: &str) -> Result<String, String> {
    let url = format!("{}/2010-04-01/Accounts/{}/Messages.json", target.api_base, target.account_sid);
    let sent = http::client()
        .post(url)
        .basic_auth(&target.account_sid, Some(target.auth_token.expose_secret()))
        .form(&[
            ("To", to),
            ("From", target.from_number.as_str()),
            ("Body", body),
            ("StatusCallback", target.status_callback.as_str()),
        ])
        .send()
        .await;
    let response = http::answer(sent, "Twilio")?;
    let status = response.status();
    if status.is_success() {
        let accepted: Accepted =
            response.json().await.map_err(|_| "Twilio's answer was not one this server reads".to_string())?;
        return Ok(accepted.sid);
    }
    match response.json::<Refused>().await {
        Ok(Refused { code: Some(code), message }) => {
            Err(format!("Twilio refused it: {message} (error {code})"))
        }
        _ => Err(format!("Twilio answered {status}")),
    }
}

/// Fetches a file sent with a text from `url`, which must be under Twilio's API address
/// (`api_base`): the account's credentials go there and nowhere else. Twilio answers with a
/// redirect to where it keeps the file, which is followed without them.
pub async fn fetch_media(
    api_base: &str,
    account_sid: &str,
    auth_token: &SecretString,
    url: &str,
) -> Result<reqwest::Response, String> {
    if !url.starts_with(&format!("{api_base}/")) {
        return Err("The file's address is not Twilio's.".to_string());
    }
    let asked =
        http::client().get(url).basic_auth(account_sid, Some(auth_token.expose_secret())).send().await;
    let first = http::answer(asked, "Twilio")?;
    let response = if first.status().is_redirection() {
        let location = first.headers().get(reqwest::header::LOCATION).and_then(|l| l.to_str().ok());
        let target = location
            .and_then(|l| first.url().join(l).ok())
            .ok_or_else(|| "Twilio's redirect has no address".to_string())?;
        http::answer(http::client().get(target).send().await, "Twilio")?
    } else {
        first
    };
    http::success(response, "Twilio")
}
