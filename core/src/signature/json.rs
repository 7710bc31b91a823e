//! The `ereceipt-strokes/1` JSON form, used by the CLI and the test fixtures.

use super::model::{Quantizer, RawPoint};
use super::{PadGeometry, Signature, SignatureError, Stroke};
use serde_json::{Map, Value};
use std::fmt::Write as _;

/// The value of the `format` member.
const FORMAT: &str = "ereceipt-strokes/1";

/// The largest time accepted in the JSON form: integral milliseconds are exact in `f64` below it.
const MAX_JSON_TIME: f64 = 9_007_199_254_740_992.0;

impl Signature {
    /// Reads the JSON form:
    ///
    /// ```json
    /// {"format": "ereceipt-strokes/1",
    ///  "pad": {"width": 1200, "height": 480, "dpi": 267},
    ///  "strokes": [[{"x": 10.5, "y": 20.25, "t": 86400123, "p": 0.42}, ...], ...]}
    /// ```
    ///
    /// `x` and `y` are in pad pixels; `t` in milliseconds on any clock (the times are rebased to
    /// the first point; fractions are rounded to the nearest millisecond); `p` is the pressure
    /// 0..=1, on every point or on none. Members other than these are refused, so that nothing a
    /// device sent is silently dropped. Points are quantized as by [`Self::from_strokes`].
    ///
    /// Never panics; error messages name the field (`strokes[2][7].x`) but never echo a value.
    ///
    /// # Errors
    /// [`SignatureError::JsonTooLarge`], [`SignatureError::JsonSyntax`],
    /// [`SignatureError::UnknownFormat`], [`SignatureError::JsonField`], and the errors of
    /// [`Self::from_strokes`].
    pub fn from_json(json: &str) -> Result<Self, SignatureError> {
        if json.len() > Self::MAX_JSON_LEN {
            return Err(SignatureError::JsonTooLarge {
                max: Self::MAX_JSON_LEN,
            });
        }
        let value: Value = serde_json::from_str(json).map_err(|e| SignatureError::JsonSyntax {
            line: e.line(),
            column: e.column(),
        })?;
        let root = object(&value, || "top level".into())?;
        if root.get("format").and_then(Value::as_str) != Some(FORMAT) {
            return Err(SignatureError::UnknownFormat);
        }
        only(root, &["format", "pad", "strokes"], || "top level".into())?;

        let pad = object(member(root, "pad", || "pad".into())?, || "pad".into())?;
        only(pad, &["width", "height", "dpi"], || "pad".into())?;
        let dim = |name: &'static str| -> Result<u32, SignatureError> {
            let v = member(pad, name, || format!("pad.{name}"))?;
            let v = v
                .as_u64()
                .ok_or_else(|| field(format!("pad.{name}"), "expected an integer"))?;
            u32::try_from(v).map_err(|_| SignatureError::InvalidPad { field: name })
        };
        let pad = PadGeometry::new(dim("width")?, dim("height")?, dim("dpi")?)?;

        let strokes = member(root, "strokes", || "strokes".into())?
            .as_array()
            .ok_or_else(|| field("strokes".into(), "expected an array"))?;
        if strokes.is_empty() {
            return Err(SignatureError::Empty);
        }
        if strokes.len() > Self::MAX_STROKES {
            return Err(SignatureError::TooManyStrokes {
                max: Self::MAX_STROKES,
            });
        }
        let mut arrays = Vec::with_capacity(strokes.len());
        for (i, s) in strokes.iter().enumerate() {
            let points = s
                .as_array()
                .ok_or_else(|| field(format!("strokes[{i}]"), "expected an array"))?;
            if points.is_empty() {
                return Err(SignatureError::EmptyStroke);
            }
            arrays.push(points);
        }
        if arrays.iter().map(|a| a.len()).sum::<usize>() > Self::MAX_POINTS {
            return Err(SignatureError::TooManyPoints {
                max: Self::MAX_POINTS,
            });
        }

