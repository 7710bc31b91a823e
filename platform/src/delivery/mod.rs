//! Delivery to customers (Source A \[0039\], \[0046\]–\[0049\]): the choice the customer made at the
//! till (SMS, MMS, e-mail, or pull through the portal) becomes a delivery job when the receipt
//! is stored, and a worker sends it.
//!
//! ```text
//! ingest ─▶ writer: receipt row + deliveries row (address AES-GCM sealed, phone HMAC)
//!                         │
//!   worker ◀── claim ─────┘ ─▶ e-mail (SMTP, lettre) │ SMS/MMS (HTTP gateway) │ DATA/outbox/
//!                             status: queued → sent │ failed (reason)  — merchant API
//! ```
//!
//! - **Jobs.** One `deliveries` row per receipt, written in the transaction that stores the
//!   receipt (no receipt without its delivery), claimed with a lease by any instance's worker
//!   (`FOR UPDATE SKIP LOCKED` on PostgreSQL), retried with exponential backoff (30 s doubling
//!   to an hour) and given up after [`MAX_ATTEMPTS`] or on a final refusal, with the reason.
//!   Two workers never hold one job; a worker that dies after handing a message over but
//!   before recording it leaves the job to be claimed again after the lease, so a message may
//!   in that case arrive twice (at least once, never silently lost).
//! - **Privacy.** The address is stored only encrypted under the delivery key
//!   (`DATA/keys/delivery.key`); phone numbers also as a keyed hash for the portal. The
//!   merchant sees the channel and status, never the address. Logs name receipts, never
//!   addresses or codes; failure reasons are the platform's own words, never a server's reply
//!   (which may quote the address).
//! - **Links.** Texts and e-mails carry a short link to the receipt in the portal
//!   (`/r/<token>`, 14 days); an MMS carries a one-day link to the PNG (`/m/<token>`) for the
//!   gateway to fetch. Tokens are 128 random bits, stored as SHA-256.
//! - **Pull.** The text tells the customer the receipt is stored and gives a fresh one-time
//!   code for the portal (the platform issues the credentials, \[0049\]).
//! - **Outbox.** With no SMTP server or gateway configured, messages are written to
//!   `DATA/outbox/` (`.eml`, `.json`).

mod email;
mod keys;
mod outbox;
pub(crate) mod queue;
pub mod settings;
mod sms;

pub(crate) use keys::DeliveryKeys;
pub(crate) use sms::Text;

use crate::config::Config;
use crate::db::{self, receipts::ReceiptRow};
use crate::error::PlatformError;
use crate::secret::{random_bytes, sha256_hex};
use crate::state::AppState;
use crate::web::i18n::{Lang, Texts};
use askama::Template;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ereceipt_core::Transaction;
use ereceipt_core::money::{Currency, Money};
use ereceipt_core::seal::Delivery;
use queue::{Claimed, NewDelivery, status};
use settings::DeliverySettings;
use std::path::PathBuf;
use std::sync::OnceLock;
use std::time::Duration;
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// Attempts before a delivery is given up.
pub const MAX_ATTEMPTS: i64 = 8;
/// How long the link in a text or e-mail leads to the receipt.
pub(crate) const VIEW_LINK_SECONDS: i64 = 14 * 24 * 3600;
/// How long an MMS gateway may fetch the image.
pub(crate) const MEDIA_LINK_SECONDS: i64 = 24 * 3600;
/// How often an idle delivery worker looks for work.
const POLL: Duration = Duration::from_millis(500);

/// Why a message was not handed over.
#[derive(Debug)]
pub(crate) enum SendError {
    /// Worth another attempt later (network, 5xx, 429, a deferral).
    Retry(String),
    /// Final (an invalid address, a 4xx refusal).
    Permanent(String),
}

/// How this instance reaches customers: keys, the configured servers, the outbox.
#[derive(Debug)]
pub(crate) struct Courier {
    keys: DeliveryKeys,
    outbox: PathBuf,
    smtp: Option<email::Smtp>,
    gateway: Option<sms::Gateway>,
    public_url: Option<String>,
    /// `http://` and the bound address, when no public URL is configured.
    bound_url: OnceLock<String>,
}

