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
    let to: Mailbox = email
        .to
        .parse()
        .map_err(|_| SendError::Permanent("the e-mail address is not valid".to_owned()))?;
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
