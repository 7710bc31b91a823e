//! A library built without the `embedded-font` feature (the phone builds) draws nothing until
//! the app installs the shipped pack file, and says so with a typed error instead of panicking.
//! Its own process, so that nothing installed the pack before: run with
//! `cargo test -p ereceipt-core --no-default-features --test font_install`.
#![cfg(not(feature = "embedded-font"))]
#![allow(clippy::unwrap_used, reason = "a test")]

use ereceipt_core::render::font::{FontError, FontPack, PACK_FILE_NAME, PACK_ID};

#[test]
fn nothing_is_drawn_before_the_pack_is_installed_and_everything_after() {
    assert_eq!(FontPack::active().err(), Some(FontError::NotInstalled));

    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("assets/fontpack")
        .join(PACK_FILE_NAME);
    let bytes = std::fs::read(path).unwrap();
    assert_eq!(
        FontPack::install(&bytes[..bytes.len() - 1]),
        Err(FontError::Corrupt)
    );
    assert_eq!(FontPack::active().err(), Some(FontError::NotInstalled));

    FontPack::install(&bytes).unwrap();
    let pack = FontPack::active().unwrap();
    assert_eq!(pack.id(), PACK_ID);
    assert_eq!(pack.text_cells("金额 TOTAL"), Ok(10));
}
