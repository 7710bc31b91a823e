//! The receipt image (Source A step 3): a small, reproducible, 1-bit PNG.
//!
//! # Reproducibility
//! A verifier re-renders a receipt from its record and compares it with the image pixel by
//! pixel, possibly on another CPU architecture than the phone that issued it. Rendering is
//! therefore bit-exact by construction rather than "close enough":
//! - text comes from a pre-rasterised 1-bit [`font::FontPack`] compiled into the library, drawn
//!   with integer blits (no font engine, no system font lookup, no hinting at run time);
//! - the layout is a thermal-printer grid of 12×24-pixel cells (CJK characters take two), all
//!   integer arithmetic;
//! - the signature is rasterised by [`crate::signature`] using only IEEE-754 operations that are
//!   correctly rounded on every architecture (no `sin`, `exp` or fused multiply-add), then
//!   thresholded;
//! - QR modules are integer squares; the PNG encoder is deterministic.
//!
//! Nothing reads a clock, a random source or the environment. The same
//! [`RENDERER_VERSION`] and [`font::FontPack::id`] with the same inputs give the same bytes, and
//! the receipt record carries both so that old receipts keep re-rendering after upgrades.
//!
//! # Size
//! A 1-bit PNG is the smallest faithful form of a receipt (see REFERENCE.md: 1-bit 9.3 KB,
//! 8-bit gray 29 KB, JPEG 74 KB for the same content); a typical receipt weighs 8–14 KB.

mod canvas;
pub mod font;
mod labels;
mod png;

pub use canvas::Bitmap;
pub use png::encode_png;

use crate::signature::{InkOptions, Signature};
use crate::transaction::{Cvm, EntryMode, Kind, Locale, Transaction};
use font::FontPack;
use labels::{Labels, labels};

/// Identifies the layout and drawing rules; part of every receipt record.
pub const RENDERER_VERSION: &str = "ereceipt-render/1";

/// Left and right margin in pixels.
const MARGIN: u32 = 12;
/// Vertical distance between text lines (24-pixel glyphs plus 4 pixels of leading).
const LINE_HEIGHT: u32 = 28;
/// The largest QR module, in pixels.
const QR_MAX_MODULE: u32 = 5;
/// The smallest QR module that phone cameras and JPEG recompression reliably keep.
const QR_MIN_MODULE: u32 = 2;

/// Paper width.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Paper {
    /// 58 mm paper: 384 pixels at 203 dpi, 30 columns.
    Mm58,
    /// 80 mm paper: 576 pixels at 203 dpi, 46 columns.
    #[default]
    Mm80,
}

impl Paper {
    /// The paper for an image width in pixels (384 or 576).
    pub fn from_width(width: u32) -> Option<Self> {
        match width {
            384 => Some(Paper::Mm58),
            576 => Some(Paper::Mm80),
            _ => None,
        }
    }

    /// Image width in pixels.
    pub fn width(self) -> u32 {
        match self {
            Paper::Mm58 => 384,
            Paper::Mm80 => 576,
        }
    }

    /// Width between the margins, in pixels: the width of the signature band.
    pub fn content_width(self) -> u32 {
        self.width() - 2 * MARGIN
    }
}

/// Which copy of the receipt this is.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CopyKind {
    /// The cardholder's copy.
    #[default]
    Customer,
    /// The merchant's copy.
    Merchant,
    /// A reprint of an earlier receipt; printed as such so it cannot pass for an original.
    Duplicate,
}

/// The terminal certificate block printed on the receipt.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CertificateBlock {
    /// The certificate issuer's name.
    pub issuer: String,
    /// The certificate serial number, in hex.
    pub serial: String,
    /// The terminal id the certificate names.
    pub terminal_id: String,
}

/// Options that change how a receipt is drawn.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct RenderOptions {
    /// Paper width.
    pub paper: Paper,
}

impl RenderOptions {
    /// Options for the given paper.
    pub fn paper(paper: Paper) -> Self {
        RenderOptions { paper }
    }
}

/// Everything printed on one receipt.
#[derive(Clone, Debug)]
#[must_use]
pub struct ReceiptDocument<'a> {
    transaction: &'a Transaction,
    signature: Option<SignatureInk<'a>>,
    unsigned: bool,
    copy: CopyKind,
    certificate: Option<CertificateBlock>,
    qr_payload: Option<Vec<u8>>,
    receipt_id: Option<String>,
}

