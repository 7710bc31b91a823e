"""Objects across the bridge: shut down, used after, dropped, reopened."""

import asyncio
import gc

import pytest

import ereceipt
from conftest import sdk_config, signature, transaction_json
from ereceipt import EReceiptError


def test_use_after_shutdown_is_a_clean_error(storage):
    sdk = ereceipt.EReceiptSdk(sdk_config(storage))
    sdk.create_test_terminal("898310048990001", "Star Café", "SH000001")
    sdk.shutdown()
    sdk.shutdown()  # twice is fine
    for call in (
        sdk.outbox_status,
        sdk.is_enrolled,
        sdk.terminal_info,
        sdk.network_available,
        lambda: sdk.issue(transaction_json(), signature()),
    ):
        with pytest.raises(EReceiptError.Closed):
            call()
    with pytest.raises(EReceiptError.Closed):
        asyncio.run(sdk.flush())


def test_a_new_sdk_reopens_the_terminal_and_the_counter_goes_on(storage):
    first = ereceipt.EReceiptSdk(sdk_config(storage))
    first.create_test_terminal("898310048990001", "Star Café", "SH000001")
    assert first.issue(transaction_json(), signature()).counter == 1
    first.shutdown()
    del first
    gc.collect()
    second = ereceipt.EReceiptSdk(sdk_config(storage))
    assert second.terminal_info().terminal_id == "SH000001"
    assert second.issue(transaction_json(), signature()).counter == 2


def test_objects_outlive_the_python_references_they_were_made_from():
    capture = ereceipt.SignatureCapture(ereceipt.SignaturePad(width=1200, height=480, dpi=267))
    sig = signature()
    encoded = sig.encode()
    del sig
    gc.collect()
    again = ereceipt.HandwrittenSignature.decode(encoded)
    assert again.encode() == encoded
    del capture
    gc.collect()


def test_a_signature_object_is_usable_from_many_threads():
    import concurrent.futures

    sig = signature()
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        sizes = set(pool.map(lambda _: len(sig.preview_png()), range(32)))
    assert len(sizes) == 1
