#!/usr/bin/env python3
"""Builds the receipt font pack `ereceipt-mono-24.erfp` (format: README.md in this folder).

Every glyph is rasterised once, here, with FreeType's hinted monochrome renderer (Pillow's
`ImageDraw.fontmode = "1"`), and stored as a 1-bit bitmap on a thermal-printer grid of 12x24
pixel cells: one cell for Latin, Greek, Cyrillic, digits and symbols, two cells for East Asian
Wide and Fullwidth characters. The SDK then draws receipts with integer blits only, so every CPU
produces the same pixels.

Usage (Python 3.11, Pillow, fontTools; Debian packages fonts-noto-mono, fonts-noto-cjk and
fonts-noto-core):

    python3 core/assets/fontpack/build.py            # writes ereceipt-mono-24.erfp next to it
    python3 core/assets/fontpack/build.py --check    # rebuilds in memory, fails if it differs
    python3 core/assets/fontpack/build.py --gb2312   # without the JIS and Big5 level-1 hanzi

The output depends only on the font files, the FreeType bundled with Pillow, zlib and Python's
Unicode database (widths, box-drawing names): the same inputs always give the same bytes (the
report printed at the end names them).
"""

from __future__ import annotations

import argparse
import hashlib
import struct
import sys
import unicodedata
import zlib
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import PIL
from fontTools.ttLib import TTFont
from PIL import Image, ImageDraw, ImageFont, features

# --- Geometry (written into the pack header) ------------------------------------------------

CELL_WIDTH = 12
CELL_HEIGHT = 24
# Rows above the baseline: every glyph's alphabetic baseline is the top edge of this row.
# 19 above + 5 below holds Noto Sans Mono Bold at 20 px exactly (`Å` reaches row 0, `g` row 23).
BASELINE = 19

FORMAT_VERSION = 1
MAGIC = b"ERFP"
ZLIB_LEVEL = 9

HERE = Path(__file__).resolve().parent
OUTPUT = HERE / "ereceipt-mono-24.erfp"

# --- Fonts ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FontSpec:
    """A face at a pixel size."""

    name: str
    path: str
    index: int
    size: int


# 1-cell glyphs. Bold: its 2-pixel stems keep digits crisp on thermal paper; Regular's 1-pixel
# stems look faint next to the CJK glyphs and break up when printed.
LATIN = FontSpec(
    "Noto Sans Mono Bold", "/usr/share/fonts/truetype/noto/NotoSansMono-Bold.ttf", 0, 20
)
# 2-cell glyphs (and 1-cell symbols Noto Sans Mono lacks). Regular at 22 px: hinted to 1-pixel
# strokes with open counters even in dense hanzi (Bold, or Regular at 24 px, fills in characters
# like 镶 赢 餐), and its alphabetic baseline can be the common one (ideographs span rows 0-21).
CJK = FontSpec(
    "Noto Sans CJK SC Regular", "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", 2, 22
)
# U+0E3F THAI CURRENCY SYMBOL BAHT is in neither font above.
THAI = FontSpec(
    "Noto Sans Thai Bold", "/usr/share/fonts/truetype/noto/NotoSansThai-Bold.ttf", 0, 20
)

# U+2252 ≒ (JIS X 0208 row 2) is in none of the fonts above; Noto Sans Math has no bold.
MATH = FontSpec(
    "Noto Sans Math Regular", "/usr/share/fonts/truetype/noto/NotoSansMath-Regular.ttf", 0, 20
)

# 1-cell characters taken from the CJK font even though Noto Sans Mono has some of them, so a
# series looks the same throughout (Noto Sans Mono has only ⑴ ⑵ of the parenthesised numbers,
# drawn wider than its cell).
CJK_NARROW_RANGES = [(0x2460, 0x24FF)]  # Enclosed Alphanumerics

