"""Every record and enum crossing the bridge, in the directions the API carries it."""

import json

import pytest

import ereceipt
from conftest import (
    ManualClock,
    draw,
    pen_strokes,
    sdk_config,
    signature,
    transaction_json,
    transaction_names,
)
from ereceipt import (
    Card,
    CardBrand,
    CardTransaction,
    Coordinates,
    Cvm,
    EntryMode,
    Emv,
    LineItem,
    Locale,
    Location,
    Merchant,
    TransactionKind,
)


@pytest.mark.parametrize("name", transaction_names())
def test_sample_transactions_cross_both_ways(name):
    parsed = ereceipt.parse_transaction(transaction_json(name))
    source = json.loads(transaction_json(name))
    assert parsed.terminal_id == source["terminal_id"]
    assert parsed.merchant.id == source["merchant"]["id"]
    assert parsed.amount == source["amount"]
    assert parsed.card.pan is None, "the full card number never comes back"
    assert "*" in parsed.card.masked_pan
    # Record → Rust → canonical JSON → Rust → record: nothing lost, nothing changed.
    again = ereceipt.parse_transaction(ereceipt.transaction_to_json(parsed))
    assert again == parsed


def full_transaction(**changes):
    fields = dict(
        kind=TransactionKind.SALE,
        trace_number="42",
        amount=11_400,
        currency="CNY",
        discount=1_000,
        tip=200,
        tax=100,
        included_tax=50,
        local_time="2026-11-22T14:03:27+08:00",
        terminal_id="SH000001",
        merchant=Merchant(id="898310048990001", name="上海静安星光咖啡馆", address="南京西路1266号"),
        location=Location(
            coordinates=Coordinates(latitude_e7=312_286_000, longitude_e7=1_214_487_000),
            text="恒隆广场店",
        ),
        card=Card(
            pan="6222020200112233446",
            brand=CardBrand.UNIONPAY,
            entry_mode=EntryMode.CHIP,
            cardholder_verification=Cvm.SIGNATURE,
        ),
        auth_code="A1B2C3",
        retrieval_reference_number="632514789012",
        batch_number="45",
        emv=Emv(aid="A000000333010101", application_label="UnionPay Debit", tvr="0000008000", tsi="E800", arc="00"),
        line_items=[
            LineItem(description="拿铁咖啡（大杯）", quantity_milli=2_000, unit_price=3_800, amount=7_600),
            LineItem(description="手冲咖啡豆", quantity_milli=1_500, unit_price=3_000, amount=4_500),
        ],
        note="会员积分已累计 128 分",
        locale=Locale.CHINESE,
    )
    fields.update(changes)
    return CardTransaction(**fields)


def test_a_transaction_record_built_in_python_round_trips():
    tx = full_transaction()
    back = ereceipt.parse_transaction(ereceipt.transaction_to_json(tx))
    assert back.trace_number == "000042" and back.batch_number == "000045"
    assert back.card.masked_pan == "622202*********3446" and back.card.pan is None
    assert back.location == tx.location
    assert back.emv == tx.emv
    assert back.line_items == tx.line_items
    assert (back.tip, back.discount, back.tax, back.included_tax) == (200, 1_000, 100, 50)
    assert back.locale == Locale.CHINESE and back.kind == TransactionKind.SALE
    # Defaults of the record: optional fields may be left out.
    minimal = CardTransaction(
        kind=TransactionKind.SALE,
        trace_number="1",
        amount=500,
        currency="EUR",
        local_time="2026-11-22T09:00:00+01:00",
        terminal_id="BER00007",
        merchant=Merchant(id="DE4421000712", name="Café"),
        card=Card(masked_pan="411111******1111", brand=CardBrand.VISA, entry_mode=EntryMode.CONTACTLESS, cardholder_verification=Cvm.NONE),
        auth_code="Y1",
        batch_number="1",
    )
    assert ereceipt.parse_transaction(ereceipt.transaction_to_json(minimal)).locale == Locale.ENGLISH


@pytest.mark.parametrize(
    "enum, field",
    [
        (CardBrand, "brand"),
        (EntryMode, "entry_mode"),
        (Cvm, "cardholder_verification"),
    ],
)
def test_every_card_enum_value_round_trips(enum, field):
    for value in enum:
        card = dict(masked_pan="411111******1111", brand=CardBrand.VISA, entry_mode=EntryMode.CHIP, cardholder_verification=Cvm.ONLINE_PIN)
        card[field] = value
        tx = full_transaction(card=Card(**card), line_items=[], discount=0, tip=0, tax=0, included_tax=0)
        assert getattr(ereceipt.parse_transaction(ereceipt.transaction_to_json(tx)).card, field) == value


def test_every_kind_and_locale_round_trips():
    for kind in TransactionKind:
        extra = {} if kind == TransactionKind.SALE else {"original_trace_number": "000041"}
        tx = full_transaction(kind=kind, line_items=[], discount=0, tip=0, tax=0, included_tax=0, **extra)
        assert ereceipt.parse_transaction(ereceipt.transaction_to_json(tx)).kind == kind
    for locale in Locale:
        tx = full_transaction(locale=locale)
        assert ereceipt.parse_transaction(ereceipt.transaction_to_json(tx)).locale == locale


def test_delivery_variants_cross_both_ways():
    cases = {
        "sms:+86 138-0013-8000": ereceipt.Delivery.SMS(phone="+8613800138000"),
        "mms:+8613800138000": ereceipt.Delivery.MMS(phone="+8613800138000"),
        "email:Ana@Example.COM": ereceipt.Delivery.EMAIL(address="Ana@example.com"),
        "pull:+4915112345678": ereceipt.Delivery.PULL(phone="+4915112345678"),
    }
    for text, expected in cases.items():
        assert ereceipt.parse_delivery(text) == expected