impl<'a> ReceiptDocument<'a> {
    /// A customer copy of `transaction` without signature, certificate or QR code.
    pub fn new(transaction: &'a Transaction) -> Self {
        ReceiptDocument {
            transaction,
            signature: None,
            unsigned: false,
            copy: CopyKind::Customer,
            certificate: None,
            qr_payload: None,
            receipt_id: None,
        }
    }
    /// The cardholder's signature, drawn from its strokes.
    pub fn signature(mut self, signature: &'a Signature) -> Self {
        self.signature = Some(SignatureInk::Strokes(signature));
        self
    }
    /// The cardholder's signature as the pixels of its band (see [`signature_band`]): what a
    /// verifier has when it re-renders a receipt without the biometric strokes.
    pub fn signature_band(mut self, band: Bitmap) -> Self {
        self.signature = Some(SignatureInk::Band(band));
        self
    }
    /// Marks the receipt as issued without a terminal signature (the signing key was
    /// unavailable); it is printed in large inverted letters so it cannot pass for signed.
    pub fn unsigned(mut self, unsigned: bool) -> Self {
        self.unsigned = unsigned;
        self
    }
    /// Which copy this is.
    pub fn copy(mut self, copy: CopyKind) -> Self {
        self.copy = copy;
        self
    }
    /// The terminal certificate block.
    pub fn certificate(mut self, certificate: CertificateBlock) -> Self {
        self.certificate = Some(certificate);
        self
    }
    /// The bytes encoded in the QR code (any bytes; the receipt record defines them).
    pub fn qr_payload(mut self, payload: impl Into<Vec<u8>>) -> Self {
        self.qr_payload = Some(payload.into());
        self
    }
    /// The receipt id printed above the footer.
    pub fn receipt_id(mut self, id: impl Into<String>) -> Self {
        self.receipt_id = Some(id.into());
        self
    }
}

/// Where the signature's pixels come from.
#[derive(Clone, Debug)]
enum SignatureInk<'a> {
    Strokes(&'a Signature),
    Band(Bitmap),
}

/// The signature band: the signature's ink, thresholded, centred in a bitmap of the content
/// width and [`SIGNATURE_HEIGHT`] rows. Its size depends only on the paper, so the layout of
/// everything else never depends on the signature, and the band's pixels can be hashed into
/// the receipt record instead of the strokes.
pub fn signature_band(signature: &Signature, paper: Paper) -> Bitmap {
    let width = paper.content_width();
    let ink = signature.render(&InkOptions::default(), width, SIGNATURE_HEIGHT);
    let mut band = Bitmap::new(width, SIGNATURE_HEIGHT);
    let x0 = width.saturating_sub(ink.width) / 2;
    let y0 = SIGNATURE_HEIGHT.saturating_sub(ink.height) / 2;
    for y in 0..ink.height.min(SIGNATURE_HEIGHT) {
        for x in 0..ink.width.min(width) {
            if ink.data[(y * ink.width + x) as usize] >= 128 {
                band.set(x0 + x, y0 + y, true);
            }
        }
    }
    band
}

/// Height of the signature band in pixels.
pub const SIGNATURE_HEIGHT: u32 = 160;

/// Why a receipt could not be rendered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RenderError {
    /// A text contains a character the receipt fonts cannot draw (for example an emoji, Arabic
    /// or a rare CJK ideograph outside GB2312). Refused rather than printed as a box.
    #[error("{field}: character U+{codepoint:04X} cannot be printed by the receipt fonts")]
    UnsupportedCharacter {
        /// The field's path.
        field: String,
        /// The character's code point.
        codepoint: u32,
    },
    /// The cardholder verification method asks for a signature and none was given.
    #[error("the cardholder verification method requires a signature")]
    SignatureRequired,
    /// The QR payload does not fit in a QR code readable at this paper width.
    #[error("QR payload of {len} bytes does not fit on the receipt")]
    QrPayloadTooLarge {
        /// Payload length in bytes.
        len: usize,
    },
    /// No font to draw with: a build without the `embedded-font` feature before
    /// [`font::FontPack::install`].
    #[error(transparent)]
    Font(#[from] font::FontError),
}