# Box drawing is drawn here rather than taken from a font: the fonts' box glyphs span the
# font's full line height (27 px at 20 px), which does not fit the 24-row cell, and lines must
# meet their neighbours' exactly at the cell edges.
BOX_RANGE = (0x2500, 0x254B)

# --- Character set ----------------------------------------------------------------------------

EXTRAS = "€£¥₩₹₽₺₫฿₱–—‘’“”•…‰№™×"


def gb2312() -> list[str]:
    """Every character of GB2312, by decoding every valid two-byte EUC-CN code."""
    out = []
    for b1 in range(0xA1, 0xFF):
        for b2 in range(0xA1, 0xFF):
            try:
                out.append(bytes([b1, b2]).decode("gb2312"))
            except UnicodeDecodeError:
                pass
    return out


def jis_rows(first: int, last: int) -> list[str]:
    """Every character of JIS X 0208 rows `first`..=`last`, by decoding EUC-JP codes."""
    out = []
    for b1 in range(0xA0 + first, 0xA0 + last + 1):
        for b2 in range(0xA1, 0xFF):
            try:
                out.append(bytes([b1, b2]).decode("euc_jp"))
            except UnicodeDecodeError:
                pass
    return out


def big5_level1() -> list[str]:
    """Big5 level-1 (frequently used) hanzi: 0xA440-0xC67E."""
    out = []
    for b1 in range(0xA4, 0xC7):
        for b2 in list(range(0x40, 0x7F)) + list(range(0xA1, 0xFF)):
            code = (b1 << 8) | b2
            if not 0xA440 <= code <= 0xC67E:
                continue
            try:
                out.append(bytes([b1, b2]).decode("big5"))
            except UnicodeDecodeError:
                pass
    return out


def character_set(full: bool) -> dict[int, str]:
    """Code point -> the first range (in this order) that brought it in."""
    ranges: list[tuple[str, list[str]]] = [
        ("ASCII", [chr(c) for c in range(0x20, 0x7F)]),
        ("Latin-1 Supplement", [chr(c) for c in range(0xA0, 0x100)]),
        ("currency and punctuation extras", list(EXTRAS)),
        ("GB2312", gb2312()),
        # Kana and symbols: GB2312 has the kana but not the prolonged sound mark ー (カード),
        # ・, the iteration marks or 〆.
        ("JIS X 0208 rows 1-8 (symbols, kana)", jis_rows(1, 8)),
    ]
    if full:
        ranges.append(("JIS X 0208 level-1 kanji (rows 16-47)", jis_rows(16, 47)))
        ranges.append(("Big5 level-1 hanzi", big5_level1()))
    chars: dict[int, str] = {}
    for name, members in ranges:
        for ch in members:
            if len(ch) != 1:
                raise SystemExit(f"{name}: decoded to {ch!r}, not one character")
            chars.setdefault(ord(ch), name)
    return chars


def cells_of(cp: int) -> int:
    """2 for East Asian Wide and Fullwidth characters, else 1."""
    return 2 if unicodedata.east_asian_width(chr(cp)) in "WF" else 1


# --- Rasterising ------------------------------------------------------------------------------


class Face:
    """A font file, its character map and Pillow fonts at any size."""

    def __init__(self, spec: FontSpec):
        self.spec = spec
        tt = TTFont(spec.path, fontNumber=spec.index, lazy=True)
        self.cmap = set(tt.getBestCmap())
        name = tt["name"]
        self.full_name = name.getDebugName(4)
        self.version = name.getDebugName(5)
        self.copyright = name.getDebugName(0)
        self.sha256 = hashlib.sha256(Path(spec.path).read_bytes()).hexdigest()
        self._sizes: dict[int, ImageFont.FreeTypeFont] = {}

    def at(self, size: int) -> ImageFont.FreeTypeFont:
        if size not in self._sizes:
            self._sizes[size] = ImageFont.truetype(
                self.spec.path,
                size,
                index=self.spec.index,
                layout_engine=ImageFont.Layout.BASIC,
            )
        return self._sizes[size]


