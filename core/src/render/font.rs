//! The receipt font: a pack of pre-rasterised 1-bit glyphs on a thermal-printer cell grid.
//!
//! Every glyph occupies one cell (Latin, Greek, Cyrillic, digits, symbols: 12×24 pixels) or
//! two cells (CJK ideographs, kana, fullwidth forms: 24×24 pixels), like ESC/POS Font A. The
//! bitmaps were rasterised once, when the pack was built (`core/assets/fontpack/build.py`), so
//! drawing text is integer blitting only: the same pixels on every CPU, with no font engine and
//! no system fonts at run time.
//!
//! The pack file format (`ERFP`, version 1) is specified byte for byte in
//! `core/assets/fontpack/README.md`. [`FontPack::id`] names a pack file by its SHA-256; receipt
//! records carry it so that a verifier re-renders with the same glyphs.

use std::fmt;
use std::sync::OnceLock;

use miniz_oxide::inflate::TINFLStatus;
use miniz_oxide::inflate::core::{DecompressorOxide, decompress, inflate_flags};
use ring::digest;

/// The pack compiled into the library (see [`FontPack::embedded`]).
#[cfg(feature = "embedded-font")]
static EMBEDDED: &[u8] = include_bytes!("../../assets/fontpack/ereceipt-mono-24.erfp");

/// The id of the one pack this library draws receipts with
/// (`core/assets/fontpack/ereceipt-mono-24.erfp`): what [`FontPack::install`] accepts, and
/// what every record it issues names.
pub const PACK_ID: &str = "erfp1-3dd01b7beff36106";

/// The file name the pack ships under beside a library built without `embedded-font`.
pub const PACK_FILE_NAME: &str = "ereceipt-mono-24.erfp";

/// The pack in use, parsed once: the embedded one, or the one installed at start-up.
static ACTIVE: OnceLock<FontPack> = OnceLock::new();

/// The file signature, the first four bytes of every pack.
const MAGIC: [u8; 4] = *b"ERFP";
/// The format version this module reads, the fifth byte of a pack.
pub const FORMAT_VERSION: u8 = 1;
/// Magic, version, cell width, cell height, baseline, glyph count, body length.
const HEADER_LEN: usize = 16;
/// A glyph table entry: little-endian `u32` code point, then `u8` cells.
const ENTRY_LEN: usize = 5;
/// The widest glyph, in cells.
const MAX_CELLS: u8 = 2;
/// The largest inflated body accepted (the embedded pack's is about 0.75 MiB).
const MAX_BODY_LEN: usize = 16 << 20;
/// Deflate cannot expand data by more than 1032:1; a pack claiming more is corrupt, and
/// refusing it early keeps a few bytes of garbage from allocating [`MAX_BODY_LEN`].
const MAX_DEFLATE_RATIO: usize = 1032;
/// Prefix of [`FontPack::id`]: the format and its version.
const ID_PREFIX: &str = "erfp1-";
/// Hex digits of the SHA-256 kept in [`FontPack::id`] (64 bits).
const ID_HEX_DIGITS: usize = 16;

/// Why bytes could not be read as a font pack, or no pack is there to draw with.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FontError {
    /// This build does not embed the pack (no `embedded-font` feature) and
    /// [`FontPack::install`] has not been called.
    #[error(
        "no font pack installed: call install with the {PACK_FILE_NAME} shipped with the library"
    )]
    NotInstalled,
    /// A valid pack, but not the one this library draws with ([`PACK_ID`]).
    #[error("font pack {id} is not this library's ({PACK_ID})")]
    WrongPack {
        /// The id of the pack given.
        id: String,
    },
    /// Shorter than the 16-byte header.
    #[error("font pack of {len} bytes is shorter than its 16-byte header")]
    Truncated {
        /// The length of the input.
        len: usize,
    },
    /// The input does not start with `ERFP`.
    #[error("not a font pack (the file does not start with \"ERFP\")")]
    BadMagic,
    /// A format version this code does not read.
    #[error("font pack format version {version} is not supported (expected {FORMAT_VERSION})")]
    UnsupportedVersion {
        /// The version byte found.
        version: u8,
    },
    /// A zero cell size, or a baseline below the cell.
    #[error("invalid font pack geometry: {cell_width}x{cell_height} cells, baseline {baseline}")]
    InvalidGeometry {
        /// Cell width in pixels.
        cell_width: u8,
        /// Cell height in pixels.
        cell_height: u8,
        /// Rows above the baseline.
        baseline: u8,
    },
    /// The declared body is larger than any pack may be, or than its compressed data can hold.
    #[error("font pack declares a body of {len} bytes, more than it can hold")]
    TooLarge {
        /// The declared body length in bytes.
        len: u32,
    },
    /// The compressed body is not one valid zlib stream filling the rest of the file (bad
    /// header or checksum, truncated, followed by other bytes, or inflating to more or fewer
    /// bytes than the header declares).
    #[error("font pack body is not a valid zlib stream of the declared length")]
    Corrupt,
    /// The body's length differs from what its glyph count and table describe.
    #[error("font pack body is {declared} bytes but its glyph table describes {described}")]
    LengthMismatch {
        /// The body length in the header (and inflated).
        declared: usize,
        /// The length the table and the glyph count add up to.
        described: usize,
    },
    /// A table entry holds a surrogate or a value above U+10FFFF.
    #[error("glyph {index}: {code_point:#x} is not a Unicode scalar value")]
    InvalidCodePoint {
        /// The entry's position in the table.
        index: usize,
        /// The value found.
        code_point: u32,
    },
    /// The table is not strictly ascending by code point (so binary search would fail).
    #[error("glyph {index}: code point U+{code_point:04X} is out of order or repeated")]
    Unsorted {
        /// The entry's position in the table.
        index: usize,
        /// The code point found.
        code_point: u32,
    },
    /// A glyph width other than one or two cells.
    #[error("glyph {index}: width of {cells} cells (expected 1 or 2)")]
    InvalidCells {
        /// The entry's position in the table.
        index: usize,
        /// The width found.
        cells: u8,
    },
}

