//! The compact binary form of a signature's strokes (`docs/FORMAT.md`, "Signature strokes").

use super::{PadGeometry, QuantizedPoint, Signature, SignatureError, Stroke};

const MAGIC: &[u8; 4] = b"ESIG";
const VERSION: u8 = 1;
const FLAG_PRESSURE: u8 = 0x01;
/// Magic, version, flags, three u16 of pad geometry.
const HEADER_LEN: usize = 12;

impl Signature {
    /// The canonical binary form: magic `ESIG`, version 1, flags, pad geometry, then each
    /// stroke's points as varint deltas. About 3 to 5 bytes per point. See `docs/FORMAT.md`.
    pub fn encode(&self) -> Vec<u8> {
        let pressure = self.has_pressure();
        let mut out = Vec::with_capacity(HEADER_LEN + 4 + self.point_count() * 6);
        out.extend_from_slice(MAGIC);
        out.push(VERSION);
        out.push(if pressure { FLAG_PRESSURE } else { 0 });
        for v in [self.pad().width(), self.pad().height(), self.pad().dpi()] {
            let v = u16::try_from(v).expect("pad geometry is at most 10000");
            out.extend_from_slice(&v.to_le_bytes());
        }
        put_uvarint(&mut out, len_u32(self.strokes().len()));
        let mut prev = Prev::default();
        for stroke in self.strokes() {
            put_uvarint(&mut out, len_u32(stroke.points.len()));
            for p in &stroke.points {
                put_svarint(&mut out, p.x - prev.x);
                put_svarint(&mut out, p.y - prev.y);
                put_uvarint(&mut out, p.t_ms - prev.t);
                if let Some(pr) = p.pressure {
                    put_svarint(&mut out, i32::from(pr) - prev.p);
                    prev.p = i32::from(pr);
                }
                (prev.x, prev.y, prev.t) = (p.x, p.y, p.t_ms);
            }
        }
        out
    }

    /// Reads the binary form written by [`Self::encode`].
    ///
    /// Only canonical input is accepted, so `decode(b)` succeeds exactly when `b` is
    /// `encode(s)` for some signature `s`. Memory use is bounded by the format's limits, whatever
    /// the length fields say.
    ///
    /// # Errors
    /// [`SignatureError::BadMagic`], [`SignatureError::UnsupportedVersion`],
    /// [`SignatureError::UnknownFlags`], [`SignatureError::InvalidPad`],
    /// [`SignatureError::Truncated`], [`SignatureError::TrailingBytes`],
    /// [`SignatureError::Overflow`], [`SignatureError::NonCanonicalVarint`],
    /// [`SignatureError::Empty`], [`SignatureError::EmptyStroke`],
    /// [`SignatureError::TooManyStrokes`], [`SignatureError::TooManyPoints`],
    /// [`SignatureError::OutOfPad`], [`SignatureError::PressureOutOfRange`],
    /// [`SignatureError::TimeOrigin`], [`SignatureError::TimeOutOfRange`].
    pub fn decode(bytes: &[u8]) -> Result<Self, SignatureError> {
        let mut r = Reader { bytes, pos: 0 };
        if r.take(4).map_err(|_| SignatureError::BadMagic)? != MAGIC {
            return Err(SignatureError::BadMagic);
        }
        let version = r.byte()?;
        if version != VERSION {
            return Err(SignatureError::UnsupportedVersion { version });
        }
        let flags = r.byte()?;
        if flags & !FLAG_PRESSURE != 0 {
            return Err(SignatureError::UnknownFlags { flags });
        }
        let pressure = flags & FLAG_PRESSURE != 0;
        let (width, height, dpi) = (r.u16()?, r.u16()?, r.u16()?);
        let pad = PadGeometry::new(width.into(), height.into(), dpi.into())?;
        let (max_x, max_y) = (pad.width() * 8, pad.height() * 8);

        let stroke_count = r.uvarint()?;
        if stroke_count == 0 {
            return Err(SignatureError::Empty);
        }
        if stroke_count as usize > Signature::MAX_STROKES {
            return Err(SignatureError::TooManyStrokes {
                max: Signature::MAX_STROKES,
            });
        }
        // Every point takes at least one byte per channel.
        let min_point_len = if pressure { 4 } else { 3 };
        let mut strokes = Vec::with_capacity(stroke_count as usize);
        let mut total = 0usize;
        let mut prev = Prev::default();
        for _ in 0..stroke_count {
            let count = r.uvarint()? as usize;
            if count == 0 {
                return Err(SignatureError::EmptyStroke);
            }
            if count > Signature::MAX_POINTS - total {
                return Err(SignatureError::TooManyPoints {
                    max: Signature::MAX_POINTS,
                });
            }
            if count * min_point_len > r.remaining() {
                return Err(SignatureError::Truncated);
            }
            total += count;
            let mut points = Vec::with_capacity(count);
            for _ in 0..count {
                let x = add(prev.x, r.svarint()?, max_x).ok_or(SignatureError::OutOfPad)?;
                let y = add(prev.y, r.svarint()?, max_y).ok_or(SignatureError::OutOfPad)?;
                let dt = r.uvarint()?;
                if total == count && points.is_empty() && dt != 0 {
                    return Err(SignatureError::TimeOrigin);
                }
                let t = prev
                    .t
                    .checked_add(dt)
                    .ok_or(SignatureError::TimeOutOfRange)?;
                let p = if pressure {
                    let p = add(prev.p, r.svarint()?, 65535)
                        .ok_or(SignatureError::PressureOutOfRange)?;
                    prev.p = p;
                    Some(u16::try_from(p).expect("add keeps it within 0..=65535"))
                } else {
                    None
                };
                (prev.x, prev.y, prev.t) = (x, y, t);
                points.push(QuantizedPoint {
                    x,
                    y,
                    t_ms: t,
                    pressure: p,
                });
            }
            strokes.push(Stroke { points });
        }
        if r.remaining() > 0 {
            return Err(SignatureError::TrailingBytes {
                count: r.remaining(),
            });
        }
        Ok(Signature::from_valid_parts(pad, strokes))
    }
}

