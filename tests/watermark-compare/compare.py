#!/usr/bin/env python3
"""Measure two PyPI photo-watermarking libraries on ereceipt receipts, side by side.

Libraries: invisible-watermark (module ``imwatermark``, method 'dwtDct') and blind-watermark
(module ``blind_watermark``). Both are used the way their READMEs recommend, with a 32-bit payload.

For every receipt (rendered by the project's CLI from varied copies of tests/data/transactions):
embed the payload, then extract after a set of transforms (lossless, PNG re-encode, JPEG 95/85/75,
90 % resize as-is and resized back, 10 px crop from the top) and record bit accuracy, exact-payload
rate, sizes and timings. Unmarked receipts give the false-positive baseline. The Markdown table is
printed and written to tests/watermark-compare/results.md.

Run from the repository root with the venv's python, e.g.
    /tmp/wmvenv/bin/python tests/watermark-compare/compare.py --receipts 50 --seed 1
"""

from __future__ import annotations

import argparse
import copy
import csv
import datetime as dt
import importlib.metadata
import io
import json
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

SCRIPT_DIR = Path(__file__).resolve().parent
PAYLOAD_BITS = 32

try:
    import cv2
    import numpy as np
    from PIL import Image

    # blind_watermark prints a banner on the first WaterMark(); close it so the output stays a table.
    import blind_watermark
    from blind_watermark import WaterMark
    from imwatermark import WatermarkDecoder, WatermarkEncoder
except ImportError as exc:  # the libraries under test are the whole point: stop clearly
    sys.exit(
        f"error: missing Python package ({exc}).\n"
        "Create the venv and install the pinned versions, then run with its python:\n"
        "  python3 -m venv /tmp/wmvenv\n"
        "  /tmp/wmvenv/bin/pip install -r tests/watermark-compare/requirements.txt\n"
        "  /tmp/wmvenv/bin/python tests/watermark-compare/compare.py"
    )

blind_watermark.bw_notes.close()

# Card verification methods for which the renderer wants a signature.
SIGNATURE_CVMS = {"signature", "offline_pin_and_signature"}
SIGNATURES = ["j-whitfield", "lena-hollis", "marc-dubois", "wang-xiaoming"]


# --------------------------------------------------------------------------------------------
# Receipts: varied but valid transactions, rendered by the CLI
# --------------------------------------------------------------------------------------------

