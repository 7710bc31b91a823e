"""Each variant of EReceiptError crossing the bridge, raised by the SDK or thrown by Python
code that the SDK calls. Variants that need a live platform are in test_live.py."""

import asyncio
import json
from pathlib import Path

import pytest

import ereceipt
from conftest import PythonSigner, draw, pen_strokes, sdk_config, signature, transaction_json
from ereceipt import EReceiptError

PAD = ereceipt.SignaturePad(width=1200, height=480, dpi=267)


def test_invalid_transaction_json_names_the_field():
    tx = json.loads(transaction_json())
    del tx["merchant"]["name"]
    with pytest.raises(EReceiptError.InvalidInput) as e:
        ereceipt.parse_transaction(json.dumps(tx))
    assert e.value.field == "merchant.name"
    tx = json.loads(transaction_json())
    tx["card"]["cvv"] = "123"
    with pytest.raises(EReceiptError.InvalidInput) as e:
        ereceipt.parse_transaction(json.dumps(tx))
    assert e.value.field == "card.cvv"
    assert "123" not in str(e.value), "no value in the error text"
    with pytest.raises(EReceiptError.InvalidInput) as e:
        ereceipt.parse_transaction("{not json")
    assert e.value.field == "transaction"


def test_invalid_arguments_name_the_argument():
    cases = [
        (lambda: ereceipt.parse_delivery("fax:+8613800138000"), "delivery"),
        (lambda: ereceipt.parse_delivery("sms:13800138000"), "delivery"),
        (lambda: ereceipt.SignatureCapture(ereceipt.SignaturePad(width=100, height=100, dpi=5)), "pad.dpi"),
        (lambda: ereceipt.verify_receipt(b"not an image"), "image"),
        (lambda: ereceipt.verify_receipt(b"\x89PNG", "not a certificate"), "trusted_ca_pem"),
        (lambda: ereceipt.der_to_fixed_signature(b"\x30\x02\x02\x00"), "der"),
        (lambda: ereceipt.HandwrittenSignature.decode(b"nope"), "signature"),
        (lambda: ereceipt.EReceiptSdk(sdk_config("/tmp/x", platform_url="ftp://example.com/")), "platform_url"),
    ]
    for call, field in cases:
        with pytest.raises(EReceiptError.InvalidInput) as e:
            call()
        assert e.value.field == field, (field, e.value)


def test_bad_points_are_refused_and_leave_the_capture_unchanged():
    capture = ereceipt.SignatureCapture(PAD)
    with pytest.raises(EReceiptError.InvalidInput) as e:
        capture.add_point(ereceipt.PenPoint(x=1.0, y=1.0, t_ms=0))
    assert e.value.field == "stroke"
    capture.begin_stroke(ereceipt.PenPoint(x=10.0, y=10.0, t_ms=100))
    with pytest.raises(EReceiptError.InvalidInput) as e:
        capture.add_point(ereceipt.PenPoint(x=float("nan"), y=1.0, t_ms=101))
    assert e.value.field == "point"
    with pytest.raises(EReceiptError.InvalidInput):
        capture.add_point(ereceipt.PenPoint(x=11.0, y=10.0, t_ms=50))
    assert capture.point_count() == 1


def test_incomplete_signatures():
    capture = ereceipt.SignatureCapture(PAD)
    with pytest.raises(EReceiptError.SignatureIncomplete):
        capture.finish()
    capture.begin_stroke(ereceipt.PenPoint(x=300.0, y=300.0, t_ms=0))
    capture.add_point(ereceipt.PenPoint(x=300.5, y=300.0, t_ms=10))
    capture.end_stroke()
    with pytest.raises(EReceiptError.SignatureIncomplete) as e:
        capture.finish()
    assert "dot" in e.value.reason
    with pytest.raises(EReceiptError.SignatureIncomplete):
        capture.preview_png()
    strict = ereceipt.SignatureCapture(PAD, ereceipt.CaptureOptions(min_points=1_000))
    draw(strict, pen_strokes())
    with pytest.raises(EReceiptError.SignatureIncomplete):
        strict.finish()


def test_a_signature_required_by_the_card_is_missing(storage):
    sdk = ereceipt.EReceiptSdk(sdk_config(storage))
    sdk.create_test_terminal("898310048990001", "Star Café", "SH000001")
    with pytest.raises(EReceiptError.SignatureIncomplete):
        sdk.issue(transaction_json("cny-sale"))
    # A PIN transaction needs none.
    assert sdk.issue(transaction_json("void")).counter == 1


