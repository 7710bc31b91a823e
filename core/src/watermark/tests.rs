use super::*;
use crate::Transaction;
use crate::render::font::FontPack;
use crate::render::{
    CertificateBlock, Paper, ReceiptDocument, RenderOptions, RenderedReceipt, encode_png,
};
use crate::signature::Signature;
use std::path::PathBuf;

const RECEIPT_ID: [u8; 16] = *b"\x0f\x3c\x2a\x9e\x6d\x41\x4b\x7a\x9a\x51\x3e\x2f\x7d\x1c\x8b\x20";

/// A QR payload of the size the receipt record's will be (about 150 bytes).
const QR_PAYLOAD: &[u8] =
    b"ER1:0f3c2a9e-6d41-4b7a-9a51-3e2f7d1c8b20:SH000001:42:2026-11-22T14:03:27+08:00:CNY:12800:\
    MEUCIQDd3Lq0bGx9Xc1Vn8a1o7yX2fQe9cFv3k5Zt0m8JYwIgJ4bq8KQ";

fn data_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/data")
}

fn names(dir: &str) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(data_dir().join(dir))
        .unwrap()
        .filter_map(|e| {
            let name = e.ok()?.file_name().into_string().ok()?;
            name.strip_suffix(".json").map(str::to_owned)
        })
        .collect();
    names.sort();
    names
}