PAD = 64  # scratch canvas margin around the origin, larger than any glyph at these sizes


def rasterise(face: Face, size: int, ch: str) -> tuple[Image.Image, int, tuple | None]:
    """Hinted 1-bit rendering of `ch`: (image, advance, ink box relative to the origin)."""
    font = face.at(size)
    img = Image.new("L", (2 * PAD, 2 * PAD), 0)
    draw = ImageDraw.Draw(img)
    draw.fontmode = "1"  # FreeType hinted monochrome: no anti-aliasing, no threshold
    draw.text((PAD, PAD), ch, font=font, fill=255, anchor="ls")
    box = img.getbbox()
    if box is not None:
        if box[0] == 0 or box[1] == 0 or box[2] == 2 * PAD or box[3] == 2 * PAD:
            raise SystemExit(f"U+{ord(ch):04X} touches the scratch canvas edge at {size} px")
        box = (box[0] - PAD, box[1] - PAD, box[2] - PAD, box[3] - PAD)
    advance = round(font.getlength(ch, mode="1"))
    return img, advance, box


@dataclass
class Glyph:
    cp: int
    cells: int
    source: str
    rows: list[list[int]]  # CELL_HEIGHT rows of cells*CELL_WIDTH pixels, 1 = ink
    note: str = ""  # how the glyph was fitted, if it was


def place(face: Face, cp: int, cells: int) -> Glyph:
    """Renders `cp` into its cells, on the common baseline, without clipping any ink.

    The glyph's advance box is centred horizontally in its cells and its baseline put at
    BASELINE. Ink that then crosses a cell edge is moved inside when it fits (noted "shifted");
    ink larger than the cells is re-rendered at smaller sizes until it fits (noted "scaled").
    """
    ch = chr(cp)
    width = cells * CELL_WIDTH
    notes = []
    size = face.spec.size
    while True:
        img, advance, box = rasterise(face, size, ch)
        if box is None:
            if unicodedata.category(ch) != "Zs":
                raise SystemExit(f"U+{cp:04X} renders no ink but is not a space")
            return Glyph(cp, cells, face.spec.name, [[0] * width for _ in range(CELL_HEIGHT)])
        x0, y0, x1, y1 = box
        if x1 - x0 <= width and y1 - y0 <= CELL_HEIGHT:
            break
        size -= 1
        if size < 8:
            raise SystemExit(f"U+{cp:04X} does not fit its cells even at 8 px")
    if size != face.spec.size:
        notes.append(f"scaled {face.spec.size}->{size} px")
    ox = (width - advance) // 2  # origin of the glyph in cell coordinates
    oy = BASELINE
    dx = 0
    if x0 + ox < 0:
        dx = -(x0 + ox)
    elif x1 + ox > width:
        dx = width - (x1 + ox)
    dy = 0
    if y0 + oy < 0:
        dy = -(y0 + oy)
    elif y1 + oy > CELL_HEIGHT:
        dy = CELL_HEIGHT - (y1 + oy)
    if dx or dy:
        notes.append(f"shifted ({dx:+d},{dy:+d})")
    ox += dx
    oy += dy
    px = img.load()
    rows = []
    for y in range(CELL_HEIGHT):
        row = []
        for x in range(width):
            sx, sy = PAD + x - ox, PAD + y - oy
            row.append(1 if px[sx, sy] else 0)
        rows.append(row)
    ink = sum(map(sum, rows))
    total = sum(1 for y in range(2 * PAD) for x in range(2 * PAD) if px[x, y])
    if ink != total:
        raise SystemExit(f"U+{cp:04X}: {total - ink} ink pixels would be clipped")
    return Glyph(cp, cells, face.spec.name, rows, "; ".join(notes))


# --- Box drawing ------------------------------------------------------------------------------

LIGHT, HEAVY = 2, 4  # stroke thickness in pixels