def test_not_enrolled(storage):
    sdk = ereceipt.EReceiptSdk(sdk_config(storage))
    assert not sdk.is_enrolled() and sdk.terminal_info() is None
    for call in (
        lambda: sdk.issue(transaction_json(), signature()),
        lambda: sdk.outbox_status(),
        lambda: sdk.dead_letters(),
        lambda: sdk.start_auto_flush(),
    ):
        with pytest.raises(EReceiptError.NotEnrolled):
            call()
    with pytest.raises(EReceiptError.NotEnrolled):
        asyncio.run(sdk.flush())
    # A local test terminal has a key and a CA but no platform: no delivery, no upload.
    sdk.create_test_terminal("898310048990001", "Star Café", "SH000001")
    assert not sdk.is_enrolled()
    with pytest.raises(EReceiptError.NotEnrolled):
        sdk.issue(transaction_json(), signature(), ereceipt.Delivery.SMS(phone="+8613800138000"))
    with pytest.raises(EReceiptError.NotEnrolled):
        asyncio.run(sdk.flush())


def test_transaction_of_another_terminal_is_invalid_input(storage):
    sdk = ereceipt.EReceiptSdk(sdk_config(storage))
    sdk.create_test_terminal("898310048990001", "Star Café", "SH000002")
    with pytest.raises(EReceiptError.InvalidInput) as e:
        sdk.issue(transaction_json(), signature())
    assert e.value.field == "terminal_id"


def test_platform_unavailable_while_enrolling(storage, closed_port_url):
    sdk = ereceipt.EReceiptSdk(sdk_config(storage, platform_url=closed_port_url, upload_attempts=1))
    with pytest.raises(EReceiptError.PlatformUnavailable) as e:
        asyncio.run(sdk.enroll("token", "SH000001"))
    assert e.value.reason
    assert not sdk.is_enrolled()


def test_enrolling_without_a_platform_url(storage):
    sdk = ereceipt.EReceiptSdk(sdk_config(storage))
    with pytest.raises(EReceiptError.InvalidInput) as e:
        asyncio.run(sdk.enroll("token", "SH000001"))
    assert e.value.field == "platform_url"


@pytest.mark.parametrize(
    "thrown",
    [
        EReceiptError.SignerFailed(reason="key locked"),
        EReceiptError.Internal(reason="surprise"),
        ValueError("not an SDK error"),
    ],
)
def test_a_throwing_python_signer_becomes_signer_failed(storage, closed_port_url, thrown):
    # Enrolling signs the certificate request before anything is sent: the Python signer is
    # called from Rust (on the SDK's async runtime) and what it throws comes back.
    signer = PythonSigner()
    signer.fail_with = thrown
    sdk = ereceipt.EReceiptSdk(sdk_config(storage, platform_url=closed_port_url), signer)
    with pytest.raises(EReceiptError.SignerFailed) as e:
        asyncio.run(sdk.enroll("token", "SH000001"))
    assert signer.sign_calls == 1
    if isinstance(thrown, EReceiptError.SignerFailed):
        assert e.value.reason == "key locked"


def test_a_test_terminal_refuses_an_app_signer(storage):
    sdk = ereceipt.EReceiptSdk(sdk_config(storage), PythonSigner())
    with pytest.raises(EReceiptError.InvalidInput) as e:
        sdk.create_test_terminal("898310048990001", "Star Café", "SH000001")
    assert e.value.field == "signer"


def test_a_second_terminal_in_the_same_directory_is_refused(storage):
    sdk = ereceipt.EReceiptSdk(sdk_config(storage))
    sdk.create_test_terminal("898310048990001", "Star Café", "SH000001")
    with pytest.raises(EReceiptError.InvalidInput) as e:
        sdk.create_test_terminal("898310048990001", "Star Café", "SH000001")
    assert e.value.field == "storage_dir"


def test_damaged_storage(storage):
    storage.mkdir(parents=True)
    (storage / "terminal.pem").write_text("garbage")
    with pytest.raises((EReceiptError.Storage, EReceiptError.Internal)):
        ereceipt.EReceiptSdk(sdk_config(storage))


def test_requeue_of_an_unknown_receipt(storage):
    sdk = ereceipt.EReceiptSdk(sdk_config(storage))
    sdk.create_test_terminal("898310048990001", "Star Café", "SH000001")
    with pytest.raises(EReceiptError.InvalidInput) as e:
        sdk.requeue_dead_letter("not-an-id")
    assert e.value.field == "receipt_id"
    with pytest.raises(EReceiptError.InvalidInput):
        sdk.requeue_dead_letter("6f1c2d3e-4b5a-4c6d-8e7f-001122334455")


def test_the_shipped_font_pack_installs_and_nothing_else():
    pack = (Path(__file__).resolve().parents[3] / "core/assets/fontpack/ereceipt-mono-24.erfp").read_bytes()
    ereceipt.install_font_pack(pack)  # embedded in this build: harmless
    ereceipt.install_font_pack(pack)
    for bad in (b"", b"ERFP", pack[:-1]):
        with pytest.raises(EReceiptError.InvalidInput) as e:
            ereceipt.install_font_pack(bad)
        assert e.value.field == "font_pack"