def test_pen_points_and_pad_cross_both_ways():
    pad = ereceipt.SignaturePad(width=1200, height=480, dpi=267)
    strokes = pen_strokes()
    sig = ereceipt.HandwrittenSignature.from_strokes(pad, strokes)
    assert sig.pad() == pad
    back = sig.strokes()
    assert [len(s) for s in back] == [len(s) for s in strokes]
    first = strokes[0][0]
    assert (back[0][0].x, back[0][0].y, back[0][0].t_ms) == (first.x, first.y, 0)
    assert back[0][0].pressure == pytest.approx(0.5, abs=1e-4)
    assert sig.has_pressure() and sig.stroke_count() == 3 and sig.point_count() == 90
    # Encoded and JSON forms cross as bytes and text and come back equal.
    assert ereceipt.HandwrittenSignature.decode(sig.encode()).encode() == sig.encode()
    assert ereceipt.HandwrittenSignature.from_json(sig.to_json()).encode() == sig.encode()
    assert sig.to_svg().startswith("<?xml")
    png = sig.preview_png(ereceipt.Paper.MM58)
    assert png[1:4] == b"PNG"


def test_capture_states_with_a_python_clock():
    clock = ManualClock(now=10_000)
    options = ereceipt.CaptureOptions(idle_ms=1_500)
    capture = ereceipt.SignatureCapture(ereceipt.SignaturePad(width=1200, height=480, dpi=267), options, clock)
    assert capture.state() == ereceipt.CaptureState.EMPTY()
    strokes = pen_strokes()
    capture.begin_stroke(strokes[0][0])
    assert capture.state() == ereceipt.CaptureState.DRAWING()
    capture.add_points(strokes[0][1:])
    capture.end_stroke()
    clock.now += 700
    assert capture.state() == ereceipt.CaptureState.PAUSED(idle_ms=700)
    assert not capture.is_complete()
    clock.now += 800
    assert capture.state() == ereceipt.CaptureState.COMPLETE() and capture.is_complete()
    assert clock.calls > 0, "the SDK read the Python clock"
    draw(capture, strokes[1:])
    assert capture.undo() is True and capture.stroke_count() == 2
    sig = capture.finish()
    assert sig.stroke_count() == 2
    assert capture.preview_png()[1:4] == b"PNG"
    capture.clear()
    assert capture.state() == ereceipt.CaptureState.EMPTY() and capture.point_count() == 0


def test_a_failing_python_clock_reads_as_no_time_passing():
    clock = ManualClock(now=5_000)
    capture = ereceipt.SignatureCapture(ereceipt.SignaturePad(width=1200, height=480, dpi=267), None, clock)
    draw(capture, pen_strokes()[:1])
    clock.broken = True
    clock.now += 60_000
    assert capture.state() == ereceipt.CaptureState.PAUSED(idle_ms=0)
    clock.broken = False
    assert capture.is_complete()


def test_config_paper_and_copy_cross_both_ways(storage):
    config = sdk_config(
        storage,
        paper=ereceipt.Paper.MM58,
        copy=ereceipt.CopyKind.MERCHANT,
        max_pending_receipts=7,
        trusted_roots_pem=[],
        upload_attempts=1,
    )
    sdk = ereceipt.EReceiptSdk(config)
    assert sdk.config() == config
    info = sdk.create_test_terminal("898310048990001", "Star Café", "SH000001")
    assert isinstance(info, ereceipt.TerminalInfo)
    assert (info.terminal_id, info.merchant_id, info.platform_url) == ("SH000001", "898310048990001", None)
    assert "BEGIN CERTIFICATE" in info.ca_certificate_pem
    receipt = sdk.issue(transaction_json(), signature())
    assert isinstance(receipt, ereceipt.IssuedReceipt)
    assert (receipt.paper, receipt.copy, receipt.counter) == (ereceipt.Paper.MM58, ereceipt.CopyKind.MERCHANT, 1)
    assert receipt.signed and receipt.unsigned_reason is None and not receipt.queued
    assert receipt.png[1:4] == b"PNG"
    status = sdk.outbox_status()
    assert isinstance(status, ereceipt.OutboxStatus)
    assert (status.pending, status.dead, status.counter) == (0, 0, 1)
    assert sdk.dead_letters() == []


def test_verification_report_crosses_with_checks_and_regions(storage):
    sdk = ereceipt.EReceiptSdk(sdk_config(storage))
    ca = sdk.create_test_terminal("898310048990001", "Star Café", "SH000001").ca_certificate_pem
    png = sdk.issue(transaction_json(), signature()).png
    report = ereceipt.verify_receipt(png, ca)
    assert isinstance(report, ereceipt.VerificationReport)
    assert report.authentic and not report.tampered and report.counter == 1
    assert all(isinstance(c.outcome, ereceipt.CheckOutcome) for c in report.checks)
    assert {c.name for c in report.checks if c.outcome == ereceipt.CheckOutcome.PASSED} >= {"signature", "rerender"}
    untrusted = ereceipt.verify_receipt(png)
    assert not untrusted.authentic
    from conftest import tamper_png

    edited = ereceipt.verify_receipt(tamper_png(png), ca)
    assert edited.tampered and edited.regions
    region = edited.regions[0]
    assert isinstance(region, ereceipt.AlteredRegion) and region.width > 0 and region.fields