/// Where a field was printed: the verifier uses it to name what an edit touched.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldBox {
    /// The field, by its transaction JSON path (`amount`, `card.masked_pan`) or a layout part
    /// (`signature`, `qr`, `header`).
    pub field: &'static str,
    /// Left edge in pixels.
    pub x: u32,
    /// Top edge in pixels.
    pub y: u32,
    /// Width in pixels.
    pub w: u32,
    /// Height in pixels.
    pub h: u32,
}

/// A rendered receipt: its pixels, its PNG, where each field is and the text it shows.
#[derive(Clone)]
pub struct RenderedReceipt {
    bitmap: Bitmap,
    png: Vec<u8>,
    fields: Vec<FieldBox>,
    text: Vec<String>,
}

impl std::fmt::Debug for RenderedReceipt {
    /// Sizes only: the text holds the receipt's content.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RenderedReceipt")
            .field("bitmap", &self.bitmap)
            .field("png_bytes", &self.png.len())
            .field("fields", &self.fields.len())
            .finish()
    }
}

impl RenderedReceipt {
    /// The PNG file.
    pub fn bytes(&self) -> &[u8] {
        &self.png
    }
    /// Consumes the receipt, returning the PNG file.
    pub fn into_bytes(self) -> Vec<u8> {
        self.png
    }
    /// The pixels.
    pub fn bitmap(&self) -> &Bitmap {
        &self.bitmap
    }
    /// Where each field was printed, top to bottom.
    pub fn fields(&self) -> &[FieldBox] {
        &self.fields
    }
    /// Every text printed, one entry per drawn line or label/value pair, top to bottom: the
    /// receipt's plain-text alternative (e-mail text part, screen readers).
    pub fn text(&self) -> &[String] {
        &self.text
    }
}

/// Renders a receipt to a PNG.
pub fn render_receipt(
    doc: &ReceiptDocument<'_>,
    opts: &RenderOptions,
) -> Result<RenderedReceipt, RenderError> {
    let composed = compose(doc, opts)?;
    let png = encode_png(&composed.canvas);
    Ok(RenderedReceipt {
        bitmap: composed.canvas,
        png,
        fields: composed.fields,
        text: composed.text,
    })
}

/// Renders a receipt to pixels and field positions, without encoding a PNG: what the verifier
/// compares against.
pub fn render_layout(
    doc: &ReceiptDocument<'_>,
    opts: &RenderOptions,
) -> Result<(Bitmap, Vec<FieldBox>), RenderError> {
    compose(doc, opts).map(|c| (c.canvas, c.fields))
}

/// Renders a receipt to pixels only.
pub fn render_bitmap(
    doc: &ReceiptDocument<'_>,
    opts: &RenderOptions,
) -> Result<Bitmap, RenderError> {
    compose(doc, opts).map(|c| c.canvas)
}

