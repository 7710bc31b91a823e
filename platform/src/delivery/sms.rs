//! SMS and MMS through an HTTP gateway: a Twilio-compatible form or a JSON body from a
//! template. A text goes to the outbox as `.json` when no gateway is configured.

use super::SendError;
use super::settings::{SmsPreset, SmsSettings};
use crate::error::PlatformError;
use serde::Serialize;
use std::time::Duration;

/// The default body of the JSON preset.
const DEFAULT_TEMPLATE: &str =
    r#"{"to": {to}, "from": {from}, "body": {body}, "media_url": {media_url}}"#;

/// A text message: an SMS, or an MMS when it carries a media URL.
#[derive(Clone, Serialize)]
pub(crate) struct Text {
    pub(crate) to: String,
    pub(crate) body: String,
    pub(crate) media_url: Option<String>,
}

/// A configured gateway.
pub(crate) struct Gateway {
    settings: SmsSettings,
    client: reqwest::Client,
}

impl std::fmt::Debug for Gateway {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Gateway(redacted)")
    }
}

impl Gateway {
    /// A gateway client with 30-second timeouts.
    pub(crate) fn new(settings: &SmsSettings) -> Result<Self, PlatformError> {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .build()
            .map_err(|_| PlatformError::config("the SMS gateway client cannot be made"))?;
        Ok(Gateway {
            settings: settings.clone(),
            client,
        })
    }

    /// Sends a text: 2xx is sent, 429 and 5xx are retried, any other answer is final.
    pub(crate) async fn send(&self, text: &Text) -> Result<(), SendError> {
        let s = &self.settings;
        let mut request = self.client.post(&s.endpoint);
        request = match s.preset {
            SmsPreset::Twilio => {
                let mut form = vec![("To", text.to.as_str()), ("From", s.from.as_str())];
                form.push(("Body", text.body.as_str()));
                if let Some(url) = &text.media_url {
                    form.push(("MediaUrl", url.as_str()));
                }
                request.form(&form)
            }
            SmsPreset::Json => request
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body(self.json_body(text)),
        };
        if let Some(user) = &s.username {
            request = request.basic_auth(user, s.password.as_deref());
        }
        if let Some(token) = &s.bearer_token {
            request = request.bearer_auth(token);
        }
        let response = request
            .send()
            .await
            .map_err(|_| SendError::Retry("the SMS gateway could not be reached".to_owned()))?;
        let status = response.status();
        if status.is_success() {
            Ok(())
        } else if status.is_server_error() || status == reqwest::StatusCode::TOO_MANY_REQUESTS {
            Err(SendError::Retry(format!(
                "the SMS gateway answered HTTP {}",
                status.as_u16()
            )))
        } else {
            Err(SendError::Permanent(format!(
                "the SMS gateway refused the message (HTTP {})",
                status.as_u16()
            )))
        }
    }

    fn json_body(&self, text: &Text) -> String {
        let literal = |v: &str| serde_json::Value::from(v).to_string();
        let media = text
            .media_url
            .as_deref()
            .map_or_else(|| "null".to_owned(), literal);
        self.settings
            .template
            .as_deref()
            .unwrap_or(DEFAULT_TEMPLATE)
            .replace("{to}", &literal(&text.to))
            .replace("{from}", &literal(&self.settings.from))
            .replace("{body}", &literal(&text.body))
            .replace("{media_url}", &media)
    }
}