        let mut quantizer = Quantizer::new(pad);
        let mut out = Vec::with_capacity(arrays.len());
        for (i, points) in arrays.into_iter().enumerate() {
            let mut stroke = Vec::with_capacity(points.len());
            for (j, p) in points.iter().enumerate() {
                let path = || format!("strokes[{i}][{j}]");
                let obj = object(p, path)?;
                only(obj, &["x", "y", "t", "p"], path)?;
                let number = |name: &str| -> Result<Option<f64>, SignatureError> {
                    match obj.get(name) {
                        None => Ok(None),
                        Some(v) => v.as_f64().map(Some).ok_or_else(|| {
                            field(format!("{}.{name}", path()), "expected a number")
                        }),
                    }
                };
                let required = |name: &str| -> Result<f64, SignatureError> {
                    number(name)?.ok_or_else(|| field(format!("{}.{name}", path()), "missing"))
                };
                let t = match obj.get("t") {
                    Some(v) if v.is_u64() => v.as_u64().expect("is_u64 checked"),
                    _ => {
                        let t = required("t")?.round();
                        if !(0.0..=MAX_JSON_TIME).contains(&t) {
                            return Err(field(
                                format!("{}.t", path()),
                                "expected a time 0..=2^53 ms",
                            ));
                        }
                        saturating_u64(t)
                    }
                };
                let raw = RawPoint {
                    x: required("x")?,
                    y: required("y")?,
                    t_ms: t,
                    pressure: number("p")?,
                };
                stroke.push(quantizer.push(raw)?);
            }
            out.push(Stroke { points: stroke });
        }
        Ok(Self::from_valid_parts(pad, out))
    }

    /// Writes the JSON form (compact, on one line). Times start at 0; coordinates are exact
    /// (multiples of 1/8 pixel); pressures have six decimals, enough to read back the same
    /// 16-bit value. `from_json(to_json(s)) == s`.
    pub fn to_json(&self) -> String {
        let pad = self.pad();
        let mut out = String::with_capacity(80 + self.point_count() * 48);
        // Writing to a `String` cannot fail.
        let _ = write!(
            out,
            r#"{{"format":"{FORMAT}","pad":{{"width":{},"height":{},"dpi":{}}},"strokes":["#,
            pad.width(),
            pad.height(),
            pad.dpi()
        );
        for (i, stroke) in self.strokes().iter().enumerate() {
            out.push_str(if i == 0 { "[" } else { ",[" });
            for (j, p) in stroke.points().iter().enumerate() {
                let sep = if j == 0 { "" } else { "," };
                let _ = write!(
                    out,
                    r#"{sep}{{"x":{},"y":{},"t":{}"#,
                    p.x(),
                    p.y(),
                    p.t_ms()
                );
                if let Some(pr) = p.pressure() {
                    let text = format!("{pr:.6}");
                    let text = text.trim_end_matches('0').trim_end_matches('.');
                    let _ = write!(out, r#","p":{text}"#);
                }
                out.push('}');
            }
            out.push(']');
        }
        out.push_str("]}");
        out
    }
}

fn field(path: String, reason: &'static str) -> SignatureError {
    SignatureError::JsonField { path, reason }
}

fn object(v: &Value, path: impl Fn() -> String) -> Result<&Map<String, Value>, SignatureError> {
    v.as_object()
        .ok_or_else(|| field(path(), "expected an object"))
}

fn member<'a>(
    obj: &'a Map<String, Value>,
    name: &'static str,
    path: impl Fn() -> String,
) -> Result<&'a Value, SignatureError> {
    obj.get(name).ok_or_else(|| field(path(), "missing"))
}

/// Refuses members not in `allowed`. The error names the object, not the member: its name is
/// the input's text.
fn only(
    obj: &Map<String, Value>,
    allowed: &[&str],
    path: impl Fn() -> String,
) -> Result<(), SignatureError> {
    if obj.keys().all(|k| allowed.contains(&k.as_str())) {
        Ok(())
    } else {
        Err(field(path(), "unexpected member"))
    }
}