fn compose(doc: &ReceiptDocument<'_>, opts: &RenderOptions) -> Result<Composer, RenderError> {
    let tx = doc.transaction;
    if tx.needs_signature() && doc.signature.is_none() {
        return Err(RenderError::SignatureRequired);
    }
    let l = labels(tx.locale());
    let mut c = Composer::new(opts.paper.width())?;

    header(&mut c, tx)?;
    c.rule(true);
    let kind = match tx.kind() {
        Kind::Sale => l.sale,
        Kind::Refund => l.refund,
        Kind::Void => l.void,
    };
    c.banner("kind", kind, tx.kind() != Kind::Sale);
    let copy = match doc.copy {
        CopyKind::Customer => l.customer_copy,
        CopyKind::Merchant => l.merchant_copy,
        CopyKind::Duplicate => l.duplicate_copy,
    };
    if doc.unsigned {
        c.banner("unsigned", l.unsigned, true);
    }
    if doc.copy == CopyKind::Duplicate {
        c.banner("copy", copy, true);
    } else {
        c.line("copy", copy, Align::Center, 1)?;
    }
    c.rule(false);

    c.pair("merchant.id", l.merchant_id, &tx.merchant().id)?;
    c.pair("terminal_id", l.terminal_id, tx.terminal_id())?;
    let time = tx.local_time();
    c.pair(
        "local_time",
        l.date_time,
        &format!("{} {}", time.printed(), &time.rfc3339()[19..]),
    )?;
    c.pair("trace_number", l.trace, tx.trace_number())?;
    if let Some(original) = tx.original_trace_number() {
        c.pair("original_trace_number", l.original_trace, original)?;
    }
    c.pair("batch_number", l.batch, tx.batch_number())?;
    if let Some(rrn) = tx.retrieval_reference_number() {
        c.pair("retrieval_reference_number", l.rrn, rrn)?;
    }
    if let Some(code) = tx.auth_code() {
        c.pair("auth_code", l.auth_code, code)?;
    }
    c.rule(false);

    card(&mut c, tx, l)?;
    items(&mut c, tx, l)?;
    c.rule(true);
    let total_label = match tx.kind() {
        Kind::Sale => l.total,
        Kind::Refund => l.refund_total,
        Kind::Void => l.void_total,
    };
    c.pair_scaled("amount", total_label, &tx.amount().to_string(), 2)?;
    c.rule(true);

    verification(&mut c, doc, l)?;
    if let Some(note) = tx.note() {
        c.rule(false);
        c.line("note", l.note, Align::Left, 1)?;
        for paragraph in note.split('\n') {
            c.line("note", paragraph, Align::Left, 1)?;
        }
    }
    c.rule(false);
    certificate(&mut c, doc, l)?;
    if let Some(payload) = &doc.qr_payload {
        c.qr(payload)?;
    }
    if let Some(id) = &doc.receipt_id {
        c.line("receipt_id", l.receipt_id, Align::Center, 1)?;
        c.line("receipt_id", id, Align::Center, 1)?;
    }
    c.gap(LINE_HEIGHT / 2);
    c.line("footer", l.thanks, Align::Center, 1)?;
    let version = format!("{RENDERER_VERSION} {}", c.font.id());
    c.line("footer", &version, Align::Center, 1)?;
    c.gap(LINE_HEIGHT);
    c.canvas.grow_to(c.y);
    Ok(c)
}

fn header(c: &mut Composer, tx: &Transaction) -> Result<(), RenderError> {
    c.gap(LINE_HEIGHT / 2);
    c.line("merchant.name", &tx.merchant().name, Align::Center, 2)?;
    if let Some(address) = &tx.merchant().address {
        for part in address.split('\n') {
            c.line("merchant.address", part, Align::Center, 1)?;
        }
    }
    if let Some(text) = tx.location().and_then(|l| l.text.as_deref()) {
        c.line("location.text", text, Align::Center, 1)?;
    }
    Ok(())
}

fn card(c: &mut Composer, tx: &Transaction, l: &Labels) -> Result<(), RenderError> {
    let card = tx.card();
    c.pair("card.masked_pan", l.card, card.masked_pan.as_str())?;
    let chinese = tx.locale() == Locale::Chinese;
    let entry = match (card.entry_mode, chinese) {
        (EntryMode::Chip, false) => "CHIP",
        (EntryMode::Chip, true) => "插卡 CHIP",
        (EntryMode::Contactless, false) => "CONTACTLESS",
        (EntryMode::Contactless, true) => "挥卡 CONTACTLESS",
        (EntryMode::Swipe, false) => "SWIPE",
        (EntryMode::Swipe, true) => "刷卡 SWIPE",
        (EntryMode::FallbackSwipe, false) => "FALLBACK SWIPE",
        (EntryMode::FallbackSwipe, true) => "降级刷卡 FALLBACK",
        (EntryMode::Manual, false) => "MANUAL",
        (EntryMode::Manual, true) => "手输 MANUAL",
    };
    c.pair("card.brand", card.brand.label(), entry)?;
    if let Some(emv) = tx.emv() {
        if let Some(label) = &emv.application_label {
            c.pair("emv.application_label", "APP", label)?;
        }
        c.pair("emv.aid", "AID", &emv.aid)?;
        let codes: Vec<(&str, &String)> = [("TVR", &emv.tvr), ("TSI", &emv.tsi), ("ARC", &emv.arc)]
            .into_iter()
            .filter_map(|(name, value)| Some((name, value.as_ref()?)))
            .collect();
        let joined = codes
            .iter()
            .map(|(n, v)| format!("{n} {v}"))
            .collect::<Vec<_>>()
            .join("  ");
        if c.cells("emv", &joined)? <= c.columns {
            c.line("emv", &joined, Align::Left, 1)?;
        } else {
            for (name, value) in codes {
                c.pair("emv", name, value)?;
            }
        }
    }
    Ok(())
}