/// One table entry, with where its bitmap starts.
#[derive(Clone, Copy)]
struct Entry {
    code_point: u32,
    cells: u8,
    /// Byte offset of the bitmap in [`FontPack::bitmaps`].
    offset: usize,
}

/// A parsed font pack: glyph bitmaps by character, on a grid of fixed-size cells.
///
/// Read-only once parsed and cheap to share: [`FontPack::embedded`] hands out one instance for
/// the whole process.
pub struct FontPack {
    id: String,
    cell_width: u32,
    cell_height: u32,
    baseline: u32,
    /// Ascending by code point.
    entries: Vec<Entry>,
    /// Every glyph's rows, one after another.
    bitmaps: Vec<u8>,
}

impl fmt::Debug for FontPack {
    /// Identity and geometry only; the bitmaps are most of a megabyte.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FontPack")
            .field("id", &self.id)
            .field("cell_width", &self.cell_width)
            .field("cell_height", &self.cell_height)
            .field("baseline", &self.baseline)
            .field("glyphs", &self.entries.len())
            .finish()
    }
}

impl FontPack {
    /// Parses a pack file (`.erfp`): checks the header, inflates the body and validates the
    /// glyph table.
    ///
    /// Never panics. Allocation is bounded by the declared body length, which is checked first
    /// against a 16 MiB limit and against what the compressed data can expand to.
    ///
    /// # Errors
    /// A [`FontError`] naming the first check that failed: header, zlib stream or glyph table.
    pub fn parse(bytes: &[u8]) -> Result<FontPack, FontError> {
        let (header, compressed) = bytes
            .split_first_chunk::<HEADER_LEN>()
            .ok_or(FontError::Truncated { len: bytes.len() })?;
        // Constant indices into a 16-byte array: checked at compile time.
        if [header[0], header[1], header[2], header[3]] != MAGIC {
            return Err(FontError::BadMagic);
        }
        let [version, cell_width, cell_height, baseline] =
            [header[4], header[5], header[6], header[7]];
        if version != FORMAT_VERSION {
            return Err(FontError::UnsupportedVersion { version });
        }
        if cell_width == 0 || cell_height == 0 || baseline > cell_height {
            return Err(FontError::InvalidGeometry {
                cell_width,
                cell_height,
                baseline,
            });
        }
        let count = u32::from_le_bytes([header[8], header[9], header[10], header[11]]);
        let declared = u32::from_le_bytes([header[12], header[13], header[14], header[15]]);
        let body_len = usize::try_from(declared)
            .ok()
            .filter(|&len| len <= MAX_BODY_LEN)
            .filter(|&len| len <= compressed.len().saturating_mul(MAX_DEFLATE_RATIO))
            .ok_or(FontError::TooLarge { len: declared })?;
        let body = inflate_exact(compressed, body_len)?;

        // Table: `count` entries, then the bitmaps in the same order.
        let table_len = usize::try_from(count)
            .unwrap_or(usize::MAX)
            .saturating_mul(ENTRY_LEN);
        let Some(table) = body.get(..table_len) else {
            return Err(FontError::LengthMismatch {
                declared: body_len,
                described: table_len,
            });
        };
        let (table, _) = table.as_chunks::<ENTRY_LEN>();
        let row_bytes = |cells: u8| (usize::from(cells) * usize::from(cell_width)).div_ceil(8);
        let mut entries = Vec::with_capacity(table.len());
        let mut offset = 0usize;
        let mut previous: Option<u32> = None;
        for (index, &[b0, b1, b2, b3, cells]) in table.iter().enumerate() {
            let code_point = u32::from_le_bytes([b0, b1, b2, b3]);
            if char::from_u32(code_point).is_none() {
                return Err(FontError::InvalidCodePoint { index, code_point });
            }
            if previous.is_some_and(|p| p >= code_point) {
                return Err(FontError::Unsorted { index, code_point });
            }
            previous = Some(code_point);
            if !(1..=MAX_CELLS).contains(&cells) {
                return Err(FontError::InvalidCells { index, cells });
            }
            entries.push(Entry {
                code_point,
                cells,
                offset,
            });
            // A glyph is at most 64 × 255 bytes and there are at most L / 5 of them, so this
            // cannot overflow; saturating makes that obvious.
            offset = offset.saturating_add(row_bytes(cells) * usize::from(cell_height));
        }
        let described = table_len.saturating_add(offset);
        if described != body_len {
            return Err(FontError::LengthMismatch {
                declared: body_len,
                described,
            });
        }
        let mut bitmaps = body;
        bitmaps.drain(..table_len);

        Ok(FontPack {
            id: pack_id(bytes),
            cell_width: u32::from(cell_width),
            cell_height: u32::from(cell_height),
            baseline: u32::from(baseline),
            entries,
            bitmaps,
        })
    }