/// The previous point's channels: deltas are taken against it, across strokes.
#[derive(Default)]
struct Prev {
    x: i32,
    y: i32,
    t: u32,
    p: i32,
}

/// `prev + delta` if within `0..=max`.
fn add(prev: i32, delta: i32, max: u32) -> Option<i32> {
    let v = i64::from(prev) + i64::from(delta);
    (0..=i64::from(max))
        .contains(&v)
        .then(|| i32::try_from(v).expect("0..=u32 max of 80000"))
}

/// A length already bounded by the format's limits, as a `u32`.
fn len_u32(len: usize) -> u32 {
    u32::try_from(len).expect("lengths are bounded by MAX_POINTS")
}

/// LEB128: 7 bits per byte, least significant first, high bit set on all bytes but the last.
fn put_uvarint(out: &mut Vec<u8>, mut v: u32) {
    while v >= 0x80 {
        out.push(v.to_le_bytes()[0] | 0x80);
        v >>= 7;
    }
    out.push(v.to_le_bytes()[0]);
}

/// Zigzag (0, -1, 1, -2, … → 0, 1, 2, 3, …) then LEB128.
fn put_svarint(out: &mut Vec<u8>, v: i32) {
    put_uvarint(out, ((v << 1) ^ (v >> 31)) as u32);
}

struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn remaining(&self) -> usize {
        self.bytes.len() - self.pos
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], SignatureError> {
        let end = self.pos.checked_add(n).filter(|&e| e <= self.bytes.len());
        let end = end.ok_or(SignatureError::Truncated)?;
        let s = &self.bytes[self.pos..end];
        self.pos = end;
        Ok(s)
    }

    fn byte(&mut self) -> Result<u8, SignatureError> {
        Ok(self.take(1)?[0])
    }

    fn u16(&mut self) -> Result<u16, SignatureError> {
        let b = self.take(2)?;
        Ok(u16::from_le_bytes([b[0], b[1]]))
    }

    /// A canonical LEB128 `u32`: at most 5 bytes, no bits beyond 32, no trailing zero byte.
    fn uvarint(&mut self) -> Result<u32, SignatureError> {
        let mut v = 0u32;
        for i in 0..5 {
            let b = self.byte()?;
            if i == 4 && b > 0x0f {
                break;
            }
            v |= u32::from(b & 0x7f) << (7 * i);
            if b & 0x80 == 0 {
                if b == 0 && i > 0 {
                    return Err(SignatureError::NonCanonicalVarint);
                }
                return Ok(v);
            }
        }
        Err(SignatureError::Overflow)
    }

    fn svarint(&mut self) -> Result<i32, SignatureError> {
        let u = self.uvarint()?;
        Ok((u >> 1) as i32 ^ -((u & 1) as i32))
    }
}

#[cfg(test)]
mod tests {
    use super::super::Point;
    use super::super::testutil::arb_signature;
    use super::*;
    use proptest::prelude::*;

    /// The test vector of `docs/FORMAT.md`.
    fn vector() -> Signature {
        let pad = PadGeometry::new(320, 200, 160).unwrap();
        let p = |x, y, t, pr| Point::new(x, y, t).with_pressure(pr);
        Signature::from_strokes(
            pad,
            &[
                vec![p(10.0, 20.0, 1000, 0.5), p(10.5, 19.25, 1016, 0.75)],
                vec![p(300.0, 180.0, 1300, 0.0)],
            ],
        )
        .unwrap()
    }

    const VECTOR_HEX: &str = "4553494701014001c800a000 02 02 a001 c002 00 808004 08 0b 10 feff01 01 \
                              9824 8c14 9c02 fdff05";