#[expect(
    clippy::cast_possible_truncation,
    reason = "callers pass integers in 0..=2^53"
)]
fn saturating_u64(v: f64) -> u64 {
    v as u64
}

#[cfg(test)]
mod tests {
    use super::super::Point;
    use super::*;
    use proptest::prelude::*;

    const SAMPLE: &str = r#"{"format":"ereceipt-strokes/1","pad":{"width":320,"height":200,"dpi":160},
        "strokes":[[{"x":10,"y":20,"t":86400000,"p":0.5},{"x":10.5,"y":19.25,"t":86400016.4,"p":0.75}],
                   [{"x":300,"y":180,"t":86400300,"p":0}]]}"#;

    #[test]
    fn reads_and_rebases() {
        let s = Signature::from_json(SAMPLE).unwrap();
        let p = |x, y, t, pr| Point::new(x, y, t).with_pressure(pr);
        let expected = Signature::from_strokes(
            s.pad(),
            &[
                vec![p(10.0, 20.0, 1000, 0.5), p(10.5, 19.25, 1016, 0.75)],
                vec![p(300.0, 180.0, 1300, 0.0)],
            ],
        )
        .unwrap();
        assert_eq!(s, expected);
        assert_eq!(
            s.to_json(),
            r#"{"format":"ereceipt-strokes/1","pad":{"width":320,"height":200,"dpi":160},"strokes":[[{"x":10,"y":20,"t":0,"p":0.500008},{"x":10.5,"y":19.25,"t":16,"p":0.749996}],[{"x":300,"y":180,"t":300,"p":0}]]}"#
        );
    }

    fn err(json: &str) -> SignatureError {
        Signature::from_json(json).unwrap_err()
    }

    fn with_strokes(strokes: &str) -> String {
        format!(
            r#"{{"format":"ereceipt-strokes/1","pad":{{"width":320,"height":200,"dpi":160}},"strokes":{strokes}}}"#
        )
    }

    #[test]
    fn errors_name_the_field_but_never_a_value() {
        use SignatureError as E;
        let f = |path: &str, reason| E::JsonField {
            path: path.into(),
            reason,
        };
        assert_eq!(err("{"), E::JsonSyntax { line: 1, column: 1 });
        assert_eq!(err("[]"), f("top level", "expected an object"));
        assert_eq!(err(r#"{"format":"ereceipt-strokes/2"}"#), E::UnknownFormat);
        assert_eq!(err(r#"{"strokes":[]}"#), E::UnknownFormat);
        assert_eq!(
            err(r#"{"format":"ereceipt-strokes/1"}"#),
            f("pad", "missing")
        );
        assert_eq!(
            err(r#"{"format":"ereceipt-strokes/1","pad":{"width":1,"height":1,"dpi":160},"x":1}"#),
            f("top level", "unexpected member")
        );
        assert_eq!(
            err(r#"{"format":"ereceipt-strokes/1","pad":{"width":1.5,"height":1,"dpi":160}}"#),
            f("pad.width", "expected an integer")
        );
        assert_eq!(
            err(r#"{"format":"ereceipt-strokes/1","pad":{"width":1,"height":1,"dpi":5000000000}}"#),
            E::InvalidPad { field: "dpi" }
        );
        assert_eq!(
            err(r#"{"format":"ereceipt-strokes/1","pad":{"width":1,"height":1,"dpi":160}}"#),
            f("strokes", "missing")
        );
        assert_eq!(err(&with_strokes("{}")), f("strokes", "expected an array"));
        assert_eq!(err(&with_strokes("[]")), E::Empty);
        assert_eq!(err(&with_strokes("[[]]")), E::EmptyStroke);
        assert_eq!(
            err(&with_strokes("[1]")),
            f("strokes[0]", "expected an array")
        );
        assert_eq!(
            err(&with_strokes(r#"[[{"x":1,"y":2,"t":0}],[7]]"#)),
            f("strokes[1][0]", "expected an object")
        );
        assert_eq!(
            err(&with_strokes(r#"[[{"x":1,"y":2}]]"#)),
            f("strokes[0][0].t", "missing")
        );
        assert_eq!(
            err(&with_strokes(r#"[[{"x":"12.5","y":2,"t":0}]]"#)),
            f("strokes[0][0].x", "expected a number")
        );
        assert_eq!(
            err(&with_strokes(r#"[[{"x":1,"y":2,"t":-5}]]"#)),
            f("strokes[0][0].t", "expected a time 0..=2^53 ms")
        );
        assert_eq!(
            err(&with_strokes(r#"[[{"x":1,"y":2,"t":0,"q":1}]]"#)),
            f("strokes[0][0]", "unexpected member")
        );
        assert_eq!(
            err(&with_strokes(r#"[[{"x":1234.5,"y":2,"t":0}]]"#)),
            E::OutOfPad
        );
        assert_eq!(
            err(&with_strokes(r#"[[{"x":1,"y":2,"t":0,"p":1.5}]]"#)),
            E::PressureOutOfRange
        );
        assert_eq!(
            err(&with_strokes(
                r#"[[{"x":1,"y":2,"t":10,"p":1}],[{"x":1,"y":2,"t":9,"p":1}]]"#
            )),
            E::TimeWentBackwards
        );
        assert_eq!(
            err(&with_strokes(
                r#"[[{"x":1,"y":2,"t":10,"p":1},{"x":1,"y":2,"t":19}]]"#
            )),
            E::InconsistentPressure
        );
        let many = format!("[{}]", vec![r#"[{"x":1,"y":2,"t":0}]"#; 257].join(","));
        assert_eq!(err(&with_strokes(&many)), E::TooManyStrokes { max: 256 });
        let long = format!("[[{}]]", vec![r#"{"x":1,"y":2,"t":0}"#; 20_001].join(","));
        assert_eq!(err(&with_strokes(&long)), E::TooManyPoints { max: 20_000 });
        let huge = " ".repeat(Signature::MAX_JSON_LEN + 1);
        assert_eq!(
            err(&huge),
            E::JsonTooLarge {
                max: Signature::MAX_JSON_LEN
            }
        );

        // No message repeats the input's values or member names.
        for bad in [
            with_strokes(r#"[[{"x":1234.5,"y":2,"t":0}]]"#),
            with_strokes(r#"[[{"x":"1234.5","y":2,"t":0}]]"#),
            with_strokes(r#"[[{"x":1,"y":2,"t":0,"secret1234":1}]]"#),
            r#"{"format":"ereceipt-strokes/1","pad":{"width":1234,"height":1,"dpi":1234}}"#.into(),
            r#"{"format":"ereceipt-strokes/1","pad":{"width":1,"height":1,"dpi":160},"strokes":[[{"x":1234,"#.into(),
        ] {
            let message = err(&bad).to_string();
            assert!(!message.contains("1234"), "{message}");
        }
    }

    proptest! {
        #[test]
        fn json_round_trip(s in super::super::testutil::arb_signature()) {
            let json = s.to_json();
            prop_assert_eq!(Signature::from_json(&json).unwrap(), s);
        }

        #[test]
        fn arbitrary_strings_never_panic(text in ".{0,300}") {
            let _ = Signature::from_json(&text);
        }

        #[test]
        fn json_like_strings_never_panic(
            text in r#"\{"format":"ereceipt-strokes/1","pad":\{"width":[0-9]{1,5},"height":[0-9]{1,4},"dpi":[0-9]{2,4}\},"strokes":\[(\[(\{"x":-?[0-9.e]{1,8},"y":[0-9.]{1,8},"t":[0-9.]{1,20}(,"p":[0-9.-]{1,5})?\},?){0,4}\],?){0,4}\]\}"#
        ) {
            if let Ok(s) = Signature::from_json(&text) {
                prop_assert_eq!(Signature::from_json(&s.to_json()), Ok(s));
            }
        }
    }
}