def box_drawing(cp: int) -> Glyph:
    """Draws a U+2500-U+254B box-drawing character from its Unicode name.

    Names are either "<WEIGHT> <arms>" ("LIGHT DOWN AND RIGHT", "HEAVY TRIPLE DASH VERTICAL")
    or "<arms> <WEIGHT> AND <arms> <WEIGHT>" ("UP HEAVY AND RIGHT DOWN LIGHT"). Lines run
    through the cell centre and reach the cell edges, so neighbours join.
    """
    name = unicodedata.name(chr(cp))
    words = name.removeprefix("BOX DRAWINGS ").split()
    expand = {
        "UP": ["up"],
        "DOWN": ["down"],
        "LEFT": ["left"],
        "RIGHT": ["right"],
        "HORIZONTAL": ["left", "right"],
        "VERTICAL": ["up", "down"],
    }
    arms: dict[str, int] = {}
    dashes = 0
    if words[0] in ("LIGHT", "HEAVY"):
        weight = LIGHT if words[0] == "LIGHT" else HEAVY
        for w in words[1:]:
            if w == "TRIPLE":
                dashes = 3
            elif w == "QUADRUPLE":
                dashes = 4
            elif w in expand:
                for arm in expand[w]:
                    arms[arm] = weight
            elif w not in ("AND", "DASH"):
                raise SystemExit(f"U+{cp:04X}: unexpected {w!r} in {name}")
    else:
        pending: list[str] = []
        for w in words:
            if w in expand:
                pending += expand[w]
            elif w in ("LIGHT", "HEAVY"):
                for arm in pending:
                    arms[arm] = LIGHT if w == "LIGHT" else HEAVY
                pending = []
            elif w != "AND":
                raise SystemExit(f"U+{cp:04X}: unexpected {w!r} in {name}")
    w, h = CELL_WIDTH, CELL_HEIGHT
    cx, cy = w // 2, h // 2  # lines are centred on the pixel boundary before cx, cy
    rows = [[0] * w for _ in range(h)]

    def fill(x0: int, y0: int, x1: int, y1: int) -> None:
        for y in range(max(y0, 0), min(y1, h)):
            for x in range(max(x0, 0), min(x1, w)):
                rows[y][x] = 1

    vertical = max(arms.get("up", 0), arms.get("down", 0))
    horizontal = max(arms.get("left", 0), arms.get("right", 0))
    # Each arm runs from the cell edge to the far side of the perpendicular stroke.
    for arm, t in arms.items():
        if arm in ("left", "right"):
            reach = vertical // 2 if vertical else 0
            y0, y1 = cy - t // 2, cy + t // 2
            if arm == "left":
                fill(0, y0, cx + reach, y1)
            else:
                fill(cx - reach, y0, w, y1)
        else:
            reach = horizontal // 2 if horizontal else 0
            x0, x1 = cx - t // 2, cx + t // 2
            if arm == "up":
                fill(x0, 0, x1, cy + reach)
            else:
                fill(x0, cy - reach, x1, h)
    if dashes:
        # Cut the line into `dashes` dashes per cell: the last pixels of each period are a gap,
        # so dashes repeat evenly across neighbouring cells.
        if "left" in arms:
            period, gap = w // dashes, 1
            for y in range(h):
                for x in range(w):
                    if x % period >= period - gap:
                        rows[y][x] = 0
        else:
            period, gap = h // dashes, 2
            for y in range(h):
                if y % period >= period - gap:
                    rows[y] = [0] * w
    return Glyph(cp, 1, "drawn (box drawing)", rows)


# --- Pack -------------------------------------------------------------------------------------


def pack_rows(glyph: Glyph) -> bytes:
    """Rows MSB-first, each row padded to whole bytes."""
    out = bytearray()
    for row in glyph.rows:
        padded = row + [0] * (-len(row) % 8)
        for i in range(0, len(padded), 8):
            byte = 0
            for bit in padded[i : i + 8]:
                byte = (byte << 1) | bit
            out.append(byte)
    return bytes(out)