impl Courier {
    /// Loads the delivery key (creating it on first start) and sets up the channels.
    pub(crate) fn open(config: &Config) -> Result<Self, PlatformError> {
        let settings: &DeliverySettings = &config.delivery;
        let courier = Courier {
            keys: DeliveryKeys::load_or_create(&config.data)?,
            outbox: config.data.join("outbox"),
            smtp: settings.smtp.as_ref().map(email::Smtp::new).transpose()?,
            gateway: settings.sms.as_ref().map(sms::Gateway::new).transpose()?,
            public_url: settings
                .public_url
                .as_ref()
                .map(|u| u.trim_end_matches('/').to_owned()),
            bound_url: OnceLock::new(),
        };
        if config.listen.port() != 0 {
            let _ = courier.bound_url.set(format!("http://{}", config.listen));
        }
        Ok(courier)
    }

    /// The keys protecting addresses, codes and forms.
    pub(crate) fn keys(&self) -> &DeliveryKeys {
        &self.keys
    }

    /// Records the address the server listens on, for links when no public URL is set.
    pub(crate) fn bound(&self, address: std::net::SocketAddr) {
        let _ = self.bound_url.set(format!("http://{address}"));
    }

    /// The portal's base URL, without a trailing slash.
    pub(crate) fn base_url(&self) -> &str {
        self.public_url
            .as_deref()
            .or(self.bound_url.get().map(String::as_str))
            .unwrap_or("http://127.0.0.1:8480")
    }

    /// Whether the portal is served over TLS (cookies are then `Secure`).
    pub(crate) fn secure(&self) -> bool {
        self.base_url().starts_with("https://")
    }

    /// The `deliveries` row for a receipt's delivery choice: the address sealed, the phone
    /// number hashed.
    pub(crate) fn queue_entry(
        &self,
        receipt_id: &str,
        choice: Option<&Delivery>,
    ) -> Result<Option<NewDelivery>, PlatformError> {
        let Some(choice) = choice else {
            return Ok(None);
        };
        let (channel, phone) = match choice {
            Delivery::Sms(_) => ("sms", true),
            Delivery::Mms(_) => ("mms", true),
            Delivery::Email(_) => ("email", false),
            Delivery::Pull(_) => ("pull", true),
            _ => return Ok(None),
        };
        Ok(Some(NewDelivery {
            channel,
            address_sealed: self.keys.seal_address(receipt_id, choice.address())?,
            phone_hash: phone.then(|| self.keys.phone_hash(choice.address())),
        }))
    }

    /// Sends a text through the gateway, or writes it to the outbox.
    pub(crate) async fn send_text(&self, name: &str, text: &sms::Text) -> Result<(), SendError> {
        match &self.gateway {
            Some(gateway) => gateway.send(text).await,
            None => {
                let json = serde_json::to_vec_pretty(text).map_err(|_| {
                    SendError::Permanent("the text could not be encoded".to_owned())
                })?;
                outbox::write(&self.outbox, name, "json", &json).map(|_| ())
            }
        }
    }

    async fn send_email(&self, name: &str, message: email::Email) -> Result<(), SendError> {
        match &self.smtp {
            Some(smtp) => smtp.send(email::build(message, smtp.from())?).await,
            None => {
                let from = "ereceipt <receipts@localhost>"
                    .parse()
                    .expect("the outbox sender is a valid mailbox");
                let formatted = email::build(message, &from)?.formatted();
                outbox::write(&self.outbox, name, "eml", &formatted).map(|_| ())
            }
        }
    }
}

/// A stored receipt as pages and messages show it.
#[derive(Clone, Debug)]
pub(crate) struct ReceiptView {
    pub(crate) id: String,
    pub(crate) merchant: String,
    /// `CNY 45.00`.
    pub(crate) amount: String,
    /// `2026-03-01 14:05` (the terminal's local time).
    pub(crate) time: String,
    /// The receipt's own language.
    pub(crate) lang: Lang,
    pub(crate) image_key: String,
}