    /// The pack compiled into the library (`core/assets/fontpack/ereceipt-mono-24.erfp`),
    /// parsed on first use.
    ///
    /// # Panics
    /// Only if the embedded file were invalid, which the `embedded_pack_parses` test rules out.
    #[cfg(feature = "embedded-font")]
    pub fn embedded() -> &'static FontPack {
        ACTIVE.get_or_init(|| {
            FontPack::parse(EMBEDDED).expect(
                "the embedded font pack is valid: the `embedded_pack_parses` test parses it",
            )
        })
    }

    /// The file bytes of the embedded pack, for a verifier that archives packs by
    /// [`FontPack::id`].
    #[cfg(feature = "embedded-font")]
    pub fn embedded_bytes() -> &'static [u8] {
        EMBEDDED
    }

    /// The pack receipts are drawn with: the embedded one, or, in a build without the
    /// `embedded-font` feature (the phone libraries), the one given to [`FontPack::install`].
    ///
    /// # Errors
    /// [`FontError::NotInstalled`] in a build without `embedded-font` before `install`.
    pub fn active() -> Result<&'static FontPack, FontError> {
        #[cfg(feature = "embedded-font")]
        return Ok(FontPack::embedded());
        // The crate's own tests run without the feature too (CI does), as an app would after
        // installing the shipped file at start-up.
        #[cfg(all(test, not(feature = "embedded-font")))]
        FontPack::install(tests::ASSET)?;
        #[cfg(not(feature = "embedded-font"))]
        ACTIVE.get().ok_or(FontError::NotInstalled)
    }

    /// Installs the pack file that ships beside a library built without `embedded-font`
    /// ([`PACK_FILE_NAME`], from the app's assets or bundle), once at start-up. Only this
    /// library's own pack ([`PACK_ID`]) is accepted: any other would draw different pixels, and
    /// every verifier would then report the receipts as edited. Installing it again, or in a
    /// build that embeds it, changes nothing.
    ///
    /// # Errors
    /// Any parse error of [`FontPack::parse`]; [`FontError::WrongPack`] for a valid pack that
    /// is not this library's.
    pub fn install(bytes: &[u8]) -> Result<(), FontError> {
        let pack = FontPack::parse(bytes)?;
        if pack.id() != PACK_ID {
            return Err(FontError::WrongPack { id: pack.id });
        }
        let _already = ACTIVE.set(pack);
        Ok(())
    }

    /// Names this pack: `"erfp1-"` followed by the first 16 hex digits of the SHA-256 of the
    /// pack file as given to [`FontPack::parse`]. Receipt records carry it so that a verifier
    /// re-renders with exactly these glyphs.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// Width of one cell in pixels (12 for the embedded pack); a glyph is 1 or 2 cells wide.
    pub fn cell_width(&self) -> u32 {
        self.cell_width
    }

    /// Height of every glyph in pixels (24 for the embedded pack).
    pub fn cell_height(&self) -> u32 {
        self.cell_height
    }

    /// The number of glyph rows above the baseline (19 for the embedded pack): row `baseline()`
    /// is the first row below it, where descenders start.
    pub fn baseline(&self) -> u32 {
        self.baseline
    }

    /// The number of glyphs.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True if the pack has no glyphs.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Every character the pack can draw, in code point order.
    pub fn chars(&self) -> impl ExactSizeIterator<Item = char> + '_ {
        // Code points were checked by `parse`; the fallback is never used.
        self.entries
            .iter()
            .map(|e| char::from_u32(e.code_point).unwrap_or(char::REPLACEMENT_CHARACTER))
    }

    /// The glyph for `c`, or `None` if the pack cannot draw it. Binary search, no allocation.
    pub fn glyph(&self, c: char) -> Option<Glyph<'_>> {
        let index = self
            .entries
            .binary_search_by_key(&u32::from(c), |e| e.code_point)
            .ok()?;
        let entry = self.entries.get(index)?;
        let width = u32::from(entry.cells) * self.cell_width;
        let stride = (usize::from(entry.cells) * self.cell_width as usize).div_ceil(8);
        let len = stride * self.cell_height as usize;
        let bits = self
            .bitmaps
            .get(entry.offset..entry.offset.checked_add(len)?)?;
        Some(Glyph {
            cells: entry.cells,
            width,
            height: self.cell_height,
            stride,
            bits,
        })
    }

    /// True if the pack can draw `c`.
    pub fn covers(&self, c: char) -> bool {
        self.entries
            .binary_search_by_key(&u32::from(c), |e| e.code_point)
            .is_ok()
    }

    /// The width of `text` in cells, or the first character the pack cannot draw.
    ///
    /// Control characters, including `'\n'`, are not in the pack.
    pub fn text_cells(&self, text: &str) -> Result<usize, char> {
        text.chars().try_fold(0usize, |sum, c| match self.glyph(c) {
            Some(g) => Ok(sum + usize::from(g.cells)),
            None => Err(c),
        })
    }
}

