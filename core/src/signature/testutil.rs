//! Helpers shared by the module's tests.

use super::{PadGeometry, Point, Signature};
use proptest::prelude::*;

/// Arbitrary valid signatures: any pad, 1..6 strokes, with or without pressure.
pub(crate) fn arb_signature() -> impl Strategy<Value = Signature> {
    (1u32..=10_000, 1u32..=10_000, 50u32..=1_000, any::<bool>())
        .prop_flat_map(|(w, h, dpi, pressure)| {
            let point = (0.0..=1.0f32, 0.0..=1.0f32, 0u64..100_000, 0.0..=1.0f32);
            let strokes = prop::collection::vec(prop::collection::vec(point, 1..40), 1..6);
            (Just((w, h, dpi, pressure)), strokes)
        })
        .prop_map(|((w, h, dpi, pressure), strokes)| {
            let pad = PadGeometry::new(w, h, dpi).unwrap();
            let mut t = 0;
            let strokes: Vec<Vec<Point>> = strokes
                .into_iter()
                .map(|s| {
                    s.into_iter()
                        .map(|(fx, fy, dt, pr)| {
                            t += dt;
                            let p = Point::new(fx * w as f32, fy * h as f32, t);
                            if pressure { p.with_pressure(pr) } else { p }
                        })
                        .collect()
                })
                .collect();
            Signature::from_strokes(pad, &strokes).unwrap()
        })
}

/// A recorded signature of `tests/data/signatures/`.
pub(crate) fn fixture(name: &str) -> Signature {
    let path = format!(
        "{}/../tests/data/signatures/{name}.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let json = std::fs::read_to_string(&path).unwrap();
    Signature::from_json(&json).unwrap()
}

/// The names of all recorded signatures, sorted.
pub(crate) fn fixture_names() -> Vec<String> {
    let dir = format!("{}/../tests/data/signatures", env!("CARGO_MANIFEST_DIR"));
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| {
            e.unwrap()
                .file_name()
                .into_string()
                .ok()?
                .strip_suffix(".json")
                .map(str::to_owned)
        })
        .collect();
    names.sort();
    names
}