    fn hex(s: &str) -> Vec<u8> {
        let s: String = s.split_whitespace().collect();
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    #[test]
    fn test_vector_byte_for_byte() {
        let bytes = vector().encode();
        let got: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(got, VECTOR_HEX.split_whitespace().collect::<String>());
        assert_eq!(Signature::decode(&bytes).unwrap(), vector());
        let digest: String = vector()
            .digest()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(
            digest,
            "800387e3b4ec99a7001c1fef812e9a31e8fd8db6fbb3d113d5730fc9eeb3e020"
        );
    }

    fn mutate(f: impl FnOnce(&mut Vec<u8>)) -> Result<Signature, SignatureError> {
        let mut b = hex(VECTOR_HEX);
        f(&mut b);
        Signature::decode(&b)
    }

    #[test]
    fn decode_errors() {
        use SignatureError as E;
        assert_eq!(Signature::decode(b""), Err(E::BadMagic));
        assert_eq!(Signature::decode(b"ESI"), Err(E::BadMagic));
        assert_eq!(mutate(|b| b[0] = b'F'), Err(E::BadMagic));
        assert_eq!(
            mutate(|b| b[4] = 2),
            Err(E::UnsupportedVersion { version: 2 })
        );
        assert_eq!(mutate(|b| b[5] = 0x03), Err(E::UnknownFlags { flags: 3 }));
        assert_eq!(
            mutate(|b| b[6..8].copy_from_slice(&[0, 0])),
            Err(E::InvalidPad { field: "width" })
        );
        assert_eq!(
            mutate(|b| b[10..12].copy_from_slice(&[10, 0])),
            Err(E::InvalidPad { field: "dpi" })
        );
        assert_eq!(mutate(|b| b.truncate(12)), Err(E::Truncated));
        let full = hex(VECTOR_HEX);
        for len in 0..full.len() {
            assert!(
                Signature::decode(&full[..len]).is_err(),
                "prefix of {len} bytes accepted"
            );
        }
        assert_eq!(mutate(|b| b.push(0)), Err(E::TrailingBytes { count: 1 }));
        assert_eq!(mutate(|b| b[12] = 0), Err(E::Empty));
        // 257 strokes: 0x81 0x02.
        assert_eq!(
            mutate(|b| b.splice(12..13, [0x81, 0x02]).for_each(drop)),
            Err(E::TooManyStrokes { max: 256 })
        );
        assert_eq!(mutate(|b| b[13] = 0), Err(E::EmptyStroke));
        // 20001 points: 0xa1 0x9c 0x01.
        assert_eq!(
            mutate(|b| b.splice(13..14, [0xa1, 0x9c, 0x01]).for_each(drop)),
            Err(E::TooManyPoints { max: 20_000 })
        );
        // A point count larger than the bytes left.
        assert_eq!(mutate(|b| b[13] = 0x7f), Err(E::Truncated));
        // Non-minimal varint: 0x02 written as 0x82 0x00.
        assert_eq!(
            mutate(|b| b.splice(13..14, [0x82, 0x00]).for_each(drop)),
            Err(E::NonCanonicalVarint)
        );
        // A varint beyond 32 bits.
        assert_eq!(
            mutate(|b| b
                .splice(14..16, [0xff, 0xff, 0xff, 0xff, 0x1f])
                .for_each(drop)),
            Err(E::Overflow)
        );
        // x = 0 + (-1).
        assert_eq!(
            mutate(|b| b.splice(14..16, [0x01]).for_each(drop)),
            Err(E::OutOfPad)
        );
        // First time not zero.
        assert_eq!(mutate(|b| b[18] = 0x01), Err(E::TimeOrigin));
        // Pressure 32768 + 32768.
        assert_eq!(
            mutate(|b| b.splice(25..28, [0x80, 0x80, 0x04]).for_each(drop)),
            Err(E::PressureOutOfRange)
        );
        // Time + delta beyond u32.
        assert_eq!(
            mutate(|b| b
                .splice(33..35, [0xff, 0xff, 0xff, 0xff, 0x0f])
                .for_each(drop)),
            Err(E::TimeOutOfRange)
        );
    }

    #[test]
    fn varints_at_the_edges() {
        for v in [0, 1, 127, 128, 16_383, 16_384, u32::MAX] {
            let mut b = Vec::new();
            put_uvarint(&mut b, v);
            let mut r = Reader { bytes: &b, pos: 0 };
            assert_eq!(r.uvarint(), Ok(v));
            assert_eq!(r.remaining(), 0);
        }
        for v in [0, -1, 1, i32::MIN, i32::MAX] {
            let mut b = Vec::new();
            put_svarint(&mut b, v);
            assert_eq!(Reader { bytes: &b, pos: 0 }.svarint(), Ok(v));
        }
    }

    proptest! {
        #[test]
        fn encode_decode_round_trip(s in arb_signature()) {
            let bytes = s.encode();
            let back = Signature::decode(&bytes).unwrap();
            prop_assert_eq!(&back, &s);
            prop_assert_eq!(back.encode(), bytes);
        }

        #[test]
        fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..200)) {
            if let Ok(s) = Signature::decode(&bytes) {
                prop_assert_eq!(s.encode(), bytes);
            }
        }

        #[test]
        fn mutated_encodings_never_panic_and_stay_canonical(
            s in arb_signature(),
            edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..4),
        ) {
            let mut bytes = s.encode();
            for (i, b) in edits {
                let i = i.index(bytes.len());
                bytes[i] = b;
            }
            if let Ok(s) = Signature::decode(&bytes) {
                prop_assert_eq!(s.encode(), bytes);
            }
        }
    }
}