fn transaction(name: &str) -> Transaction {
    let path = data_dir().join(format!("transactions/{name}.json"));
    Transaction::from_json(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn signature(index: usize) -> Signature {
    let names = names("signatures");
    let name = &names[index % names.len()];
    let path = data_dir().join(format!("signatures/{name}.json"));
    Signature::from_json(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// A sample receipt as `tests/e2e/render.rs` draws it; the signature by sample position, or
/// `signer` when given.
fn render(index: usize, name: &str, paper: Paper, signer: Option<usize>) -> RenderedReceipt {
    let tx = transaction(name);
    let sig = signature(signer.unwrap_or(index));
    let mut doc = ReceiptDocument::new(&tx)
        .certificate(CertificateBlock {
            issuer: "ereceipt Test CA".into(),
            serial: "4F2A9C01D7".into(),
            terminal_id: tx.terminal_id().into(),
        })
        .qr_payload(QR_PAYLOAD)
        .receipt_id("0f3c2a9e-6d41-4b7a-9a51-3e2f7d1c8b20");
    if tx.needs_signature() || signer.is_some() {
        doc = doc.signature(&sig);
    }
    crate::render::render_receipt(&doc, &RenderOptions::paper(paper)).unwrap()
}

/// A stand-in for the record signature: 64 bytes that differ per sample.
fn key_for(name: &str) -> WatermarkKey {
    let d = ring::digest::digest(&ring::digest::SHA512, name.as_bytes());
    WatermarkKey::derive(d.as_ref(), &RECEIPT_ID)
}

/// Every sample at 80 mm, and the first at 58 mm: (label, receipt, key).
fn samples() -> Vec<(String, RenderedReceipt, WatermarkKey)> {
    let mut out = Vec::new();
    for (i, name) in names("transactions").iter().enumerate() {
        for paper in [Paper::Mm80, Paper::Mm58] {
            let label = format!("{name}/{}", paper.width());
            out.push((label.clone(), render(i, name, paper, None), key_for(&label)));
        }
    }
    out
}

fn marked(receipt: &RenderedReceipt, key: &WatermarkKey) -> Bitmap {
    embed(receipt.bitmap(), key, &protected_areas(receipt.fields()))
}

fn check_bitmap(receipt: &RenderedReceipt, image: &Bitmap, key: &WatermarkKey) -> Detection {
    detect_bitmap(image, key, &protected_areas(receipt.fields()))
}

fn field(receipt: &RenderedReceipt, name: &str) -> Rect {
    receipt
        .fields()
        .iter()
        .find(|f| f.field == name)
        .map(Rect::from)
        .unwrap_or_else(|| panic!("{name} is printed"))
}

/// Decodes any PNG to 8-bit luma as a verifier would.
fn decode_luma(png_bytes: &[u8]) -> (u32, u32, Vec<u8>) {
    let mut decoder = png::Decoder::new(std::io::Cursor::new(png_bytes));
    decoder.set_transformations(png::Transformations::EXPAND | png::Transformations::STRIP_16);
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let frame = reader.next_frame(&mut buf).unwrap();
    let channels = frame.color_type.samples();
    let luma = buf[..frame.buffer_size()]
        .chunks(channels)
        .map(|p| match channels {
            1 | 2 => p[0],
            _ => {
                let l =
                    (u32::from(p[0]) * 299 + u32::from(p[1]) * 587 + u32::from(p[2]) * 114) / 1000;
                u8::try_from(l).unwrap()
            }
        })
        .collect();
    (frame.width, frame.height, luma)
}

/// Encodes a bitmap as an 8-bit PNG of the given colour type (gray or RGB).
fn encode_8bit(bitmap: &Bitmap, color: png::ColorType) -> Vec<u8> {
    let samples = color.samples();
    let data: Vec<u8> = bitmap
        .pixels()
        .iter()
        .flat_map(|&p| std::iter::repeat_n(if p != 0 { 0 } else { 255 }, samples))
        .collect();
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, bitmap.width(), bitmap.height());
    encoder.set_color(color);
    encoder.set_depth(png::BitDepth::Eight);
    let mut writer = encoder.write_header().unwrap();
    writer.write_image_data(&data).unwrap();
    writer.finish().unwrap();
    out
}

/// Copies `rect` of `from` onto `to` at (`dx`, `dy`).
fn paste(to: &mut Bitmap, from: &Bitmap, rect: Rect, dx: u32, dy: u32) {
    for y in 0..rect.h {
        for x in 0..rect.w {
            to.set(dx + x, dy + y, from.ink(rect.x + x, rect.y + y));
        }
    }
}

/// Asserts that `detection` is Tampered with a region overlapping `edit`; returns the best IoU.
fn assert_found(label: &str, what: &str, detection: &Detection, edit: Rect) -> f64 {
    assert_eq!(
        detection.status,
        Status::Tampered,
        "{label}: {what}: {detection:?}"
    );
    let iou = detection
        .regions
        .iter()
        .map(|r| r.iou(&edit))
        .fold(0.0, f64::max);
    assert!(
        detection.regions.iter().any(|r| r.overlap(&edit) > 0),
        "{label}: {what}: no region overlaps {edit:?}: {:?}",
        detection.regions
    );
    let flagged: u64 = detection.regions.iter().map(Rect::area).sum();
    println!(
        "{label:22} {what:26} edit {:>3}x{:<3} hosts failed {:>2}/{:<3} regions {} best IoU {iou:.2} \
         flagged {flagged} px ({:.1}x the edit)",
        edit.w,
        edit.h,
        detection.hosts_failed,
        detection.hosts,
        detection.regions.len(),
        flagged as f64 / edit.area() as f64
    );
    iou
}

#[test]
fn clean_receipts_are_intact_after_lossless_copies() {
    for (label, receipt, key) in samples() {
        let image = marked(&receipt, &key);
        let protect = protected_areas(receipt.fields());
        let d = check_bitmap(&receipt, &image, &key);
        assert_eq!(d.status, Status::Intact, "{label}: {d:?}");
        assert_eq!((d.mismatched_bits, d.blocks_unchecked), (0, 0), "{label}");
        assert_eq!(
            d.blocks_checked, d.blocks,
            "{label}: every block is covered"
        );
        for (how, png_bytes) in [
            ("1-bit PNG", encode_png(&image)),
            (
                "8-bit gray PNG",
                encode_8bit(&image, png::ColorType::Grayscale),
            ),
            ("RGB PNG", encode_8bit(&image, png::ColorType::Rgb)),
        ] {
            let (w, h, luma) = decode_luma(&png_bytes);
            let d = detect(w, h, &luma, &key, &protect);
            assert_eq!(d.status, Status::Intact, "{label} as {how}: {d:?}");
        }
    }
}

#[test]
fn unmarked_images_and_other_keys_carry_no_mark() {
    for (label, receipt, key) in samples().into_iter().step_by(3) {
        let d = check_bitmap(&receipt, receipt.bitmap(), &key);
        assert_eq!(
            d.status,
            Status::NotCheckable(Unchecked::NoMark),
            "{label}: {d:?}"
        );
        let image = marked(&receipt, &key);
        let other = WatermarkKey::derive(&[7; 64], &RECEIPT_ID);
        let d = check_bitmap(&receipt, &image, &other);
        assert_eq!(
            d.status,
            Status::NotCheckable(Unchecked::NoMark),
            "{label}: {d:?}"
        );
        let unsigned = WatermarkKey::unsigned(&[7; 32], &RECEIPT_ID);
        assert!(!unsigned.is_signed() && key.is_signed());
        let d = check_bitmap(&receipt, &image, &unsigned);
        assert_ne!(d.status, Status::Intact, "{label}");
        println!("{label}: score under a wrong key {:.3}", d.score());
    }
}

#[test]
fn embedding_is_deterministic_and_keeps_protected_areas() {
    for (label, receipt, key) in samples() {
        let first = marked(&receipt, &key);
        assert_eq!(first, marked(&receipt, &key), "{label}");
        for area in protected_areas(receipt.fields()) {
            for y in area.y..area.y + area.h {
                for x in area.x..area.x + area.w {
                    assert_eq!(first.ink(x, y), receipt.bitmap().ink(x, y), "{label}");
                }
            }
        }
    }
}

/// Edits of printed content, each on every sample that has the field it edits.
#[test]
fn edits_are_detected_and_located() {
    let font = FontPack::active().unwrap();
    let all = samples();
    let mut ious = Vec::new();
    for (i, (label, receipt, key)) in all.iter().enumerate() {
        let image = marked(receipt, key);
        let mut record = |what: &str, edited: &Bitmap, edit: Rect| {
            assert_ne!(edited, &image, "{label}: {what} changed nothing");
            let d = check_bitmap(receipt, edited, key);
            ious.push(assert_found(label, what, &d, edit));
        };

        // One digit of the amount replaced by another digit of the same font.
        let amount = field(receipt, "amount");
        let scale = if amount.h >= 48 { 2 } else { 1 };
        let (cw, ch) = (font.cell_width() * scale, font.cell_height() * scale);
        let right = amount.x + amount.w;
        let digit = Rect {
            x: right - 4 * cw,
            y: amount.y + amount.h - ch,
            w: cw,
            h: ch,
        };
        let mut edited = image.clone();
        edited.fill(digit.x, digit.y, digit.w, digit.h, false);
        edited.text(font, digit.x, digit.y, "9", scale, true);
        if edited == image {
            edited.fill(digit.x, digit.y, digit.w, digit.h, false);
            edited.text(font, digit.x, digit.y, "3", scale, true);
        }
        record("amount digit", &edited, digit);

        // A text line erased.
        let pan = field(receipt, "card.masked_pan");
        let mut edited = image.clone();
        edited.fill(pan.x, pan.y, pan.w, pan.h, false);
        record("card line erased", &edited, pan);

        // A patch from another receipt, pasted at the same position.
        let (_, other, other_key) = &all[(i + 2) % all.len()];
        let other_image = marked(other, other_key);
        let patch = field(receipt, "terminal_id");
        let mut edited = image.clone();
        paste(&mut edited, &other_image, patch, patch.x, patch.y);
        if edited != image {
            record("patch from another", &edited, patch);
        }

        // The collage attack: the same content marked for another receipt id, pasted
        // block-aligned over the card line: only the marks differ.
        let twin_key = WatermarkKey::derive(b"another receipt's signature", &[9; 16]);
        let twin = marked(receipt, &twin_key);
        let rows = Rect {
            x: 0,
            y: pan.y / BLOCK_SIZE * BLOCK_SIZE,
            w: image.width(),
            h: 2 * BLOCK_SIZE,
        };
        let mut edited = image.clone();
        paste(&mut edited, &twin, rows, rows.x, rows.y);
        record("collage, same content", &edited, rows);

        // Copy-move within the receipt: the trace number line copied over the batch line.
        let from = field(receipt, "trace_number");
        let to = field(receipt, "batch_number");
        let mut edited = image.clone();
        paste(&mut edited, &image, from, to.x, to.y);
        record(
            "copy-move",
            &edited,
            Rect {
                x: to.x,
                y: to.y,
                w: from.w,
                h: from.h,
            },
        );

        // Ink added on blank paper: a word written in the bottom margin.
        let h = image.height();
        let mut edited = image.clone();
        edited.text(font, 200, h - 26, "PAID", 1, true);
        record(
            "ink on blank paper",
            &edited,
            Rect {
                x: 200,
                y: h - 26,
                w: 48,
                h: 24,
            },
        );

        // The QR code swapped for another.
        let qr = field(receipt, "qr");
        let mut edited = image.clone();
        for y in 0..qr.h / 2 {
            for x in 0..qr.w / 2 {
                let (x, y) = (qr.x + qr.w / 4 + x, qr.y + qr.h / 4 + y);
                edited.set(x, y, !image.ink(x, y));
            }
        }
        record("QR modules inverted", &edited, qr);

        // The bottom cropped off (two blocks).
        let mut cropped = Bitmap::new(image.width(), h - 2 * BLOCK_SIZE);
        paste(
            &mut cropped,
            &image,
            Rect {
                x: 0,
                y: 0,
                w: image.width(),
                h: h - 48,
            },
            0,
            0,
        );
        let d = check_bitmap(receipt, &cropped, key);
        assert_ne!(d.status, Status::Intact, "{label}: cropped");
    }
    ious.sort_by(f64::total_cmp);
    println!(
        "IoU over {} edits: min {:.2} median {:.2} max {:.2}",
        ious.len(),
        ious[0],
        ious[ious.len() / 2],
        ious[ious.len() - 1]
    );
}

#[test]
fn a_swapped_signature_is_detected() {
    for paper in [Paper::Mm80, Paper::Mm58] {
        let names = names("transactions");
        let i = names.iter().position(|n| n == "cny-sale").unwrap();
        let receipt = render(i, "cny-sale", paper, Some(0));
        let forged = render(i, "cny-sale", paper, Some(1));
        let key = key_for("cny-sale");
        let image = marked(&receipt, &key);
        let band = field(&receipt, "signature");
        for (what, source) in [
            ("signature, unmarked", forged.bitmap().clone()),
            ("signature, other key", marked(&forged, &key_for("other"))),
        ] {
            let mut edited = image.clone();
            paste(&mut edited, &source, band, band.x, band.y);
            assert_ne!(edited, image);
            let d = check_bitmap(&receipt, &edited, &key);
            assert_found(&format!("cny-sale/{}", paper.width()), what, &d, band);
        }
    }
}

#[test]
fn every_single_carrier_flip_is_detected() {
    let (label, receipt, key) = samples().swap_remove(2);
    let image = marked(&receipt, &key);
    let plane = Plane {
        width: to_usize(image.width()),
        height: to_usize(image.height()),
        ink: image.pixels(),
    };
    let layout = Layout::new(&plane, &protected_areas(receipt.fields()));
    for carriers in layout.carriers.iter().step_by(7) {
        for &c in carriers.iter().step_by(3) {
            let (x, y) = (c % plane.width, c / plane.width);
            let (x, y) = (u32::try_from(x).unwrap(), u32::try_from(y).unwrap());
            let mut edited = image.clone();
            edited.set(x, y, !image.ink(x, y));
            let d = check_bitmap(&receipt, &edited, &key);
            let at = Rect { x, y, w: 1, h: 1 };
            assert_eq!(d.status, Status::Tampered, "{label}: carrier ({x}, {y})");
            assert!(d.regions.iter().any(|r| r.overlap(&at) == 1));
        }
    }
}

#[test]
fn lossy_and_resized_copies_are_not_checkable() {
    let (label, receipt, key) = samples().swap_remove(0);
    let image = marked(&receipt, &key);
    let protect = protected_areas(receipt.fields());
    let (w, h) = (image.width(), image.height());
    let luma: Vec<u8> = image.pixels().iter().map(|&p| 255 - 255 * p).collect();
    // A 3×3 box blur, as after JPEG or scaling: gray around every stroke.
    let (wu, hu) = (to_usize(w), to_usize(h));
    let mut blurred = luma.clone();
    for y in 1..hu - 1 {
        for x in 1..wu - 1 {
            let sum: u32 = (0..9)
                .map(|k| u32::from(luma[(y + k / 3 - 1) * wu + x + k % 3 - 1]))
                .sum();
            blurred[y * wu + x] = u8::try_from(sum / 9).unwrap();
        }
    }
    let d = detect(w, h, &blurred, &key, &protect);
    assert!(
        matches!(d.status, Status::NotCheckable(Unchecked::Lossy { .. })),
        "{label}: {d:?}"
    );
    // Scaled to 90 % (nearest neighbour): not a paper width.
    let (sw, sh) = (w * 9 / 10, h * 9 / 10);
    let scaled: Vec<u8> = (0..sh)
        .flat_map(|y| (0..sw).map(move |x| (x, y)))
        .map(|(x, y)| luma[to_usize(y * 10 / 9 * w + x * 10 / 9)])
        .collect();
    let d = detect(sw, sh, &scaled, &key, &protect);
    assert!(
        matches!(
            d.status,
            Status::NotCheckable(Unchecked::UnexpectedSize { .. })
        ),
        "{label}: {d:?}"
    );
    let d = detect(w, h, &luma[1..], &key, &protect);
    assert_eq!(d.status, Status::NotCheckable(Unchecked::Malformed));
    let blank = vec![255; luma.len()];
    let d = detect(w, h, &blank, &key, &protect);
    assert_eq!(d.status, Status::NotCheckable(Unchecked::NoCapacity));
}

#[test]
fn size_cost_is_within_target() {
    let mut worst: f64 = 0.0;
    for (label, receipt, key) in samples() {
        let plain = encode_png(receipt.bitmap()).len();
        let image = marked(&receipt, &key);
        let flips = image
            .pixels()
            .iter()
            .zip(receipt.bitmap().pixels())
            .filter(|(a, b)| a != b)
            .count();
        let wm = encode_png(&image).len();
        let ratio = wm as f64 / plain as f64;
        worst = worst.max(ratio);
        let d = check_bitmap(&receipt, &image, &key);
        println!(
            "{label:22} {}x{}  PNG {plain:>6} -> {wm:>6} bytes  ratio {ratio:.3}  {flips} pixels \
             flipped ({:.2} bytes each), {} hosts for {} blocks",
            image.width(),
            image.height(),
            (wm - plain) as f64 / flips as f64,
            d.hosts,
            d.blocks
        );
    }
    assert!(worst <= 1.15, "worst ratio {worst:.3}");
}

#[test]
fn rough_timing() {
    let (label, receipt, key) = samples().swap_remove(0);
    let protect = protected_areas(receipt.fields());
    let start = std::time::Instant::now();
    let image = embed(receipt.bitmap(), &key, &protect);
    let embed_time = start.elapsed();
    let start = std::time::Instant::now();
    let d = detect_bitmap(&image, &key, &protect);
    let detect_time = start.elapsed();
    assert_eq!(d.status, Status::Intact);
    println!(
        "{label}: embed {embed_time:?}, detect {detect_time:?} (debug build unless --release)"
    );
}

/// Writes a clean and a marked receipt and 1:1 crops of both to the temporary directory, to
/// look at: `cargo test -p ereceipt-core watermark::tests::write_samples -- --ignored`.
#[test]
#[ignore = "writes files for a person to look at"]
fn write_samples() {
    let (_, receipt, key) = samples().swap_remove(0);
    let image = marked(&receipt, &key);
    let dir = std::env::temp_dir();
    std::fs::write(dir.join("wm-clean.png"), encode_png(receipt.bitmap())).unwrap();
    std::fs::write(dir.join("wm-marked.png"), encode_png(&image)).unwrap();
    let crop = |b: &Bitmap, r: Rect, scale: u32| {
        let mut out = Bitmap::new(r.w * scale, r.h * scale);
        for y in 0..r.h * scale {
            for x in 0..r.w * scale {
                out.set(x, y, b.ink(r.x + x / scale, r.y + y / scale));
            }
        }
        out
    };
    let area = Rect {
        x: 0,
        y: field(&receipt, "card.masked_pan").y - 60,
        w: 576,
        h: 240,
    };
    for (name, b) in [("clean", receipt.bitmap()), ("marked", &image)] {
        std::fs::write(
            dir.join(format!("wm-crop-{name}.png")),
            encode_png(&crop(b, area, 1)),
        )
        .unwrap();
        let zoom = Rect {
            x: 0,
            y: area.y,
            w: 200,
            h: 100,
        };
        std::fs::write(
            dir.join(format!("wm-zoom-{name}.png")),
            encode_png(&crop(b, zoom, 4)),
        )
        .unwrap();
    }
    // The flipped pixels of the zoomed area, each drawn as a 3×3 square.
    let mut diff = Bitmap::new(area.w, area.h);
    for y in 0..area.h {
        for x in 0..area.w {
            let a = receipt.bitmap().ink(area.x + x, area.y + y);
            let b = image.ink(area.x + x, area.y + y);
            if a != b {
                diff.fill(x.saturating_sub(1), y.saturating_sub(1), 3, 3, true);
            }
        }
    }
    let zoom = Rect {
        x: 0,
        y: 0,
        w: 200,
        h: 100,
    };
    std::fs::write(
        dir.join("wm-zoom-flips.png"),
        encode_png(&crop(&diff, zoom, 4)),
    )
    .unwrap();
}

mod properties {
    use super::super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        #[test]
        fn detect_never_panics(
            width in prop_oneof![Just(384u32), Just(576u32), 0u32..700],
            height in 0u32..120,
            seed in any::<u64>(),
            extra in 0usize..3,
            gray in any::<bool>(),
        ) {
            let len = to_usize(width * height) + extra % 2;
            let mut state = seed | 1;
            let luma: Vec<u8> = (0..len).map(|_| {
                state ^= state << 13; state ^= state >> 7; state ^= state << 17;
                let v = u8::try_from(state >> 56).unwrap();
                if gray { v } else if v < 90 { 0 } else { 255 }
            }).collect();
            let key = WatermarkKey::derive(&seed.to_be_bytes(), &[1; 16]);
            let protect = [Rect { x: 10, y: 10, w: 50, h: u32::MAX }];
            let d = detect(width, height, &luma, &key, &protect);
            prop_assert_eq!(d.blocks, d.blocks_checked + d.blocks_unchecked);
        }

        #[test]
        fn any_marked_bitmap_checks_intact(
            height in 24u32..100,
            seed in any::<u64>(),
            density in 1u64..8,
        ) {
            let mut bitmap = Bitmap::new(384, height);
            let mut state = seed | 1;
            for y in 0..height {
                for x in 0..384 {
                    state ^= state << 13; state ^= state >> 7; state ^= state << 17;
                    bitmap.set(x, y, state % 8 < density);
                }
            }
            let key = WatermarkKey::derive(&seed.to_le_bytes(), &[2; 16]);
            let image = embed(&bitmap, &key, &[]);
            let d = detect_bitmap(&image, &key, &[]);
            prop_assert!(
                matches!(d.status, Status::Intact | Status::NotCheckable(Unchecked::NoCapacity)),
                "{:?}", d
            );
        }
    }
}