impl ReceiptView {
    /// The view of a stored row (its record is the platform's own, checked at ingest).
    pub(crate) fn of(row: &ReceiptRow) -> Self {
        let transaction = serde_json::from_str::<serde_json::Value>(&row.record)
            .ok()
            .and_then(|r| Transaction::from_json(&r["transaction"].to_string()).ok());
        let amount = u64::try_from(row.amount)
            .ok()
            .zip(Currency::from_code(&row.currency))
            .and_then(|(minor, currency)| Money::new(minor, currency))
            .map_or_else(
                || format!("{} {}", row.currency, row.amount),
                |m| m.to_string(),
            );
        let time = match (row.local_time.get(..10), row.local_time.get(11..16)) {
            (Some(date), Some(clock)) => format!("{date} {clock}"),
            _ => row.local_time.clone(),
        };
        ReceiptView {
            id: row.receipt_id.clone(),
            merchant: transaction
                .as_ref()
                .map(|t| t.merchant().name.clone())
                .unwrap_or_default(),
            amount,
            time,
            lang: transaction.map_or(Lang::En, |t| Lang::of_locale(t.locale())),
            image_key: row.image_key.clone(),
        }
    }
}

#[derive(Template)]
#[template(path = "email/receipt.html")]
struct EmailHtml<'a> {
    lang: &'a str,
    subject: &'a str,
    t: &'a Texts,
    view: &'a ReceiptView,
    cid: &'a str,
    link: &'a str,
}

#[derive(Template)]
#[template(path = "email/receipt.txt")]
struct EmailText<'a> {
    t: &'a Texts,
    view: &'a ReceiptView,
    link: &'a str,
}

/// Starts `count` delivery workers that run until `shutdown` becomes true.
pub fn spawn_workers(
    state: &AppState,
    count: usize,
    shutdown: &watch::Receiver<bool>,
) -> Vec<JoinHandle<()>> {
    (0..count)
        .map(|_| {
            let state = state.clone();
            let mut shutdown = shutdown.clone();
            tokio::spawn(async move {
                while !*shutdown.borrow() {
                    let ran = run_one(&state).await.unwrap_or_else(|error| {
                        tracing::error!(%error, "delivery worker");
                        false
                    });
                    if !ran {
                        tokio::select! {
                            _ = tokio::time::sleep(POLL) => {}
                            _ = shutdown.changed() => {}
                        }
                    }
                }
            })
        })
        .collect()
}

/// Runs due deliveries until none is left; returns how many ran. For tests and tools.
pub async fn run_due(state: &AppState) -> Result<usize, PlatformError> {
    let mut ran = 0;
    while run_one(state).await? {
        ran += 1;
    }
    Ok(ran)
}

/// Deliveries still queued, on every instance.
pub async fn queued(state: &AppState) -> Result<i64, PlatformError> {
    Ok(queue::queued(state.db().read()).await?)
}

/// Claims and runs one due delivery; `false` when there was none.
async fn run_one(state: &AppState) -> Result<bool, PlatformError> {
    let Some(job) = queue::claim(state.db(), db::now()).await? else {
        return Ok(false);
    };
    let result = send(state, &job).await;
    let now = db::now();
    let (status, reason, run_after) = match &result {
        Ok(()) => (status::SENT, None, now),
        Err(SendError::Retry(reason)) if job.attempts < MAX_ATTEMPTS => (
            status::QUEUED,
            Some(reason.as_str()),
            now + backoff(job.attempts),
        ),
        Err(SendError::Retry(reason) | SendError::Permanent(reason)) => {
            (status::FAILED, Some(reason.as_str()), now)
        }
    };
    tracing::info!(receipt = %job.receipt_id, channel = %job.channel, status, attempt = job.attempts, reason, "delivery");
    if !queue::settle(state.db().write(), &job, status, reason, run_after, now).await? {
        tracing::warn!(receipt = %job.receipt_id, "delivery lease lost before it was recorded");
    }
    Ok(true)
}

/// 30 seconds, doubling per attempt, at most an hour.
fn backoff(attempts: i64) -> i64 {
    let exponent = u32::try_from(attempts.saturating_sub(1))
        .unwrap_or(0)
        .min(7);
    (30i64 << exponent).min(3600)
}