fn items(c: &mut Composer, tx: &Transaction, l: &Labels) -> Result<(), RenderError> {
    let adj = tx.adjustments();
    let currency = tx.amount().currency();
    let money = |minor: u64| {
        crate::money::Money::new(minor, currency)
            .expect("validated amounts are within range")
            .decimal()
    };
    if !tx.line_items().is_empty() {
        c.rule(false);
        for item in tx.line_items() {
            let label = format!("{} x {}", item.quantity_text(), item.description);
            c.pair("line_items", &label, &money(item.amount))?;
            if let Some(price) = item.unit_price.filter(|_| item.quantity_milli != 1000) {
                c.line(
                    "line_items",
                    &format!("  @ {}", money(price)),
                    Align::Left,
                    1,
                )?;
            }
        }
        let subtotal: u64 = tx.line_items().iter().map(|i| i.amount).sum();
        c.rule(false);
        c.pair("line_items", l.subtotal, &money(subtotal))?;
    }
    if adj.discount > 0 {
        c.pair("discount", l.discount, &format!("-{}", money(adj.discount)))?;
    }
    if adj.tax > 0 {
        c.pair("tax", l.tax, &money(adj.tax))?;
    }
    if adj.tip > 0 {
        c.pair("tip", l.tip, &money(adj.tip))?;
    }
    if adj.included_tax > 0 {
        c.pair("included_tax", l.included_tax, &money(adj.included_tax))?;
    }
    Ok(())
}

fn verification(
    c: &mut Composer,
    doc: &ReceiptDocument<'_>,
    l: &Labels,
) -> Result<(), RenderError> {
    let tx = doc.transaction;
    let cvm = tx.card().cardholder_verification;
    if let Some(ink) = &doc.signature {
        c.line("signature.label", l.signature, Align::Left, 1)?;
        // The band starts on even coordinates so that its pixels on the watermark's carrier
        // lattice are the band's own even-even pixels (see `record::band_digest`).
        c.y += c.y % 2;
        let paper = Paper::from_width(c.canvas.width()).expect("the composer uses a paper width");
        match ink {
            SignatureInk::Strokes(signature) => {
                c.band("signature", &signature_band(signature, paper))
            }
            SignatureInk::Band(band) => c.band("signature", band),
        }
        c.rule(false);
        let agreement = if tx.kind() == Kind::Sale {
            l.agreement
        } else {
            l.refund_agreement
        };
        c.line("agreement", agreement, Align::Left, 1)?;
    } else {
        let text = match cvm {
            Cvm::OnlinePin | Cvm::OfflinePin => l.pin_verified,
            Cvm::Cdcvm => l.device_verified,
            _ => l.no_signature,
        };
        c.line("card.cardholder_verification", text, Align::Center, 1)?;
        if matches!(cvm, Cvm::OnlinePin | Cvm::OfflinePin | Cvm::Cdcvm) {
            c.line(
                "card.cardholder_verification",
                l.no_signature,
                Align::Center,
                1,
            )?;
        }
    }
    Ok(())
}

