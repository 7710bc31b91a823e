//! How the platform reaches customers: an SMTP server for e-mail and an HTTP gateway for SMS
//! and MMS. Both are optional: without them messages are written to `DATA/outbox/`.

use serde::Deserialize;
use std::fmt;

/// The delivery part of the configuration.
#[derive(Clone, Default, Deserialize)]
pub struct DeliverySettings {
    /// The address customers reach the portal at (`https://receipts.example.com`), used in
    /// links; by default `http://` and the listen address. Cookies are `Secure` when it is
    /// `https://`.
    pub public_url: Option<String>,
    /// The SMTP server; e-mails go to the outbox without one.
    pub smtp: Option<SmtpSettings>,
    /// The SMS/MMS gateway; texts go to the outbox without one.
    pub sms: Option<SmsSettings>,
}

impl fmt::Debug for DeliverySettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DeliverySettings")
            .field("public_url", &self.public_url)
            .field("smtp", &self.smtp.as_ref().map(|_| "configured"))
            .field("sms", &self.sms.as_ref().map(|_| "configured"))
            .finish()
    }
}

/// An SMTP server, as lettre's URL: `smtp://USER:PASSWORD@HOST:587?tls=required` (STARTTLS,
/// refused without it), `smtp://HOST:25` (opportunistic), `smtps://…` (TLS from the start).
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SmtpSettings {
    /// The server URL (may hold the credentials: never logged).
    pub url: String,
    /// The sender, `Receipts <receipts@example.com>`.
    pub from: String,
}

impl fmt::Debug for SmtpSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SmtpSettings(redacted)")
    }
}

/// The body format of an SMS/MMS gateway.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum SmsPreset {
    /// Twilio's Messages API and the many gateways that copy it: a form with `To`, `From`,
    /// `Body` and, for MMS, `MediaUrl`, with HTTP basic authentication.
    #[default]
    Twilio,
    /// A JSON body made from [`SmsSettings::template`].
    Json,
}

/// An HTTP SMS/MMS gateway.
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SmsSettings {
    /// The body format.
    #[serde(default)]
    pub preset: SmsPreset,
    /// The URL messages are POSTed to.
    pub endpoint: String,
    /// The sender number or name.
    pub from: String,
    /// Basic-authentication user (Twilio: the account SID).
    pub username: Option<String>,
    /// Basic-authentication password (Twilio: the auth token).
    pub password: Option<String>,
    /// A bearer token, for gateways that use one instead.
    pub bearer_token: Option<String>,
    /// For the JSON preset: the body, where `{to}`, `{from}`, `{body}` and `{media_url}` are
    /// replaced by JSON string literals (`null` for a missing media URL). By default
    /// `{"to": {to}, "from": {from}, "body": {body}, "media_url": {media_url}}`.
    pub template: Option<String>,
}

impl fmt::Debug for SmsSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SmsSettings")
            .field("preset", &self.preset)
            .finish_non_exhaustive()
    }
}