/// One glyph's bitmap: `height` rows of `width` pixels, each row packed most significant bit
/// first (bit 7 of byte 0 is the leftmost pixel) and padded with zero bits to whole bytes.
///
/// The glyph fills its cells exactly: the pixel at (0, 0) is the top-left corner of the cell,
/// the baseline is [`FontPack::baseline`] rows down, and the pen advances by `width`.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Glyph<'a> {
    /// Width in cells: 1 or 2.
    pub cells: u8,
    /// Width in pixels: `cells` times the cell width.
    pub width: u32,
    /// Height in pixels: the cell height.
    pub height: u32,
    /// Bytes per row.
    stride: usize,
    /// `height` rows of `stride` bytes.
    bits: &'a [u8],
}

impl fmt::Debug for Glyph<'_> {
    /// The geometry, then the bitmap as rows of `#` (ink) and `.` (paper).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "Glyph {{ cells: {}, width: {}, height: {} }}",
            self.cells, self.width, self.height
        )?;
        for y in 0..self.height {
            let row: String = (0..self.width)
                .map(|x| if self.pixel(x, y) { '#' } else { '.' })
                .collect();
            writeln!(f, "{row}")?;
        }
        Ok(())
    }
}

impl<'a> Glyph<'a> {
    /// True where the glyph has ink; false outside the glyph.
    pub fn pixel(&self, x: u32, y: u32) -> bool {
        if x >= self.width || y >= self.height {
            return false;
        }
        let byte = y as usize * self.stride + x as usize / 8;
        self.bits
            .get(byte)
            .is_some_and(|b| b & (0x80 >> (x % 8)) != 0)
    }

    /// Row `y`, packed most significant bit first (see [`Glyph`]); `None` below the glyph.
    pub fn row(&self, y: u32) -> Option<&'a [u8]> {
        if y >= self.height {
            return None;
        }
        let start = y as usize * self.stride;
        self.bits.get(start..start + self.stride)
    }

    /// Every row, top to bottom, packed as by [`Glyph::row`].
    pub fn rows(&self) -> impl ExactSizeIterator<Item = &'a [u8]> + use<'a> {
        self.bits.chunks_exact(self.stride.max(1))
    }

    /// Bytes per packed row: `width` bits rounded up to whole bytes.
    pub fn stride(&self) -> usize {
        self.stride
    }
}

/// Inflates a zlib stream that must produce exactly `len` bytes and end exactly at the end of
/// `input`.
fn inflate_exact(input: &[u8], len: usize) -> Result<Vec<u8>, FontError> {
    let mut out = vec![0; len];
    let mut state = Box::<DecompressorOxide>::default();
    let flags = inflate_flags::TINFL_FLAG_PARSE_ZLIB_HEADER
        | inflate_flags::TINFL_FLAG_USING_NON_WRAPPING_OUTPUT_BUF;
    let (status, read, written) = decompress(&mut state, input, &mut out, 0, flags);
    if status == TINFLStatus::Done && read == input.len() && written == len {
        Ok(out)
    } else {
        Err(FontError::Corrupt)
    }
}