def round_half_up(x: Decimal) -> int:
    return int(x.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def vary_transaction(base: dict, rng: random.Random) -> dict:
    """Return a copy of ``base`` with new numbers that still pass validation.

    docs/TRANSACTION.md: each line amount == round_half_up(quantity × unit_price), and
    sum(line amounts) − discount + tax + tip == amount, exactly, in minor units.
    """
    t = copy.deepcopy(base)
    t["trace_number"] = f"{rng.randint(1, 999999):06d}"
    if "original_trace_number" in t:
        t["original_trace_number"] = f"{rng.randint(1, 999999):06d}"
    if "auth_code" in t:
        t["auth_code"] = "".join(rng.choice("ABCDEFGHJKLMNPQRSTUVWXYZ0123456789") for _ in range(6))
    if "retrieval_reference_number" in t:
        t["retrieval_reference_number"] = f"{rng.randint(0, 10**12 - 1):012d}"
    # Shift the time by up to ±20 days, keeping the original UTC offset (and the year 2026).
    when = dt.datetime.fromisoformat(t["local_time"]) + dt.timedelta(
        seconds=rng.randint(-20 * 86400, 20 * 86400))
    t["local_time"] = when.isoformat(timespec="seconds")

    old_amount = t["amount"]
    items = t.get("line_items")
    if items:
        # Keep a random non-empty subset of the lines, so receipts also differ in height.
        keep = sorted(rng.sample(range(len(items)), rng.randint(1, len(items))))
        items = [items[i] for i in keep]
        for it in items:
            if "unit_price" in it:
                it["unit_price"] = max(1, round(it["unit_price"] * rng.uniform(0.5, 2.0)))
                q = it.get("quantity", 1)
                if isinstance(q, int):  # leave decimal quantities ("0.25") as they are
                    q = rng.randint(1, 4)
                    it["quantity"] = q
                it["amount"] = round_half_up(Decimal(str(q)) * it["unit_price"])
            else:
                it["amount"] = max(1, round(it["amount"] * rng.uniform(0.5, 2.0)))
        t["line_items"] = items
        subtotal = sum(it["amount"] for it in items)
        if "tax" in t:  # keep the original's tax rate
            rate = Decimal(base["tax"]) / sum(Decimal(i["amount"]) for i in base["line_items"])
            t["tax"] = round_half_up(subtotal * rate)
        if "tip" in t:
            t["tip"] = round(subtotal * rng.choice([0, 0.1, 0.15, 0.2]))
        if "discount" in t:
            t["discount"] = min(t["discount"], subtotal // 2)
        t["amount"] = subtotal - t.get("discount", 0) + t.get("tax", 0) + t.get("tip", 0)
    else:
        t["amount"] = max(1, round(old_amount * rng.uniform(0.3, 3.0)))
    if "included_tax" in t:  # VAT contained in the price scales with it
        t["included_tax"] = t["included_tax"] * t["amount"] // old_amount
    return t


def make_receipts(n: int, cli: Path, work: Path, rng: random.Random) -> list[Path]:
    """Render ``n`` receipts: the project's samples first, then seeded variants of them."""
    samples = sorted(Path("tests/data/transactions").glob("*.json"))
    if not samples:
        sys.exit("error: tests/data/transactions/*.json not found; run from the repository root")
    rdir = work / "receipts"
    rdir.mkdir(parents=True, exist_ok=True)
    out = []
    for i in range(n):
        src = samples[i % len(samples)]
        tx = json.loads(src.read_text(encoding="utf-8"))
        if i >= len(samples):
            tx = vary_transaction(tx, rng)
        tx_path = rdir / f"{i:03d}-{src.stem}.json"
        tx_path.write_text(json.dumps(tx, ensure_ascii=False, indent=1), encoding="utf-8")
        png = rdir / f"{i:03d}-{src.stem}.png"
        cmd = [str(cli), "render", "--transaction", str(tx_path), "--out", str(png)]
        if tx["card"].get("cardholder_verification") in SIGNATURE_CVMS:
            sig = SIGNATURES[i % len(SIGNATURES)]
            cmd += ["--signature", f"tests/data/signatures/{sig}.json"]
        r = subprocess.run(cmd, capture_output=True, text=True)
        if r.returncode != 0:
            sys.exit(f"error: {' '.join(cmd)} failed:\n{r.stderr.strip()}")
        out.append(png)
    return out


# --------------------------------------------------------------------------------------------
# The two libraries, behind the same two calls
# --------------------------------------------------------------------------------------------

class InvisibleWatermark:
    name = "invisible-watermark (dwtDct)"

    def embed(self, bgr: np.ndarray, bits: np.ndarray) -> np.ndarray:
        enc = WatermarkEncoder()
        enc.set_watermark("bytes", np.packbits(bits).tobytes())  # the 4-byte payload
        return enc.encode(bgr, "dwtDct")

    def extract(self, bgr: np.ndarray) -> np.ndarray:
        payload = WatermarkDecoder("bytes", PAYLOAD_BITS).decode(bgr, "dwtDct")
        return np.unpackbits(np.frombuffer(payload, dtype=np.uint8)).astype(bool)


class BlindWatermark:
    name = "blind-watermark"

    def embed(self, bgr: np.ndarray, bits: np.ndarray) -> np.ndarray:
        bwm = WaterMark(password_wm=1, password_img=1)
        bwm.read_img(img=bgr)
        bwm.read_wm(bits.tolist(), mode="bit")
        out = bwm.embed()
        # embed() returns float32 in [0, 255]; embed(filename=...) lets cv2.imwrite round it to
        # uint8 (saturate_cast, half to even). Do the same explicitly, without the cv2 warning.
        return np.rint(out).astype(np.uint8)

    def extract(self, bgr: np.ndarray) -> np.ndarray:
        # The decoder needs only the payload length; it takes whatever image size it is given.
        bwm = WaterMark(password_wm=1, password_img=1)
        return np.asarray(bwm.extract(embed_img=bgr, wm_shape=PAYLOAD_BITS, mode="bit"), dtype=bool)


# --------------------------------------------------------------------------------------------
# Transforms: each returns (image handed to the decoder, bytes of the file as it would travel)
# --------------------------------------------------------------------------------------------

def png_bytes(bgr: np.ndarray) -> bytes:
    ok, buf = cv2.imencode(".png", bgr)  # OpenCV defaults, as the libraries' own embed(filename)
    assert ok
    return buf.tobytes()


def decode(buf: bytes) -> np.ndarray:
    return cv2.imdecode(np.frombuffer(buf, np.uint8), cv2.IMREAD_COLOR)


def t_lossless(bgr):
    b = png_bytes(bgr)
    return decode(b), len(b)


def t_png_reencode(bgr):
    # What a chat app / gallery "optimise" step does: Pillow re-encode, no ancillary chunks.
    im = Image.open(io.BytesIO(png_bytes(bgr)))
    bio = io.BytesIO()
    im.save(bio, format="PNG", optimize=True)
    b = bio.getvalue()
    return decode(b), len(b)


def t_jpeg(q):
    def f(bgr):
        ok, buf = cv2.imencode(".jpg", bgr, [cv2.IMWRITE_JPEG_QUALITY, q])
        assert ok
        return decode(buf.tobytes()), len(buf)
    return f


def scaled(bgr):
    h, w = bgr.shape[:2]
    return cv2.resize(bgr, (round(w * 0.9), round(h * 0.9)), interpolation=cv2.INTER_AREA)


def t_resize_asis(bgr):
    b = png_bytes(scaled(bgr))
    return decode(b), len(b)


def t_resize_back(bgr):
    # A verifier who knows the original shape scales the image back before decoding.
    h, w = bgr.shape[:2]
    b = png_bytes(scaled(bgr))
    return cv2.resize(decode(b), (w, h), interpolation=cv2.INTER_LINEAR), len(b)


def t_crop_top(bgr):
    b = png_bytes(bgr[10:])
    return decode(b), len(b)


TRANSFORMS = [
    ("lossless PNG", t_lossless),
    ("PNG re-encoded (Pillow, no metadata)", t_png_reencode),
    ("JPEG q95", t_jpeg(95)),
    ("JPEG q85", t_jpeg(85)),
    ("JPEG q75", t_jpeg(75)),
    ("resize 90 % (as-is)", t_resize_asis),
    ("resize 90 %, back to original size", t_resize_back),
    ("crop 10 px from top (as-is)", t_crop_top),
]
UNMARKED = "UNMARKED receipt vs random payload"


# --------------------------------------------------------------------------------------------
# Measurement and report
# --------------------------------------------------------------------------------------------

def timed(f, *a):
    t0 = time.perf_counter()
    r = f(*a)
    return r, (time.perf_counter() - t0) * 1000.0


def run(receipts: list[Path], seed: int) -> list[dict]:
    rows = []
    libs = [InvisibleWatermark(), BlindWatermark()]
    prng = np.random.default_rng(seed)
    # One random payload per receipt, the same for both libraries.
    payloads = [prng.integers(0, 2, PAYLOAD_BITS).astype(bool) for _ in receipts]
    for k, (path, bits) in enumerate(zip(receipts, payloads)):
        # The renderer writes 1-bit gray; both libraries want 3-channel uint8 BGR.
        bgr = cv2.imread(str(path), cv2.IMREAD_COLOR)
        orig_size = path.stat().st_size
        for lib in libs:
            base = dict(receipt=path.name, library=lib.name, orig_bytes=orig_size,
                        height=bgr.shape[0])
            marked, embed_ms = timed(lib.embed, bgr, bits)
            for tname, tf in TRANSFORMS:
                img, nbytes = tf(marked)
                rows.append(dict(base, transform=tname, embed_ms=embed_ms, out_bytes=nbytes,
                                 **extract_one(lib, img, bits)))
            # False-positive baseline: decode the receipt that was never marked.
            rows.append(dict(base, transform=UNMARKED, embed_ms=None, out_bytes=orig_size,
                             **extract_one(lib, bgr, bits)))
        print(f"  [{k + 1}/{len(receipts)}] {path.name}", file=sys.stderr, flush=True)
    return rows


def extract_one(lib, img, bits) -> dict:
    try:
        got, ms = timed(lib.extract, img)
    except Exception as exc:  # a decoder that crashes on a transform is a result, not a bug here
        return dict(extract_ms=None, correct=None, all_zero=None, error=repr(exc)[:120])
    return dict(extract_ms=ms, correct=int((got == bits).sum()), all_zero=bool(not got.any()),
                error="")


def med(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def fmt(x, spec):
    return "—" if x is None else format(x, spec)


def summarise(rows: list[dict]) -> tuple[str, str]:
    libs = list(dict.fromkeys(r["library"] for r in rows))
    tnames = [t for t, _ in TRANSFORMS] + [UNMARKED]
    main = ["| library | transform | bit accuracy (median) | payload exact (%) | size ratio (median)"
            " | embed ms (median) | extract ms (median) | localisation |",
            "|---|---|---|---|---|---|---|---|"]
    detail = ["| library | transform | n | errors | bits correct min / median / max (of 32) "
              "| decoded all-zero (%) |", "|---|---|---|---|---|---|"]
    for lib in libs:
        for t in tnames:
            rs = [r for r in rows if r["library"] == lib and r["transform"] == t]
            ok = [r for r in rs if r["correct"] is not None]
            corr = [r["correct"] for r in ok]
            acc = med([c / PAYLOAD_BITS for c in corr])
            exact = 100.0 * sum(c == PAYLOAD_BITS for c in corr) / len(rs)  # errors count as misses
            ratio = med([r["out_bytes"] / r["orig_bytes"] for r in rs])
            main.append(
                f"| {lib} | {t} | {fmt(acc, '.3f')} | {exact:.0f} | "
                f"{fmt(ratio, '.2f') if t != UNMARKED else '1.00 (original)'} | "
                f"{fmt(med([r['embed_ms'] for r in rs]), '.0f')} | "
                f"{fmt(med([r['extract_ms'] for r in rs]), '.0f')} | not supported |")
            zero = 100.0 * sum(r["all_zero"] for r in ok) / len(ok) if ok else None
            rng = f"{min(corr)} / {statistics.median(corr):g} / {max(corr)}" if corr else "—"
            detail.append(f"| {lib} | {t} | {len(rs)} | {len(rs) - len(ok)} | {rng} | "
                          f"{fmt(zero, '.0f')} |")
    return "\n".join(main), "\n".join(detail)


def versions() -> str:
    out = []
    for pkg in ["invisible-watermark", "blind-watermark", "opencv-python",
                "opencv-python-headless", "numpy", "PyWavelets", "pillow", "torch"]:
        try:
            out.append(f"{pkg} {importlib.metadata.version(pkg)}")
        except importlib.metadata.PackageNotFoundError:
            pass
    return ", ".join(out) + f"; cv2 {cv2.__version__}; Python {platform.python_version()}"


def machine() -> str:
    try:
        nproc = subprocess.run(["nproc"], capture_output=True, text=True).stdout.strip()
    except OSError:
        nproc = str(len(os.sched_getaffinity(0)))
    model = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"nproc {nproc}, {model}, {platform.system()} {platform.release()}"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--receipts", type=int, default=50, help="receipts per library (default 50)")
    ap.add_argument("--cli", type=Path, default=Path("target/release/ereceipt"),
                    help="the ereceipt CLI binary (default target/release/ereceipt)")
    ap.add_argument("--out", type=Path, help="work directory (default: a temporary one, removed)")
    ap.add_argument("--seed", type=int, default=1, help="seed for variants and payloads (default 1)")
    args = ap.parse_args()

    if not args.cli.is_file():
        sys.exit(f"error: CLI not found at {args.cli}; build it with "
                 "`cargo build --release -p ereceipt-cli` or pass --cli PATH")
    if args.receipts < 1:
        sys.exit("error: --receipts must be at least 1")
    work = args.out or Path(tempfile.mkdtemp(prefix="wmcompare-"))
    work.mkdir(parents=True, exist_ok=True)

    started = dt.datetime.now().astimezone()
    print(f"rendering {args.receipts} receipts into {work} ...", file=sys.stderr)
    receipts = make_receipts(args.receipts, args.cli, work, random.Random(args.seed))
    print("embedding and extracting (blind-watermark takes seconds per call) ...", file=sys.stderr)
    rows = run(receipts, args.seed)

    with open(work / "raw.csv", "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)

    table, detail = summarise(rows)
    cmd = " ".join([Path(sys.executable).as_posix(), *sys.argv])
    header = "\n".join([
        "# Photo watermarks on ereceipt receipts: measured",
        "",
        f"- date: {started.isoformat(timespec='seconds')}",
        f"- command: `{cmd}`",
        f"- receipts: {len(receipts)} per library (576 px wide, 1-bit PNG from the CLI; "
        f"the 6 samples of tests/data/transactions, then seeded variants), seed {args.seed}",
        f"- versions: {versions()}",
        f"- machine: {machine()}",
        "",
    ])
    notes = "\n".join([
        "",
        "Notes:",
        "- bit accuracy: fraction of the 32 payload bits decoded correctly; payload exact: share of "
        "receipts where all 32 are right (a decoder error counts as a miss).",
        "- size ratio: bytes of the file as it travels after the transform (PNG written with OpenCV "
        "defaults, Pillow `optimize=True` for the re-encode row, JPEG at the stated quality) / bytes "
        "of the original 1-bit PNG. The lossless row is the library's output PNG.",
        "- embed/extract ms: the library call only (array in, array out), one process, wall clock.",
        "- UNMARKED rows: the decoder run on receipts that were never marked, compared with the "
        "random payload drawn for that receipt; this is the false-positive baseline.",
        "- localisation: neither API returns anything but the payload (imwatermark "
        "`WatermarkDecoder.decode` → bytes/bits; blind_watermark `WaterMark.extract` → bits), so "
        "neither says where an image was edited.",
        "",
        "Distribution per transform:",
        "",
        detail,
        "",
    ])
    print(table)
    print(notes)
    (SCRIPT_DIR / "results.md").write_text(header + "\n" + table + "\n" + notes, encoding="utf-8")
    print(f"wrote {SCRIPT_DIR / 'results.md'}", file=sys.stderr)
    if args.out is None:
        shutil.rmtree(work)
    else:
        print(f"receipts, transactions and raw.csv kept in {work}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
