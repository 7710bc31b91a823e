"""Against a live local platform (`ereceipt platform serve`): enroll with a Python signer,
issue, flush asynchronously, verify; the platform going away; a full outbox; a refusal."""

import asyncio
import time

import pytest

import ereceipt
from conftest import MERCHANT_ID, TERMINAL_ID, PythonSigner, sdk_config, signature, transaction_json
from ereceipt import EReceiptError


def enrolled(platform, storage, signer=None, **settings):
    sdk = ereceipt.EReceiptSdk(sdk_config(storage, platform_url=platform.url, **settings), signer)
    info = asyncio.run(sdk.enroll(platform.enrollment_token(), TERMINAL_ID))
    assert (info.terminal_id, info.merchant_id) == (TERMINAL_ID, MERCHANT_ID)
    assert info.platform_url and sdk.is_enrolled()
    return sdk, info


def test_issue_then_async_flush_then_verify_with_a_python_signer(platform, storage):
    signer = PythonSigner()
    sdk, info = enrolled(platform, storage, signer)
    assert signer.sign_calls >= 1, "the certificate request was signed by the Python key"
    receipt = sdk.issue(
        transaction_json(), signature(), ereceipt.Delivery.SMS(phone="+8613800138000")
    )
    assert receipt.signed and receipt.queued and receipt.counter == 1
    assert sdk.outbox_status().pending == 1

    async def flush():
        return await sdk.flush()

    report = asyncio.run(flush())
    assert (report.stored, report.remaining, report.stopped_by) == (1, 0, None)
    status = sdk.outbox_status()
    assert status.pending == 0 and status.last_upload_at is not None

    verified = ereceipt.verify_receipt(receipt.png, info.ca_certificate_pem)
    assert verified.authentic and not verified.tampered
    assert verified.receipt_id == receipt.receipt_id


def test_a_throwing_signer_while_issuing_gives_an_unsigned_receipt(platform, storage):
    signer = PythonSigner()
    sdk, _ = enrolled(platform, storage, signer)
    signer.fail_with = EReceiptError.SignerFailed(reason="key locked")
    receipt = sdk.issue(transaction_json(), signature())
    assert not receipt.signed and "key locked" in receipt.unsigned_reason
    assert receipt.queued and receipt.counter == 1
    signer.fail_with = None
    assert sdk.issue(transaction_json(), signature()).signed


def test_auto_flush_uploads_after_network_available(platform, storage):
    sdk, _ = enrolled(platform, storage)
    sdk.start_auto_flush(ereceipt.AutoFlushPolicy(idle_interval_ms=60_000, min_backoff_ms=100, max_backoff_ms=500))
    sdk.issue(transaction_json(), signature())
    sdk.network_available()
    deadline = time.monotonic() + 30
    while sdk.outbox_status().pending and time.monotonic() < deadline:
        time.sleep(0.1)
    assert sdk.outbox_status().pending == 0
    sdk.stop_auto_flush()
    sdk.shutdown()


def test_platform_down_keeps_receipts_and_says_why(platform, storage):
    sdk, _ = enrolled(platform, storage, upload_attempts=1)
    sdk.issue(transaction_json(), signature())
    sdk.issue(transaction_json(), signature())
    platform.stop()
    report = asyncio.run(sdk.flush())
    assert report.stored == 0 and report.remaining == 2 and report.stopped_by
    status = sdk.outbox_status()
    assert status.pending == 2 and status.last_error


def test_a_full_outbox_refuses_to_issue(platform, storage):
    sdk, _ = enrolled(platform, storage, max_pending_receipts=1)
    sdk.issue(transaction_json(), signature())
    with pytest.raises(EReceiptError.StorageFull) as e:
        sdk.issue(transaction_json(), signature())
    assert e.value.pending == 1
    assert sdk.outbox_status().counter == 1, "nothing was issued"


def test_an_unknown_token_is_rejected(platform, storage):
    sdk = ereceipt.EReceiptSdk(sdk_config(storage, platform_url=platform.url))
    with pytest.raises(EReceiptError.Rejected) as e:
        asyncio.run(sdk.enroll("not-a-token", TERMINAL_ID))
    assert 400 <= e.value.status < 500 and e.value.code
    assert not sdk.is_enrolled()


def test_a_terminal_enrolled_with_a_signer_reopens_with_it(platform, storage):
    signer = PythonSigner()
    sdk, _ = enrolled(platform, storage, signer)
    sdk.shutdown()
    reopened = ereceipt.EReceiptSdk(sdk_config(storage), signer)
    assert reopened.is_enrolled()
    with pytest.raises(EReceiptError.Storage):
        ereceipt.EReceiptSdk(sdk_config(storage), PythonSigner())
