//! Sending one text through Twilio's Messages API (ssr only).

use serde::Deserialize;

use crate::integrations::http;
use crate::integrations::service::TwilioTarget;
use crate::secrets::ExposeSecret;

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