def build(full: bool) -> tuple[bytes, bytes, list[Glyph], dict[int, str], list[Face]]:
    latin, cjk, thai, math = Face(LATIN), Face(CJK), Face(THAI), Face(MATH)
    chars = character_set(full)
    glyphs = []
    for cp in sorted(chars):
        cells = cells_of(cp)
        if BOX_RANGE[0] <= cp <= BOX_RANGE[1]:
            glyphs.append(box_drawing(cp))
            continue
        narrow_from_cjk = any(lo <= cp <= hi for lo, hi in CJK_NARROW_RANGES)
        if cells == 2 or narrow_from_cjk:
            candidates = [cjk]
        else:
            candidates = [latin, cjk, thai, math]
        face = next((f for f in candidates if cp in f.cmap), None)
        if face is None:
            raise SystemExit(f"U+{cp:04X} ({chars[cp]}) is in none of the fonts")
        glyphs.append(place(face, cp, cells))

    table = b"".join(struct.pack("<IB", g.cp, g.cells) for g in glyphs)
    bitmaps = b"".join(pack_rows(g) for g in glyphs)
    body = table + bitmaps
    header = struct.pack(
        "<4sBBBBII",
        MAGIC,
        FORMAT_VERSION,
        CELL_WIDTH,
        CELL_HEIGHT,
        BASELINE,
        len(glyphs),
        len(body),
    )
    pack = header + zlib.compress(body, ZLIB_LEVEL)
    return pack, body, glyphs, chars, [latin, cjk, thai, math]


def report(pack: bytes, body: bytes, glyphs: list[Glyph], chars: dict[int, str], faces) -> None:
    digest = hashlib.sha256(pack).hexdigest()
    print(f"glyphs: {len(glyphs)}")
    for name, n in Counter(chars.values()).items():
        print(f"  {name}: {n} (new to the pack)")
    by_cells = Counter(g.cells for g in glyphs)
    print(f"  1-cell: {by_cells[1]}, 2-cell: {by_cells[2]}")
    for source, n in sorted(Counter(g.source for g in glyphs).items()):
        print(f"  from {source}: {n}")
    print(f"inflated: {len(body)}-byte body + 16-byte header, file: {len(pack)} bytes")
    print(f"sha256(file): {digest}")
    print(f"sha256(inflated body): {hashlib.sha256(body).hexdigest()}")
    print(f"id: erfp1-{digest[:16]}")
    fitted = [g for g in glyphs if g.note]
    print(f"fitted glyphs: {len(fitted)}")
    for g in fitted:
        print(f"  U+{g.cp:04X} {chr(g.cp)} {g.source}: {g.note}")
    freetype = features.version("freetype2")
    print(f"Pillow {PIL.__version__}, FreeType {freetype}, zlib {zlib.ZLIB_VERSION}")
    for f in faces:
        print(f"{f.spec.name} @ {f.spec.size} px: {f.full_name}, {f.version}")
        print(f"  {f.spec.path} (face {f.spec.index}) sha256 {f.sha256}")
        print(f"  {f.copyright}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=OUTPUT, help="where to write the pack")
    parser.add_argument("--check", action="store_true", help="compare with --out, write nothing")
    parser.add_argument(
        "--gb2312",
        action="store_true",
        help="leave out the JIS X 0208 level-1 kanji and Big5 level-1 hanzi (size comparison)",
    )
    parser.add_argument("--quiet", action="store_true", help="no report")
    args = parser.parse_args()

    pack, body, glyphs, chars, faces = build(not args.gb2312)
    if not args.quiet:
        report(pack, body, glyphs, chars, faces)
    if args.check:
        current = args.out.read_bytes() if args.out.exists() else b""
        if current != pack:
            print(f"{args.out} differs from a fresh build", file=sys.stderr)
            return 1
        print(f"{args.out} is up to date")
        return 0
    args.out.write_bytes(pack)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
