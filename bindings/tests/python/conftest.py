"""Fixtures of the Python bridge tests: sample data, a clock and a P-256 signer written in
Python, and a live receipt platform (`ereceipt platform serve`) run as a child process.

These tests exercise the bridge (conversions, errors crossing it, callbacks, async, object
lifetimes); what the SDK does is tested in Rust, in `core`.
"""

import json
import os
import pathlib
import queue
import shutil
import struct
import subprocess
import threading
import zlib

import pytest

import ereceipt
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

WORKSPACE = pathlib.Path(__file__).resolve().parents[3]
DATA = WORKSPACE / "tests" / "data"

# The sample the live tests enroll for: the platform's merchant and the terminal id must be
# the transaction's.
MERCHANT_ID = "898310048990001"
MERCHANT_NAME = "上海静安星光咖啡馆"
TERMINAL_ID = "SH000001"


def transaction_json(name="cny-sale"):
    return (DATA / "transactions" / f"{name}.json").read_text(encoding="utf-8")


def transaction_names():
    return sorted(p.stem for p in (DATA / "transactions").glob("*.json"))


def signature(name="wang-xiaoming"):
    text = (DATA / "signatures" / f"{name}.json").read_text(encoding="utf-8")
    return ereceipt.HandwrittenSignature.from_json(text)


def sdk_config(directory, **settings):
    return ereceipt.SdkConfig(storage_dir=str(directory), **settings)


class ManualClock(ereceipt.Clock):
    """A clock the test moves by hand, called from Rust."""

    def __init__(self, now=0):
        self.now = now
        self.calls = 0
        self.broken = False

    def now_ms(self):
        self.calls += 1
        if self.broken:
            raise ereceipt.EReceiptError.Internal(reason="clock broken")
        return self.now


class PythonSigner(ereceipt.Signer):
    """A software P-256 key in Python, standing in for a hardware key store: it signs DER (as
    key stores do) and converts with the SDK's helper."""

    def __init__(self):
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.sign_calls = 0
        self.fail_with = None

    def sign(self, message):
        self.sign_calls += 1
        if self.fail_with is not None:
            raise self.fail_with
        der = self.key.sign(bytes(message), ec.ECDSA(hashes.SHA256()))
        return ereceipt.der_to_fixed_signature(der)

    def public_key(self):
        return self.key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )


def pen_strokes():
    """A signature-like scribble: three strokes of timed points, all on a 1200×480 pad."""
    strokes = []
    t = 1_000
    for s in range(3):
        stroke = []
        for i in range(30):
            stroke.append(
                ereceipt.PenPoint(
                    x=100.0 + s * 300 + i * 8.0, y=200.0 + (i % 7) * 12.0, t_ms=t, pressure=0.5
                )
            )
            t += 8
        strokes.append(stroke)
        t += 150
    return strokes


def draw(capture, strokes):
    for stroke in strokes:
        capture.begin_stroke(stroke[0])
        capture.add_points(stroke[1:])
        capture.end_stroke()


def tamper_png(png, rows=slice(300, 330)):
    """Inverts the pixels of some rows of a 1-bit, unfiltered PNG (what the SDK writes), keeping
    every other chunk (the evidence) as it is."""
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    chunks, pos = [], 8
    while pos < len(png):
        (length,) = struct.unpack(">I", png[pos : pos + 4])
        kind = png[pos + 4 : pos + 8]
        chunks.append((kind, png[pos + 8 : pos + 8 + length]))
        pos += 12 + length
    header = dict(chunks)[b"IHDR"]
    width, height = struct.unpack(">II", header[:8])
    stride = 1 + (width + 7) // 8
    raw = bytearray(zlib.decompress(b"".join(d for k, d in chunks if k == b"IDAT")))
    for y in range(height)[rows]:
        for x in range(y * stride + 2, y * stride + stride // 2):
            raw[x] ^= 0xFF
    out, idat_written = bytearray(png[:8]), False
    for kind, data in chunks:
        if kind == b"IDAT":
            if idat_written:
                continue
            data, idat_written = zlib.compress(bytes(raw), 9), True
        out += struct.pack(">I", len(data)) + kind + data
        out += struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    return bytes(out)


# ---------------------------------------------------------------------------------------------
# The live platform.


def _ereceipt_binary():
    explicit = os.environ.get("ERECEIPT_BIN")
    if explicit:
        return pathlib.Path(explicit)
    target = pathlib.Path(os.environ.get("CARGO_TARGET_DIR", WORKSPACE / "target"))
    return target / "debug" / "ereceipt"


def _platform_missing():
    exe = _ereceipt_binary()
    if not exe.exists():
        return f"{exe} is not built (cargo build -p ereceipt-cli)"
    probe = subprocess.run(
        [str(exe), "platform", "serve", "--help"], capture_output=True, text=True
    )
    if probe.returncode != 0:
        return "this `ereceipt` has no `platform serve` command yet"
    return None


class Platform:
    """`ereceipt platform serve` on a free port, with its own data directory."""

    def __init__(self, exe, data):
        self.exe, self.data = str(exe), data
        self.log = data.parent / "platform.log"
        self.process = subprocess.Popen(
            [self.exe, "platform", "serve", "--data", str(data), "--listen", "127.0.0.1:0"],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        lines = queue.Queue()

        def forward():
            with open(self.log, "a", encoding="utf-8") as log:
                for line in self.process.stdout:
                    log.write(line)
                    log.flush()
                    lines.put(line)

        threading.Thread(target=forward, daemon=True).start()
        while True:
            try:
                line = lines.get(timeout=60)
            except queue.Empty:
                self.stop()
                raise RuntimeError(f"the platform did not say where it listens; see {self.log}")
            if "listening on " in line:
                address = line.split("listening on ", 1)[1].split()[0]
                self.url = address.rstrip("/") + "/"
                return

    def cli_json(self, *args):
        out = subprocess.run(
            [self.exe, "platform", *args, "--data", str(self.data), "--json"],
            capture_output=True,
            text=True,
            check=True,
        )
        return json.loads(out.stdout)

    def add_merchant(self, merchant_id=MERCHANT_ID, name=MERCHANT_NAME):
        self.cli_json("merchant", "add", "--name", name, "--id", merchant_id)

    def enrollment_token(self, merchant_id=MERCHANT_ID):
        return self.cli_json("enrollment-token", "--merchant", merchant_id)["token"]

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@pytest.fixture
def platform(tmp_path):
    """A fresh live platform with the sample merchant. Skipped while the platform is not built
    yet, unless ERECEIPT_REQUIRE_PLATFORM=1 (CI), where its absence fails the test."""
    missing = _platform_missing()
    if missing:
        if os.environ.get("ERECEIPT_REQUIRE_PLATFORM") == "1":
            pytest.fail(f"live platform required: {missing}")
        pytest.skip(f"live platform unavailable: {missing}")
    data = tmp_path / "platform-data"
    data.mkdir()
    server = Platform(_ereceipt_binary(), data)
    try:
        server.add_merchant()
        yield server
    finally:
        server.stop()


@pytest.fixture
def closed_port_url():
    """A loopback URL nothing listens on: the platform is down."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/"


@pytest.fixture
def storage(tmp_path):
    directory = tmp_path / "terminal"
    yield directory
    shutil.rmtree(directory, ignore_errors=True)