/// `"erfp1-"` and the first 16 hex digits of the SHA-256 of `file`.
fn pack_id(file: &[u8]) -> String {
    let hash = digest::digest(&digest::SHA256, file);
    let mut id = String::with_capacity(ID_PREFIX.len() + ID_HEX_DIGITS);
    id.push_str(ID_PREFIX);
    for byte in hash.as_ref().iter().take(ID_HEX_DIGITS / 2) {
        id.push_str(&format!("{byte:02x}"));
    }
    id
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The pack file as it ships beside a library built without `embedded-font`.
    pub(super) const ASSET: &[u8] = include_bytes!("../../assets/fontpack/ereceipt-mono-24.erfp");
    use proptest::prelude::*;

    /// SHA-256 of `core/assets/fontpack/ereceipt-mono-24.erfp`. A change means the pack was
    /// regenerated: old receipts name the old id, so a new pack needs a new file name and both
    /// packs kept for verification (see the fontpack README).
    const GOLDEN_SHA256: &str = "3dd01b7beff361067e69cf2e92b1933eb6506decaf4efd7817af0ff357cc05b3";
    const GOLDEN_ID: &str = PACK_ID;
    const GOLDEN_GLYPHS: usize = 10143;

    fn hex(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }

    /// A pack file from glyphs given as (code point, cells, rows of '#'/'.'), with the header
    /// fields overridable.
    fn pack_file(header: [u8; 4], glyphs: &[(u32, u8, Vec<Vec<bool>>)]) -> Vec<u8> {
        let [cell_width, cell_height, baseline, version] = header;
        let mut body = Vec::new();
        for (cp, cells, _) in glyphs {
            body.extend_from_slice(&cp.to_le_bytes());
            body.push(*cells);
        }
        for (_, cells, rows) in glyphs {
            let stride = (usize::from(*cells) * usize::from(cell_width)).div_ceil(8);
            for y in 0..usize::from(cell_height) {
                let mut packed = vec![0u8; stride];
                for (x, &ink) in rows
                    .get(y)
                    .map(Vec::as_slice)
                    .unwrap_or(&[])
                    .iter()
                    .enumerate()
                {
                    if ink {
                        packed[x / 8] |= 0x80 >> (x % 8);
                    }
                }
                body.extend_from_slice(&packed);
            }
        }
        let mut file = MAGIC.to_vec();
        file.extend_from_slice(&[version, cell_width, cell_height, baseline]);
        file.extend_from_slice(&u32::try_from(glyphs.len()).unwrap().to_le_bytes());
        file.extend_from_slice(&u32::try_from(body.len()).unwrap().to_le_bytes());
        file.extend_from_slice(&miniz_oxide::deflate::compress_to_vec_zlib(&body, 6));
        file
    }

    fn blank(cells: u8) -> Vec<Vec<bool>> {
        vec![vec![false; usize::from(cells) * 12]; 24]
    }

    fn small_pack() -> Vec<u8> {
        let mut a = blank(1);
        a[3][0] = true;
        a[3][11] = true;
        a[23][5] = true;
        let mut wide = blank(2);
        wide[0][23] = true;
        pack_file(
            [12, 24, 19, 1],
            &[(u32::from('A'), 1, a), (0x5546, 2, wide)],
        )
    }

    #[test]
    fn only_this_librarys_pack_installs() {
        let other = small_pack();
        assert!(FontPack::parse(&other).is_ok());
        assert!(matches!(
            FontPack::install(&other),
            Err(FontError::WrongPack { id }) if id != PACK_ID
        ));
        assert_eq!(
            FontPack::install(b"ERFP"),
            Err(FontError::Truncated { len: 4 })
        );
        FontPack::install(ASSET).unwrap();
        FontPack::install(ASSET).unwrap();
        assert_eq!(FontPack::active().unwrap().id(), PACK_ID);
    }

    #[test]
    fn embedded_pack_parses() {
        let pack = FontPack::parse(ASSET).unwrap();
        assert_eq!(
            (pack.cell_width(), pack.cell_height(), pack.baseline()),
            (12, 24, 19)
        );
        assert_eq!(pack.len(), GOLDEN_GLYPHS);
        assert!(!pack.is_empty());
        assert_eq!(pack.chars().len(), GOLDEN_GLYPHS);
        assert!(pack.chars().zip(pack.chars().skip(1)).all(|(a, b)| a < b));
        assert!(
            std::ptr::eq(FontPack::active().unwrap(), FontPack::active().unwrap()),
            "parsed once"
        );
        assert_eq!(FontPack::active().unwrap().len(), GOLDEN_GLYPHS);
    }

    #[test]
    fn embedded_pack_is_the_golden_one() {
        let digest = digest::digest(&digest::SHA256, ASSET);
        assert_eq!(
            hex(digest.as_ref()),
            GOLDEN_SHA256,
            "the font pack was regenerated"
        );
        assert_eq!(FontPack::active().unwrap().id(), GOLDEN_ID);
        assert_eq!(&GOLDEN_SHA256[..16], &GOLDEN_ID[6..]);
    }

    #[test]
    fn ascii_is_one_cell() {
        let pack = FontPack::active().unwrap();
        for c in ' '..='~' {
            let g = pack.glyph(c).unwrap_or_else(|| panic!("{c:?} missing"));
            assert_eq!(
                (g.cells, g.width, g.height, g.stride()),
                (1, 12, 24, 2),
                "{c:?}"
            );
            let ink = (0..24)
                .flat_map(|y| (0..12).map(move |x| (x, y)))
                .filter(|&(x, y)| g.pixel(x, y));
            assert_eq!(
                ink.count() == 0,
                c == ' ',
                "{c:?} has ink unless it is a space"
            );
        }
    }

    #[test]
    fn cjk_kana_and_currency_have_their_widths() {
        let pack = FontPack::active().unwrap();
        for (c, cells) in [
            ('商', 2),
            ('¥', 1),
            ('￥', 2),
            ('カ', 2),
            ('ー', 2),
            ('€', 1),
            ('฿', 1),
            ('é', 1),
            ('Ж', 1),
            ('，', 2),
            ('　', 2),
            ('臺', 2),
            ('渋', 2),
            ('─', 1),
        ] {
            let g = pack.glyph(c).unwrap_or_else(|| panic!("{c:?} missing"));
            assert_eq!(g.cells, cells, "{c:?}");
            assert_eq!(g.width, u32::from(cells) * 12, "{c:?}");
            assert!(pack.covers(c));
        }
    }

    #[test]
    fn unknown_characters_are_none() {
        let pack = FontPack::active().unwrap();
        for c in [
            '☕',
            '\n',
            '\t',
            '\u{0}',
            '\u{7f}',
            '\u{202e}',
            '\u{10ffff}',
            '😀',
            'ㄱ',
        ] {
            assert!(pack.glyph(c).is_none(), "{c:?}");
            assert!(!pack.covers(c), "{c:?}");
        }
    }

    #[test]
    fn text_width_in_cells() {
        let pack = FontPack::active().unwrap();
        assert_eq!(pack.text_cells(""), Ok(0));
        assert_eq!(pack.text_cells("TOTAL ¥128.00"), Ok(13));
        assert_eq!(pack.text_cells("商户编号(MERCHANT ID)"), Ok(8 + 13));
        assert_eq!(pack.text_cells("カード 1234"), Ok(6 + 5));
        assert_eq!(pack.text_cells("Coffee ☕ Bar"), Err('☕'));
        assert_eq!(pack.text_cells("a\nb"), Err('\n'));
    }

    #[test]
    fn glyphs_sit_on_the_baseline() {
        let pack = FontPack::active().unwrap();
        let lowest = |c: char| {
            let g = pack.glyph(c).unwrap();
            (0..g.height)
                .filter(|&y| (0..g.width).any(|x| g.pixel(x, y)))
                .max()
                .unwrap()
        };
        for c in ['H', 'x', '0', 'Ｈ'] {
            assert_eq!(
                lowest(c),
                pack.baseline() - 1,
                "{c:?} stands on the baseline"
            );
        }
        assert!(lowest('g') > pack.baseline(), "descenders go below it");
        assert!(lowest('商') >= pack.baseline(), "ideographs reach below it");
    }

    #[test]
    fn rows_and_pixels_agree_and_padding_is_blank() {
        for g in FontPack::active()
            .unwrap()
            .chars()
            .filter_map(|c| FontPack::active().unwrap().glyph(c))
        {
            assert_eq!(g.rows().len(), 24);
            for (y, row) in (0u32..).zip(g.rows()) {
                assert_eq!(g.row(y), Some(row));
                for x in 0..u32::try_from(row.len() * 8).unwrap() {
                    let bit = row[x as usize / 8] & (0x80 >> (x % 8)) != 0;
                    if x < g.width {
                        assert_eq!(bit, g.pixel(x, y));
                    } else {
                        assert!(!bit, "padding bits are zero");
                    }
                }
            }
            assert_eq!(g.row(24), None);
            assert!(!g.pixel(g.width, 0) && !g.pixel(0, g.height) && !g.pixel(u32::MAX, u32::MAX));
        }
    }

    #[test]
    fn a_small_pack_round_trips() {
        let file = small_pack();
        let pack = FontPack::parse(&file).unwrap();
        assert_eq!(pack.len(), 2);
        assert!(pack.id().starts_with("erfp1-") && pack.id().len() == 22);
        let a = pack.glyph('A').unwrap();
        let ink: Vec<_> = (0..24)
            .flat_map(|y| (0..12).map(move |x| (x, y)))
            .filter(|&(x, y)| a.pixel(x, y))
            .collect();
        assert_eq!(ink, [(0, 3), (11, 3), (5, 23)]);
        assert_eq!(a.row(3), Some(&[0x80, 0x10][..]));
        let wide = pack.glyph('商').unwrap();
        assert_eq!((wide.cells, wide.width, wide.stride()), (2, 24, 3));
        assert_eq!(wide.row(0), Some(&[0, 0, 1][..]));
        assert!(pack.glyph('B').is_none());
        assert!(format!("{pack:?}").contains("glyphs: 2"));
        assert!(
            format!("{a:?}")
                .lines()
                .nth(4)
                .unwrap()
                .starts_with("#..........#")
        );
    }

    #[test]
    fn an_empty_pack_is_valid() {
        let pack = FontPack::parse(&pack_file([12, 24, 19, 1], &[])).unwrap();
        assert!(pack.is_empty());
        assert_eq!(pack.text_cells("a"), Err('a'));
    }

    #[test]
    fn headers_are_checked() {
        let good = small_pack();
        assert_eq!(
            FontPack::parse(&[]).unwrap_err(),
            FontError::Truncated { len: 0 }
        );
        assert_eq!(
            FontPack::parse(&good[..15]).unwrap_err(),
            FontError::Truncated { len: 15 }
        );
        let mut bad = good.clone();
        bad[0] = b'X';
        assert_eq!(FontPack::parse(&bad).unwrap_err(), FontError::BadMagic);
        let mut bad = good.clone();
        bad[4] = 2;
        assert_eq!(
            FontPack::parse(&bad).unwrap_err(),
            FontError::UnsupportedVersion { version: 2 }
        );
        for (w, h, b) in [(0, 24, 19), (12, 0, 0), (12, 24, 25)] {
            let mut bad = good.clone();
            bad[5..8].copy_from_slice(&[w, h, b]);
            assert_eq!(
                FontPack::parse(&bad).unwrap_err(),
                FontError::InvalidGeometry {
                    cell_width: w,
                    cell_height: h,
                    baseline: b
                }
            );
        }
        let mut bad = good.clone();
        bad[12..16].copy_from_slice(&u32::MAX.to_le_bytes());
        assert_eq!(
            FontPack::parse(&bad).unwrap_err(),
            FontError::TooLarge { len: u32::MAX }
        );
        let mut bad = good[..16].to_vec();
        bad.extend_from_slice(&[0x78, 0x9c]);
        bad[12..16].copy_from_slice(&1_000_000u32.to_le_bytes());
        assert_eq!(
            FontPack::parse(&bad).unwrap_err(),
            FontError::TooLarge { len: 1_000_000 }
        );
    }

    #[test]
    fn bodies_are_checked() {
        let good = small_pack();
        // Truncated, extended, or a flipped bit caught by the Adler-32 check.
        assert_eq!(
            FontPack::parse(&good[..good.len() - 1]).unwrap_err(),
            FontError::Corrupt
        );
        assert_eq!(
            FontPack::parse(&good[..17]).unwrap_err(),
            FontError::Corrupt
        );
        let mut longer = good.clone();
        longer.push(0);
        assert_eq!(FontPack::parse(&longer).unwrap_err(), FontError::Corrupt);
        let mut flipped = good.clone();
        let last = flipped.len() - 1;
        flipped[last] ^= 1;
        assert_eq!(FontPack::parse(&flipped).unwrap_err(), FontError::Corrupt);
        // Declared body length off by one either way.
        let body_len = u32::from_le_bytes(good[12..16].try_into().unwrap());
        let mut short = good.clone();
        short[12..16].copy_from_slice(&(body_len - 1).to_le_bytes());
        assert_eq!(FontPack::parse(&short).unwrap_err(), FontError::Corrupt);
        let mut long = good.clone();
        long[12..16].copy_from_slice(&(body_len + 1).to_le_bytes());
        assert_eq!(FontPack::parse(&long).unwrap_err(), FontError::Corrupt);
        // A glyph count that disagrees with the body: 2 entries (10 bytes), 48 + 72 bitmap bytes.
        assert_eq!(body_len, 130);
        let mut fewer = good.clone();
        fewer[8..12].copy_from_slice(&1u32.to_le_bytes());
        assert_eq!(
            FontPack::parse(&fewer).unwrap_err(),
            FontError::LengthMismatch {
                declared: 130,
                described: 5 + 48
            }
        );
        let mut huge = good.clone();
        huge[8..12].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(matches!(
            FontPack::parse(&huge).unwrap_err(),
            FontError::LengthMismatch { .. }
        ));
    }

    #[test]
    fn tables_are_checked() {
        let header = [12, 24, 19, 1];
        let parse =
            |glyphs: &[(u32, u8, Vec<Vec<bool>>)]| FontPack::parse(&pack_file(header, glyphs));
        assert_eq!(
            parse(&[(0x42, 1, blank(1)), (0x41, 1, blank(1))]).unwrap_err(),
            FontError::Unsorted {
                index: 1,
                code_point: 0x41
            }
        );
        assert_eq!(
            parse(&[(0x41, 1, blank(1)), (0x41, 1, blank(1))]).unwrap_err(),
            FontError::Unsorted {
                index: 1,
                code_point: 0x41
            }
        );
        assert_eq!(
            parse(&[(0xD800, 1, blank(1))]).unwrap_err(),
            FontError::InvalidCodePoint {
                index: 0,
                code_point: 0xD800
            }
        );
        assert_eq!(
            parse(&[(0x41, 1, blank(1)), (0x11_0000, 1, blank(1))]).unwrap_err(),
            FontError::InvalidCodePoint {
                index: 1,
                code_point: 0x11_0000
            }
        );
        for cells in [0, 3] {
            assert_eq!(
                parse(&[(0x41, cells, blank(1))]).unwrap_err(),
                FontError::InvalidCells { index: 0, cells }
            );
        }
    }

    #[test]
    fn errors_explain_themselves() {
        assert_eq!(
            FontError::UnsupportedVersion { version: 9 }.to_string(),
            "font pack format version 9 is not supported (expected 1)"
        );
        assert_eq!(
            FontError::Unsorted {
                index: 3,
                code_point: 0x41
            }
            .to_string(),
            "glyph 3: code point U+0041 is out of order or repeated"
        );
    }

    proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
            let _ = FontPack::parse(&bytes);
        }

        #[test]
        fn arbitrary_bodies_never_panic(
            count in 0u32..64,
            geometry in (any::<u8>(), any::<u8>(), any::<u8>()),
            body in proptest::collection::vec(any::<u8>(), 0..2048),
        ) {
            let mut file = MAGIC.to_vec();
            file.extend_from_slice(&[FORMAT_VERSION, geometry.0, geometry.1, geometry.2]);
            file.extend_from_slice(&count.to_le_bytes());
            file.extend_from_slice(&u32::try_from(body.len()).unwrap().to_le_bytes());
            file.extend_from_slice(&miniz_oxide::deflate::compress_to_vec_zlib(&body, 6));
            if let Ok(pack) = FontPack::parse(&file) {
                for c in pack.chars() {
                    let g = pack.glyph(c).unwrap();
                    prop_assert_eq!(g.rows().len(), usize::from(geometry.1));
                }
            }
        }

        #[test]
        fn corrupted_packs_never_panic(flips in proptest::collection::vec((any::<prop::sample::Index>(), 1u8..), 1..8)) {
            let mut file = small_pack();
            let len = file.len();
            for (i, x) in flips {
                file[i.index(len)] ^= x;
            }
            let _ = FontPack::parse(&file);
        }

        #[test]
        fn generated_packs_round_trip(
            glyphs in proptest::collection::btree_map(
                any::<char>(),
                (1u8..=2).prop_flat_map(|cells| (
                    Just(cells),
                    proptest::collection::vec(
                        proptest::collection::vec(any::<bool>(), usize::from(cells) * 12),
                        24,
                    ),
                )),
                0..16,
            ),
        ) {
            let list: Vec<_> = glyphs.iter().map(|(&c, (cells, rows))| (u32::from(c), *cells, rows.clone())).collect();
            let pack = FontPack::parse(&pack_file([12, 24, 19, 1], &list)).unwrap();
            prop_assert_eq!(pack.len(), glyphs.len());
            for (&c, (cells, rows)) in &glyphs {
                let g = pack.glyph(c).unwrap();
                prop_assert_eq!(g.cells, *cells);
                for (y, row) in (0u32..).zip(rows) {
                    for (x, &ink) in (0u32..).zip(row) {
                        prop_assert_eq!(g.pixel(x, y), ink);
                    }
                }
            }
        }
    }
}