fn certificate(c: &mut Composer, doc: &ReceiptDocument<'_>, l: &Labels) -> Result<(), RenderError> {
    c.line("certificate", l.certificate, Align::Left, 1)?;
    match &doc.certificate {
        Some(cert) => {
            c.pair("certificate.issuer", l.issuer, &cert.issuer)?;
            c.pair("certificate.serial", l.serial, &cert.serial)?;
            c.pair("certificate.terminal_id", l.terminal_id, &cert.terminal_id)?;
        }
        None => c.line("certificate", l.not_certified, Align::Right, 1)?,
    }
    Ok(())
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Align {
    Left,
    Center,
    Right,
}

/// Lays out lines top to bottom on a growing canvas, remembering where each field went.
struct Composer {
    font: &'static FontPack,
    canvas: Bitmap,
    /// Columns of 1-cell glyphs between the margins.
    columns: u32,
    y: u32,
    fields: Vec<FieldBox>,
    text: Vec<String>,
}

impl Composer {
    fn new(width: u32) -> Result<Self, RenderError> {
        let font = FontPack::active()?;
        let columns = (width - 2 * MARGIN) / font.cell_width();
        Ok(Composer {
            font,
            canvas: Bitmap::new(width, 0),
            columns,
            y: 0,
            fields: Vec::new(),
            text: Vec::new(),
        })
    }

    fn content_width(&self) -> u32 {
        self.canvas.width() - 2 * MARGIN
    }

    fn gap(&mut self, h: u32) {
        self.y += h;
    }

    fn record(&mut self, field: &'static str, x: u32, y: u32, w: u32, h: u32) {
        match self.fields.last_mut() {
            Some(last) if last.field == field && last.y + last.h >= y => {
                let right = (last.x + last.w).max(x + w);
                last.x = last.x.min(x);
                last.w = right - last.x;
                last.h = y + h - last.y;
            }
            _ => self.fields.push(FieldBox { field, x, y, w, h }),
        }
    }

    /// Width of `text` in cells; texts are bounded by validation, so the count fits in u32.
    fn cells(&self, field: &str, text: &str) -> Result<u32, RenderError> {
        self.font
            .text_cells(text)
            .map(|n| u32::try_from(n).unwrap_or(u32::MAX))
            .map_err(|c| RenderError::UnsupportedCharacter {
                field: field.to_owned(),
                codepoint: u32::from(c),
            })
    }

    fn char_cells(&self, c: char) -> u32 {
        self.font.glyph(c).map_or(1, |g| u32::from(g.cells))
    }

    /// Splits `text` into lines of at most `columns` cells, at spaces where possible.
    fn wrap(&self, text: &str, columns: u32) -> Vec<String> {
        let mut lines = Vec::new();
        let mut line = String::new();
        let mut width = 0;
        for c in text.chars() {
            let w = self.char_cells(c);
            if width + w > columns && !line.is_empty() {
                let break_at = line.rfind(' ').filter(|&i| i > 0 && c != ' ');
                match break_at {
                    Some(i) => {
                        let rest = line.split_off(i);
                        lines.push(std::mem::take(&mut line));
                        line = rest.trim_start().to_owned();
                    }
                    None => lines.push(std::mem::take(&mut line)),
                }
                width = line.chars().map(|c| self.char_cells(c)).sum();
                if c == ' ' {
                    continue;
                }
            }
            line.push(c);
            width += w;
        }
        if !line.is_empty() || lines.is_empty() {
            lines.push(line);
        }
        lines
    }

    fn line(
        &mut self,
        field: &'static str,
        text: &str,
        align: Align,
        scale: u32,
    ) -> Result<(), RenderError> {
        self.cells(field, text)?;
        self.text.push(text.to_owned());
        let columns = self.columns / scale;
        for part in self.wrap(text, columns) {
            let w = self.cells(field, &part)? * self.font.cell_width() * scale;
            let x = match align {
                Align::Left => MARGIN,
                Align::Center => MARGIN + (self.content_width() - w) / 2,
                Align::Right => MARGIN + self.content_width() - w,
            };
            self.draw(field, x, &part, scale, true);
            self.y += LINE_HEIGHT * scale;
        }
        Ok(())
    }

    fn draw(&mut self, field: &'static str, x: u32, text: &str, scale: u32, ink: bool) {
        let h = self.font.cell_height() * scale;
        self.canvas.grow_to(self.y + LINE_HEIGHT * scale);
        let w = self.canvas.text(self.font, x, self.y, text, scale, ink);
        self.record(field, x, self.y, w, h);
    }

    /// A label on the left and a value on the right, on one line when both fit.
    fn pair(&mut self, field: &'static str, label: &str, value: &str) -> Result<(), RenderError> {
        self.pair_scaled(field, label, value, 1)
    }

    fn pair_scaled(
        &mut self,
        field: &'static str,
        label: &str,
        value: &str,
        scale: u32,
    ) -> Result<(), RenderError> {
        let label_cells = self.cells(field, label)?;
        let value_cells = self.cells(field, value)?;
        if (label_cells + 1 + value_cells) * scale <= self.columns {
            self.text.push(format!("{label} {value}"));
            let w = value_cells * self.font.cell_width() * scale;
            self.draw(field, MARGIN, label, scale, true);
            self.draw(field, MARGIN + self.content_width() - w, value, scale, true);
            self.y += LINE_HEIGHT * scale;
            return Ok(());
        }
        self.line(field, label, Align::Left, 1)?;
        let value_scale = if value_cells * scale <= self.columns {
            scale
        } else {
            1
        };
        self.line(field, value, Align::Right, value_scale)
    }

    /// A full-width separator: a dashed line, or a solid double line when `strong`.
    fn rule(&mut self, strong: bool) {
        let y = self.y + LINE_HEIGHT / 2 - 2;
        self.canvas.grow_to(self.y + LINE_HEIGHT);
        let width = self.content_width();
        if strong {
            self.canvas.fill(MARGIN, y, width, 2, true);
            self.canvas.fill(MARGIN, y + 4, width, 2, true);
        } else {
            for x in (0..width).step_by(8) {
                self.canvas
                    .fill(MARGIN + x, y + 2, 4.min(width - x), 2, true);
            }
        }
        self.y += LINE_HEIGHT;
    }

    /// Double-size text centred in a full-width bar, inverted (paper on ink) when `inverted`.
    fn banner(&mut self, field: &'static str, text: &str, inverted: bool) {
        let cells = self.cells(field, text).unwrap_or(0);
        self.text.push(text.to_owned());
        let scale = if cells * 2 <= self.columns { 2 } else { 1 };
        let h = LINE_HEIGHT * scale + 8;
        self.canvas.grow_to(self.y + h);
        if inverted {
            self.canvas
                .fill(MARGIN, self.y, self.content_width(), h, true);
        }
        let w = cells * self.font.cell_width() * scale;
        let x = MARGIN + (self.content_width().saturating_sub(w)) / 2;
        let top = self.y + 4 + (LINE_HEIGHT * scale - self.font.cell_height() * scale) / 2;
        self.canvas.text(self.font, x, top, text, scale, !inverted);
        self.record(field, MARGIN, self.y, self.content_width(), h);
        self.y += h + 4;
    }

    /// An 8-bit coverage image, thresholded at half coverage, centred in a band of `band` rows.
    /// Copies a band bitmap at the left margin; a band of the wrong size is clipped or padded
    /// so the layout below it never moves.
    fn band(&mut self, field: &'static str, band: &Bitmap) {
        let (w, h) = (self.content_width(), SIGNATURE_HEIGHT);
        self.canvas.grow_to(self.y + h);
        for y in 0..h.min(band.height()) {
            for x in 0..w.min(band.width()) {
                if band.ink(x, y) {
                    self.canvas.set(MARGIN + x, self.y + y, true);
                }
            }
        }
        self.record(field, MARGIN, self.y, w, h);
        self.y += h;
    }

    fn qr(&mut self, payload: &[u8]) -> Result<(), RenderError> {
        let too_large = || RenderError::QrPayloadTooLarge { len: payload.len() };
        let code = qrcode::QrCode::with_error_correction_level(payload, qrcode::EcLevel::M)
            .map_err(|_| too_large())?;
        let modules = u32::try_from(code.width()).map_err(|_| too_large())?;
        let module = (self.content_width() / (modules + 8)).min(QR_MAX_MODULE);
        if module < QR_MIN_MODULE {
            return Err(too_large());
        }
        let size = modules * module;
        let quiet = 4 * module;
        self.canvas.grow_to(self.y + size + 2 * quiet);
        let x0 = MARGIN + (self.content_width() - size) / 2;
        let y0 = self.y + quiet;
        for (i, color) in code.to_colors().into_iter().enumerate() {
            if color == qrcode::Color::Dark {
                let i = u32::try_from(i).map_err(|_| too_large())?;
                self.canvas.fill(
                    x0 + (i % modules) * module,
                    y0 + (i / modules) * module,
                    module,
                    module,
                    true,
                );
            }
        }
        self.record("qr", x0, y0, size, size);
        self.y += size + 2 * quiet;
        Ok(())
    }
}

#[cfg(test)]
mod tests;
