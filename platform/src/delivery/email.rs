//! E-mail: one MIME message per receipt, sent over SMTP with lettre (rustls with aws-lc, so no
//! OpenSSL), or written to the outbox as `.eml`.
//!
//! The message is `multipart/mixed`: a `multipart/related` holding the `text/plain` and
//! `text/html` alternatives and the receipt PNG inline (the HTML shows it by its Content-ID),
//! then the same PNG as an attachment, because many mail apps hide inline images or strip them
//! when forwarding, and the attached file is the one a customer keeps (it carries the record
//! and the signature, so it verifies on its own).

use super::SendError;
use super::settings::SmtpSettings;
use crate::error::PlatformError;
use lettre::message::header::ContentType;
use lettre::message::{Attachment, Mailbox, MultiPart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use std::time::Duration;
use unicode_normalization::UnicodeNormalization;

/// The Content-ID of the inline receipt image.
pub(crate) const IMAGE_CID: &str = "receipt-image";

/// An e-mail to send.
pub(crate) struct Email {
    pub(crate) to: String,
    pub(crate) subject: String,
    pub(crate) plain: String,
    pub(crate) html: String,
    pub(crate) png: Vec<u8>,
    pub(crate) file_name: String,
}

/// A configured SMTP server.
pub(crate) struct Smtp {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl std::fmt::Debug for Smtp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Smtp(redacted)")
    }
}

impl Smtp {
    /// Connects lazily to the configured server (nothing is sent until a message is).
    pub(crate) fn new(settings: &SmtpSettings) -> Result<Self, PlatformError> {
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(&settings.url)
            .map_err(|_| PlatformError::config("smtp.url is not a valid SMTP URL"))?
            .timeout(Some(Duration::from_secs(30)))
            .build();
        let from = settings
            .from
            .parse()
            .map_err(|_| PlatformError::config("smtp.from is not a valid mailbox"))?;
        Ok(Smtp { transport, from })
    }

    /// The sender.
    pub(crate) fn from(&self) -> &Mailbox {
        &self.from
    }

    /// Sends a message. The server's reply text is never kept: it may quote the address.
    pub(crate) async fn send(&self, message: Message) -> Result<(), SendError> {
        match self.transport.send(message).await {
            Ok(_) => Ok(()),
            Err(e) if e.is_permanent() => Err(SendError::Permanent(format!(
                "the mail server refused the message ({})",
                e.status().map(|c| c.to_string()).unwrap_or_default()
            ))),
            Err(_) => Err(SendError::Retry(
                "the mail server could not be reached or deferred the message".to_owned(),
            )),
        }
    }
}

/// Builds the MIME message.
pub(crate) fn build(email: Email, from: &Mailbox) -> Result<Message, SendError> {
    let to: Mailbox = ascii_domain(&email.to)
        .and_then(|to| to.parse().ok())
        .ok_or_else(|| SendError::Permanent("the e-mail address is not valid".to_owned()))?;
    let png_type = ContentType::parse("image/png").expect("image/png is a valid media type");
    let body = MultiPart::mixed()
        .multipart(
            MultiPart::related()
                .multipart(MultiPart::alternative_plain_html(email.plain, email.html))
                .singlepart(
                    Attachment::new_inline(IMAGE_CID.to_owned())
                        .body(email.png.clone(), png_type.clone()),
                ),
        )
        .singlepart(Attachment::new(email.file_name).body(email.png, png_type));
    Message::builder()
        .from(from.clone())
        .to(to)
        .subject(email.subject)
        .multipart(body)
        .map_err(|_| SendError::Permanent("the message could not be built".to_owned()))
}

/// `address` with each non-ASCII label of its domain as its A-label (`xn--…`, RFC 5891), which
/// every mail server accepts. lettre cannot do it: the workspace's `idna` has no Unicode tables
/// (Cargo.lock holds `idna_adapter` 1.0.0, the back end without them, which the phone library
/// once needed), so it refuses a non-ASCII domain the SDK accepted. The
/// label is lower-cased and composed (NFC) first, as a keyboard may send it decomposed. The
/// honest cost: this is the encoding of IDNA2008 without UTS 46's mapping of compatibility
/// characters or its validity checks, so an exotic domain may get an A-label nobody registered
/// and the message bounces instead of failing here. `None` when Punycode cannot encode a label.
fn ascii_domain(address: &str) -> Option<String> {
    let Some((local, domain)) = address.rsplit_once('@') else {
        return Some(address.to_owned());
    };
    if domain.is_ascii() {
        return Some(address.to_owned());
    }
    let labels = domain
        .split('.')
        .map(|label| {
            if label.is_ascii() {
                return Some(label.to_owned());
            }
            let label: String = label.to_lowercase().nfc().collect();
            idna::punycode::encode_str(&label).map(|encoded| format!("xn--{encoded}"))
        })
        .collect::<Option<Vec<_>>>()?;
    Some(format!("{local}@{}", labels.join(".")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn email(to: &str) -> Email {
        Email {
            to: to.to_owned(),
            subject: "Receipt".to_owned(),
            plain: "text".to_owned(),
            html: "<p>text</p>".to_owned(),
            png: Vec::new(),
            file_name: "receipt.png".to_owned(),
        }
    }

    /// The SDK accepts `kunde@bäckerei-müller.de`; the message goes to the domain's A-label.
    #[test]
    fn an_internationalised_domain_is_sent_to_its_a_label() {
        let from: Mailbox = "ereceipt <receipts@localhost>".parse().unwrap();
        for to in [
            "kunde@bäckerei-müller.de",
            "kunde@ba\u{308}ckerei-mu\u{308}ller.de",
        ] {
            let message = build(email(to), &from).unwrap();
            let formatted = String::from_utf8(message.formatted()).unwrap();
            assert!(
                formatted.contains("To: kunde@xn--bckerei-mller-bfb28a.de"),
                "{to}: {formatted}"
            );
        }
        assert!(build(email("kunde@example.com"), &from).is_ok());
        assert!(build(email("not an address"), &from).is_err());
    }
}
