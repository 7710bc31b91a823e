//! The verify page: upload a receipt image, read the verdict in plain words, see the receipt
//! with the altered regions of the verifier's report outlined in red. The outlined image is
//! drawn on the server (the `image` crate) and sent inline as a `data:` URL, so the page needs
//! no script and the upload is never stored.

use super::session::Visitor;
use super::{Chrome, fallback, internal, message, page};
use crate::api::verify::check as verify_image;
use crate::error::PlatformError;
use crate::state::AppState;
use askama::Template;
use axum::body::Bytes;
use axum::extract::{Multipart, State};
use axum::http::{Extensions, HeaderMap, StatusCode};
use axum::response::Response;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use ereceipt_core::record::{Outcome, Region, VerificationReport};
use image::{ImageFormat, Rgb, RgbImage};
use std::io::Cursor;

/// The outline's width in pixels.
const OUTLINE: u32 = 3;

/// What the page shows after a check.
#[derive(Debug)]
pub(crate) struct Checked {
    outcome: &'static str,
    good: bool,
    verdict: &'static str,
    fields: Vec<String>,
    /// How many regions are outlined.
    regions: usize,
    image: Option<String>,
    checks: Vec<String>,
}

#[derive(Template)]
#[template(path = "web/verify.html")]
struct VerifyPage<'a> {
    c: &'a Chrome,
    result: Option<&'a Checked>,
}

fn verify_page(
    state: &AppState,
    v: &Visitor,
    status: StatusCode,
    result: Option<&Checked>,
) -> Response {
    let c = Chrome::of(state, v);
    page(v, status, VerifyPage { c: &c, result }.render())
}

/// `GET /verify`.
pub(super) async fn form(
    State(state): State<AppState>,
    headers: HeaderMap,
    extensions: Extensions,
) -> Response {
    match Visitor::of(&state, &headers, &extensions).await {
        Ok(v) => verify_page(&state, &v, StatusCode::OK, None),
        Err(e) => fallback(&e),
    }
}

/// `POST /verify` (multipart: `csrf`, `image`).
pub(super) async fn check(
    State(state): State<AppState>,
    headers: HeaderMap,
    extensions: Extensions,
    multipart: Multipart,
) -> Response {
    let v = match Visitor::of(&state, &headers, &extensions).await {
        Ok(v) => v,
        Err(e) => return fallback(&e),
    };
    let t = v.lang.texts();
    let Some((csrf, image)) = read_form(multipart).await else {
        let result = unreadable(t.verdict_unreadable);
        return verify_page(&state, &v, StatusCode::BAD_REQUEST, Some(&result));
    };
    if !v.csrf_ok(&state, &csrf) {
        return message(&state, &v, StatusCode::FORBIDDEN, t.expired_form);
    }
    let (report, outcome) = match verify_image(&state, image.clone()).await {
        Ok(checked) => checked,
        Err(e) if e.status().is_client_error() => {
            let result = unreadable(t.verdict_unreadable);
            return verify_page(&state, &v, StatusCode::BAD_REQUEST, Some(&result));
        }
        Err(_) => {
            return internal(&state, &v, &PlatformError::config("verification failed"));
        }
    };
    let regions = report.regions.clone();
    let outlined = tokio::task::spawn_blocking(move || outline(&image, &regions)).await;
    let image = match outlined {
        Ok(image) => image,
        Err(e) => return internal(&state, &v, &e.into()),
    };
    let result = Checked {
        outcome,
        good: outcome == "authentic",
        verdict: match outcome {
            "authentic" => t.verdict_authentic,
            "tampered" => t.verdict_tampered,
            _ => t.verdict_not_authentic,
        },
        fields: altered_fields(&report),
        regions: report.regions.len(),
        image,
        checks: report
            .checks
            .iter()
            .map(|c| format!("{}: {} — {}", c.name, outcome_word(c.outcome), c.detail))
            .collect(),
    };
    verify_page(&state, &v, StatusCode::OK, Some(&result))
}

fn unreadable(verdict: &'static str) -> Checked {
    Checked {
        outcome: "unreadable",
        good: false,
        verdict,
        fields: Vec::new(),
        regions: 0,
        image: None,
        checks: Vec::new(),
    }
}

/// The CSRF token and the image of the form; `None` when either is missing or unreadable.
async fn read_form(mut multipart: Multipart) -> Option<(String, Bytes)> {
    let (mut csrf, mut image) = (None, None);
    while let Ok(Some(field)) = multipart.next_field().await {
        match field.name() {
            Some("csrf") => csrf = field.text().await.ok(),
            Some("image") => image = field.bytes().await.ok(),
            _ => {}
        }
    }
    Some((csrf?, image.filter(|i| !i.is_empty())?))
}

fn outcome_word(outcome: Outcome) -> &'static str {
    match outcome {
        Outcome::Passed => "passed",
        Outcome::Failed => "failed",
        Outcome::Skipped => "skipped",
    }
}

/// The printed fields the altered regions touch, each once.
fn altered_fields(report: &VerificationReport) -> Vec<String> {
    let mut fields: Vec<String> = report
        .regions
        .iter()
        .flat_map(|r| r.fields.iter().cloned())
        .collect();
    fields.sort();
    fields.dedup();
    fields
}

/// The image with every region outlined in red, as a `data:image/png` URL; `None` when the
/// image cannot be decoded (the verifier read it, so this is unexpected).
fn outline(image: &[u8], regions: &[Region]) -> Option<String> {
    let mut canvas: RgbImage = image::load_from_memory(image).ok()?.to_rgb8();
    for region in regions {
        draw_box(&mut canvas, region);
    }
    let mut png = Cursor::new(Vec::new());
    canvas.write_to(&mut png, ImageFormat::Png).ok()?;
    Some(format!(
        "data:image/png;base64,{}",
        STANDARD.encode(png.into_inner())
    ))
}

/// Draws a red frame just outside `region` (so the altered pixels stay visible), clipped to
/// the image.
fn draw_box(canvas: &mut RgbImage, region: &Region) {
    let red = Rgb([220, 0, 0]);
    let (width, height) = canvas.dimensions();
    let left = region.x.saturating_sub(OUTLINE);
    let top = region.y.saturating_sub(OUTLINE);
    let right = region
        .x
        .saturating_add(region.w)
        .saturating_add(OUTLINE)
        .min(width);
    let bottom = region
        .y
        .saturating_add(region.h)
        .saturating_add(OUTLINE)
        .min(height);
    for y in top..bottom {
        for x in left..right {
            let edge = x < left + OUTLINE
                || x + OUTLINE >= right
                || y < top + OUTLINE
                || y + OUTLINE >= bottom;
            if edge {
                canvas.put_pixel(x, y, red);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn boxes_are_clipped_to_the_image() {
        let mut canvas = RgbImage::new(20, 20);
        let region = Region {
            x: 15,
            y: 15,
            w: 40,
            h: 40,
            fields: vec!["amount".to_owned()],
        };
        draw_box(&mut canvas, &region);
        assert_eq!(canvas.get_pixel(12, 12), &Rgb([220, 0, 0]));
        assert_eq!(canvas.get_pixel(16, 16), &Rgb([0, 0, 0]));
    }
}