/// Builds and hands over one delivery's message.
async fn send(state: &AppState, job: &Claimed) -> Result<(), SendError> {
    let internal = |error: PlatformError| {
        tracing::error!(%error, receipt = %job.receipt_id, "delivery could not be prepared");
        SendError::Retry("internal error (logged)".to_owned())
    };
    let row = db::receipts::by_id(state.db().read(), &job.receipt_id)
        .await
        .map_err(|e| internal(e.into()))?
        .ok_or_else(|| SendError::Permanent("the receipt is not stored".to_owned()))?;
    let courier = state.courier();
    let address = courier
        .keys()
        .open_address(&job.receipt_id, &job.address_sealed)
        .map_err(|_| SendError::Permanent("the stored address cannot be read".to_owned()))?;
    let view = ReceiptView::of(&row);
    let t = view.lang.texts();
    let name = format!("{}-{}", job.receipt_id, job.channel);
    let link = new_link(state, &view.id, "view").await.map_err(internal)?;
    match job.channel.as_str() {
        "email" => {
            let png = state.blobs().get(&view.image_key).await.map_err(internal)?;
            let message = compose_email(&view, &address, &link, png.to_vec())?;
            courier.send_email(&name, message).await
        }
        "sms" | "mms" => {
            let media_url = if job.channel == "mms" {
                Some(new_link(state, &view.id, "media").await.map_err(internal)?)
            } else {
                None
            };
            let body = format!(
                "{}: {} {} {link} ({})",
                view.merchant, t.sms_receipt, view.amount, t.sms_valid
            );
            let text = sms::Text {
                to: address,
                body,
                media_url,
            };
            courier.send_text(&name, &text).await
        }
        "pull" => {
            let code = crate::web::codes::issue(state, &courier.keys().phone_hash(&address))
                .await
                .map_err(internal)?;
            let mut body = format!(
                "{}: {} {}/",
                view.merchant,
                t.pull_ready,
                courier.base_url()
            );
            if let Some(code) = code {
                body.push_str(&format!(" ({} {code})", t.code_message));
            }
            let text = sms::Text {
                to: address,
                body,
                media_url: None,
            };
            courier.send_text(&name, &text).await
        }
        _ => Err(SendError::Permanent("unknown channel".to_owned())),
    }
}

fn compose_email(
    view: &ReceiptView,
    to: &str,
    link: &str,
    png: Vec<u8>,
) -> Result<email::Email, SendError> {
    let t = view.lang.texts();
    let subject = match view.lang {
        Lang::Zh => format!("{}{}", t.email_subject, view.merchant),
        Lang::En => format!("{} {}", t.email_subject, view.merchant),
    };
    let failed = |_| SendError::Permanent("the e-mail could not be composed".to_owned());
    let html = EmailHtml {
        lang: view.lang.html(),
        subject: &subject,
        t,
        view,
        cid: email::IMAGE_CID,
        link,
    }
    .render()
    .map_err(failed)?;
    let plain = EmailText { t, view, link }.render().map_err(failed)?;
    Ok(email::Email {
        to: to.to_owned(),
        subject,
        plain,
        html,
        png,
        file_name: format!("receipt-{}.png", view.id),
    })
}

/// A fresh link to a receipt (`view`: the portal page, `/r/…`; `media`: the PNG, `/m/…`).
async fn new_link(
    state: &AppState,
    receipt_id: &str,
    purpose: &str,
) -> Result<String, PlatformError> {
    let token = URL_SAFE_NO_PAD.encode(random_bytes::<16>()?);
    let (lifetime, prefix) = if purpose == "media" {
        (MEDIA_LINK_SECONDS, "m")
    } else {
        (VIEW_LINK_SECONDS, "r")
    };
    queue::add_link(
        state.db().write(),
        &sha256_hex(token.as_bytes()),
        receipt_id,
        purpose,
        db::now() + lifetime,
    )
    .await?;
    let suffix = if purpose == "media" { ".png" } else { "" };
    Ok(format!(
        "{}/{prefix}/{token}{suffix}",
        state.courier().base_url()
    ))
}

/// Mints a one-time login code for a phone number, for administrators and demos
/// (`ereceipt platform login-code`): the code is returned instead of sent. `None` while the
/// number is locked out after wrong codes.
pub async fn login_code(state: &AppState, phone: &str) -> Result<Option<String>, PlatformError> {
    let phone = Delivery::parse(&format!("pull:{phone}"))
        .map_err(|_| PlatformError::config("not a phone number in international form"))?;
    let hash = state.courier().keys().phone_hash(phone.address());
    crate::web::codes::issue(state, &hash).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_to_an_hour() {
        assert_eq!(backoff(1), 30);
        assert_eq!(backoff(2), 60);
        assert_eq!(backoff(8), 3600);
        assert_eq!(backoff(-3), 30);
    }
}
