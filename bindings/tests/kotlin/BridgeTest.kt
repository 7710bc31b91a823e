// Bridge tests of the Kotlin bindings on the JVM: conversions of every record and enum, each
// error variant crossing the boundary, Kotlin callbacks called from Rust (a JDK P-256 Signer, a
// Clock), suspend functions, a live platform, verification and object lifetimes. What the SDK
// does is tested in Rust, in `core`.

package org.ereceipt.sdk.bridgetest

import kotlinx.coroutines.CoroutineStart
import kotlinx.coroutines.launch
import kotlinx.coroutines.runBlocking
import org.ereceipt.sdk.*
import org.ereceipt.sdk.bridgetest.Harness.test
import java.io.File

fun main() {
    conversions()
    errors()
    callbacks()
    live()
    lifetimes()
    Harness.finish()
}

fun fullTransaction() = CardTransaction(
    kind = TransactionKind.SALE, traceNumber = "42", amount = 11_400UL, currency = "CNY",
    discount = 1_000UL, tip = 200UL, tax = 100UL, includedTax = 50UL,
    localTime = "2026-11-22T14:03:27+08:00", terminalId = TERMINAL_ID,
    merchant = Merchant(id = MERCHANT_ID, name = MERCHANT_NAME, address = "南京西路1266号"),
    location = Location(coordinates = Coordinates(latitudeE7 = 312_286_000, longitudeE7 = 1_214_487_000), text = "恒隆广场店"),
    card = Card(pan = "6222020200112233446", brand = CardBrand.UNIONPAY, entryMode = EntryMode.CHIP,
                cardholderVerification = Cvm.SIGNATURE),
    authCode = "A1B2C3", retrievalReferenceNumber = "632514789012", batchNumber = "45",
    emv = Emv(aid = "A000000333010101", applicationLabel = "UnionPay Debit", tvr = "0000008000", tsi = "E800", arc = "00"),
    lineItems = listOf(
        LineItem(description = "拿铁咖啡（大杯）", quantityMilli = 2_000UL, unitPrice = 3_800UL, amount = 7_600UL),
        LineItem(description = "手冲咖啡豆", quantityMilli = 1_500UL, unitPrice = 3_000UL, amount = 4_500UL),
    ),
    note = "会员积分已累计 128 分", locale = Locale.CHINESE,
)

fun roundTrip(tx: CardTransaction) = parseTransaction(transactionToJson(tx))

fun conversions() {
    test("sample transactions cross both ways") {
        for (name in transactionNames()) {
            val parsed = parseTransaction(transactionJson(name))
            checkEquals(null, parsed.card.pan, "$name pan")
            check(parsed.card.maskedPan!!.contains('*')) { "$name masked" }
            checkEquals(parsed, roundTrip(parsed), name)
        }
    }
    test("a transaction record built in Kotlin round-trips") {
        val back = roundTrip(fullTransaction())
        checkEquals("000042", back.traceNumber)
        checkEquals("622202*********3446", back.card.maskedPan)
        checkEquals(fullTransaction().location, back.location)
        checkEquals(fullTransaction().emv, back.emv)
        checkEquals(fullTransaction().lineItems, back.lineItems)
        checkEquals(listOf(200UL, 1_000UL, 100UL, 50UL), listOf(back.tip, back.discount, back.tax, back.includedTax))
    }
    test("every enum value of a transaction round-trips") {
        val plain = fullTransaction().copy(lineItems = emptyList(), discount = 0UL, tip = 0UL, tax = 0UL, includedTax = 0UL)
        for (b in CardBrand.values()) checkEquals(b, roundTrip(plain.copy(card = plain.card.copy(brand = b))).card.brand)
        for (m in EntryMode.values()) checkEquals(m, roundTrip(plain.copy(card = plain.card.copy(entryMode = m))).card.entryMode)
        for (c in Cvm.values()) checkEquals(c, roundTrip(plain.copy(card = plain.card.copy(cardholderVerification = c))).card.cardholderVerification)
        for (k in TransactionKind.values()) {
            val tx = if (k == TransactionKind.SALE) plain else plain.copy(originalTraceNumber = "000041")
            checkEquals(k, roundTrip(tx.copy(kind = k)).kind)
        }
        for (l in Locale.values()) checkEquals(l, roundTrip(plain.copy(locale = l)).locale)
    }
    test("delivery variants cross both ways") {
        checkEquals(Delivery.Sms("+8613800138000"), parseDelivery("sms:+86 138-0013-8000"))
        checkEquals(Delivery.Mms("+8613800138000"), parseDelivery("mms:+8613800138000"))
        checkEquals(Delivery.Email("Ana@example.com"), parseDelivery("email:Ana@Example.COM"))
        checkEquals(Delivery.Pull("+4915112345678"), parseDelivery("pull:+4915112345678"))
    }
    test("pen points and pad cross both ways") {
        val strokes = penStrokes()
        val sig = HandwrittenSignature.fromStrokes(PAD, strokes)
        checkEquals(PAD, sig.pad())
        val back = sig.strokes()
        checkEquals(strokes.map { it.size }, back.map { it.size })
        checkEquals(strokes[0][0].x, back[0][0].x)
        checkEquals(0UL, back[0][0].tMs)
        check(Math.abs(back[0][0].pressure!! - 0.5f) < 1e-4f)
        checkEquals(90u, sig.pointCount())
        check(HandwrittenSignature.decode(sig.encode()).encode().contentEquals(sig.encode()))
        check(HandwrittenSignature.fromJson(sig.toJson()).encode().contentEquals(sig.encode()))
        check(sig.previewPng(Paper.MM58).copyOfRange(1, 4).contentEquals("PNG".toByteArray()))
    }
    test("capture states with a Kotlin clock") {
        val clock = ManualClock(10_000UL)
        val capture = SignatureCapture(PAD, CaptureOptions(idleMs = 1_500UL), clock)
        checkEquals(CaptureState.Empty, capture.state())
        val strokes = penStrokes()
        capture.beginStroke(strokes[0][0])
        checkEquals(CaptureState.Drawing, capture.state())
        capture.addPoints(strokes[0].drop(1))
        capture.endStroke()
        clock.now += 700UL
        checkEquals(CaptureState.Paused(idleMs = 700UL), capture.state())
        clock.now += 800UL
        checkEquals(CaptureState.Complete, capture.state())
        check(capture.isComplete() && clock.calls > 0)
        draw(capture, strokes.drop(1))
        check(capture.undo())
        checkEquals(2u, capture.finish().strokeCount())
        capture.clear()
        checkEquals(CaptureState.Empty, capture.state())
    }
    test("config, paper, copy, terminal info, receipt and outbox status cross") {
        val dir = tempDir("conv")
        val cfg = SdkConfig(storageDir = File(dir, "t").path, paper = Paper.MM58, copy = CopyKind.MERCHANT,
                            maxPendingReceipts = 7UL, trustedRootsPem = emptyList(), uploadAttempts = 1u)
        EReceiptSdk(cfg).use { sdk ->
            checkEquals(cfg, sdk.config())
            val info = sdk.createTestTerminal(MERCHANT_ID, "Star Café", TERMINAL_ID)
            checkEquals(TERMINAL_ID, info.terminalId)
            checkEquals(null, info.platformUrl)
            val receipt = sdk.issue(transactionJson(), sampleSignature())
            checkEquals(Paper.MM58, receipt.paper)
            checkEquals(CopyKind.MERCHANT, receipt.copy)
            checkEquals(1UL, receipt.counter)
            check(receipt.signed && !receipt.queued && receipt.unsignedReason == null)
            val status = sdk.outboxStatus()
            checkEquals(0UL, status.pending)
            checkEquals(1UL, status.counter)
            checkEquals(emptyList<DeadLetter>(), sdk.deadLetters())
        }
    }
    test("verification report crosses with checks and regions") {
        EReceiptSdk(config(tempDir("verify"))).use { sdk ->
            val ca = sdk.createTestTerminal(MERCHANT_ID, "Star Café", TERMINAL_ID).caCertificatePem
            val png = sdk.issue(transactionJson(), sampleSignature()).png
            val report = verifyReceipt(png, ca)
            check(report.authentic && !report.tampered) { report.toString() }
            check(report.checks.any { it.name == "signature" && it.outcome == CheckOutcome.PASSED })
            check(!verifyReceipt(png).authentic)
            val edited = verifyReceipt(tamperPng(png), ca)
            check(edited.tampered && edited.regions.isNotEmpty()) { edited.toString() }
            check(edited.regions[0].width > 0u && edited.regions[0].fields.isNotEmpty())
        }
    }
}

fun errors() {
    test("invalid transaction JSON names the field") {
        val json = transactionJson().replace("\"name\": \"上海静安星光咖啡馆\",", "")
        val e = assertThrows<EReceiptException.InvalidInput> { parseTransaction(json) }
        checkEquals("merchant.name", e.field)
        checkEquals("transaction", assertThrows<EReceiptException.InvalidInput> { parseTransaction("{oops") }.field)
    }
    test("invalid arguments name the argument") {
        val cases = listOf<Pair<() -> Unit, String>>(
            { parseDelivery("fax:+8613800138000"); Unit } to "delivery",
            { SignatureCapture(SignaturePad(100u, 100u, 5u)); Unit } to "pad.dpi",
            { verifyReceipt("not an image".toByteArray()); Unit } to "image",
            { verifyReceipt(byteArrayOf(1), "not a certificate"); Unit } to "trusted_ca_pem",
            { derToFixedSignature(byteArrayOf(0x30, 2, 2, 0)); Unit } to "der",
            { installFontPack("ERFP".toByteArray()); Unit } to "font_pack",
            { EReceiptSdk(config(tempDir("url"), platformUrl = "ftp://example.com/")); Unit } to "platform_url",
        )
        for ((call, field) in cases) checkEquals(field, assertThrows<EReceiptException.InvalidInput> { call() }.field)
    }
    test("the shipped font pack installs (a no-op where it is embedded), only it") {
        val pack = File(WORKSPACE, "core/assets/fontpack/ereceipt-mono-24.erfp").readBytes()
        installFontPack(pack)
        installFontPack(pack)
        val broken = pack.copyOf(pack.size - 1)
        check("zlib" in assertThrows<EReceiptException.InvalidInput> { installFontPack(broken) }.reason)
    }
    test("bad points are refused, the capture unchanged") {
        val capture = SignatureCapture(PAD)
        checkEquals("stroke", assertThrows<EReceiptException.InvalidInput> { capture.addPoint(PenPoint(1f, 1f, 0UL)) }.field)
        capture.beginStroke(PenPoint(10f, 10f, 100UL))
        checkEquals("point", assertThrows<EReceiptException.InvalidInput> { capture.addPoint(PenPoint(Float.NaN, 1f, 101UL)) }.field)
        checkEquals(1u, capture.pointCount())
    }
    test("incomplete signatures") {
        val capture = SignatureCapture(PAD)
        assertThrows<EReceiptException.SignatureIncomplete> { capture.finish() }
        capture.beginStroke(PenPoint(300f, 300f, 0UL))
        capture.addPoint(PenPoint(300.5f, 300f, 10UL))
        capture.endStroke()
        check("dot" in assertThrows<EReceiptException.SignatureIncomplete> { capture.finish() }.reason)
        EReceiptSdk(config(tempDir("sigreq"))).use { sdk ->
            sdk.createTestTerminal(MERCHANT_ID, "Star Café", TERMINAL_ID)
            assertThrows<EReceiptException.SignatureIncomplete> { sdk.issue(transactionJson("cny-sale")) }
        }
    }
    test("not enrolled") {
        EReceiptSdk(config(tempDir("notenrolled"))).use { sdk ->
            check(!sdk.isEnrolled() && sdk.terminalInfo() == null)
            assertThrows<EReceiptException.NotEnrolled> { sdk.issue(transactionJson(), sampleSignature()) }
            assertThrows<EReceiptException.NotEnrolled> { sdk.outboxStatus() }
            assertThrows<EReceiptException.NotEnrolled> { runBlocking { sdk.flush() } }
            sdk.createTestTerminal(MERCHANT_ID, "Star Café", TERMINAL_ID)
            assertThrows<EReceiptException.NotEnrolled> {
                sdk.issue(transactionJson(), sampleSignature(), Delivery.Sms("+8613800138000"))
            }
        }
    }
    test("platform unavailable while enrolling (suspend)") {
        EReceiptSdk(config(tempDir("down"), platformUrl = closedPortUrl(), attempts = 1u)).use { sdk ->
            val e = assertThrows<EReceiptException.PlatformUnavailable> { runBlocking { sdk.enroll("token", TERMINAL_ID) } }
            check(e.reason.isNotEmpty())
            check(!sdk.isEnrolled())
        }
    }
    test("a second terminal in the same directory is refused") {
        EReceiptSdk(config(tempDir("twice"))).use { sdk ->
            sdk.createTestTerminal(MERCHANT_ID, "Star Café", TERMINAL_ID)
            checkEquals("storage_dir", assertThrows<EReceiptException.InvalidInput> {
                sdk.createTestTerminal(MERCHANT_ID, "Star Café", TERMINAL_ID)
            }.field)
        }
    }
    test("damaged storage") {
        val dir = tempDir("damaged")
        File(dir, "terminal").apply { mkdirs() }.resolve("terminal.pem").writeText("garbage")
        val e = assertThrows<EReceiptException> { EReceiptSdk(config(dir)) }
        check(e is EReceiptException.Storage || e is EReceiptException.Internal) { e.toString() }
    }
}

fun callbacks() {
    for (thrown in listOf<Exception>(
        EReceiptException.SignerFailed("key locked"),
        EReceiptException.Internal("surprise"),
        IllegalStateException("not an SDK exception"),
    )) {
        test("a throwing Kotlin signer becomes SignerFailed (${thrown.javaClass.simpleName})") {
            val signer = JavaSigner().apply { failWith = thrown }
            EReceiptSdk(config(tempDir("signer"), platformUrl = closedPortUrl()), signer).use { sdk ->
                val e = assertThrows<EReceiptException.SignerFailed> { runBlocking { sdk.enroll("token", TERMINAL_ID) } }
                checkEquals(1, signer.signCalls)
                if (thrown is EReceiptException.SignerFailed) checkEquals("key locked", e.reason)
            }
        }
    }
    test("the JDK signer's DER signature converts to r||s") {
        val signer = JavaSigner()
        checkEquals(64, signer.sign("receipt".toByteArray()).size)
        checkEquals(65, signer.publicKey().size)
    }
    test("a test terminal refuses an app signer") {
        EReceiptSdk(config(tempDir("testsigner")), JavaSigner()).use { sdk ->
            checkEquals("signer", assertThrows<EReceiptException.InvalidInput> {
                sdk.createTestTerminal(MERCHANT_ID, "Star Café", TERMINAL_ID)
            }.field)
        }
    }
    test("a failing Kotlin clock reads as no time passing") {
        val clock = ManualClock(5_000UL)
        val capture = SignatureCapture(PAD, null, clock)
        draw(capture, penStrokes().take(1))
        clock.broken = true
        clock.now += 60_000UL
        checkEquals(CaptureState.Paused(idleMs = 0UL), capture.state())
        clock.broken = false
        check(capture.isComplete())
    }
}

fun enrolled(platform: Platform, dir: File, signer: Signer? = null, maxPending: ULong? = null, attempts: UInt? = null): EReceiptSdk {
    val sdk = EReceiptSdk(config(dir, platform.url, maxPending, attempts), signer)
    val info = runBlocking { sdk.enroll(platform.enrollmentToken(), TERMINAL_ID) }
    checkEquals(MERCHANT_ID, info.merchantId)
    check(sdk.isEnrolled())
    return sdk
}

fun live() {
    test("live: issue, suspend flush, verify, with a JDK signer") {
        Platform.start().use { platform ->
            val signer = JavaSigner()
            enrolled(platform, tempDir("live"), signer).use { sdk ->
                check(signer.signCalls >= 1) { "the certificate request was signed by the Kotlin key" }
                val receipt = sdk.issue(transactionJson(), sampleSignature(), Delivery.Sms("+8613800138000"))
                check(receipt.signed && receipt.queued)
                checkEquals(1UL, sdk.outboxStatus().pending)
                val report = runBlocking { sdk.flush() }
                checkEquals(FlushReport(stored = 1UL, duplicates = 0UL, deadLettered = 0UL, remaining = 0UL, stoppedBy = null), report)
                val verified = verifyReceipt(receipt.png, sdk.terminalInfo()!!.caCertificatePem)
                check(verified.authentic && !verified.tampered) { verified.toString() }
                checkEquals(receipt.receiptId, verified.receiptId)
            }
        }
    }
    test("live: a cancelled suspend flush still uploads, on the SDK's thread") {
        Platform.start().use { platform ->
            enrolled(platform, tempDir("cancelled")).use { sdk ->
                sdk.issue(transactionJson(), sampleSignature())
                runBlocking {
                    // Undispatched: the flush has started when `launch` returns, then is cancelled.
                    val flush = launch(start = CoroutineStart.UNDISPATCHED) { sdk.flush() }
                    flush.cancel()
                    flush.join()
                    check(flush.isCancelled)
                }
                val deadline = System.nanoTime() + 30_000_000_000L
                while (sdk.outboxStatus().pending > 0UL && System.nanoTime() < deadline) Thread.sleep(50)
                checkEquals(0UL, sdk.outboxStatus().pending)
                checkEquals(FlushReport(stored = 0UL, duplicates = 0UL, deadLettered = 0UL, remaining = 0UL, stoppedBy = null), runBlocking { sdk.flush() })
            }
        }
    }
    test("live: a throwing signer while issuing gives an unsigned receipt") {
        Platform.start().use { platform ->
            val signer = JavaSigner()
            enrolled(platform, tempDir("unsigned"), signer).use { sdk ->
                signer.failWith = EReceiptException.SignerFailed("key locked")
                val receipt = sdk.issue(transactionJson(), sampleSignature())
                check(!receipt.signed && receipt.unsignedReason!!.contains("key locked") && receipt.queued)
            }
        }
    }
    test("live: auto flush after network available") {
        Platform.start().use { platform ->
            enrolled(platform, tempDir("auto")).use { sdk ->
                sdk.startAutoFlush(AutoFlushPolicy(idleIntervalMs = 60_000UL, minBackoffMs = 100UL, maxBackoffMs = 500UL))
                sdk.issue(transactionJson(), sampleSignature())
                sdk.networkAvailable()
                val deadline = System.nanoTime() + 30_000_000_000L
                while (sdk.outboxStatus().pending > 0UL && System.nanoTime() < deadline) Thread.sleep(100)
                checkEquals(0UL, sdk.outboxStatus().pending)
                sdk.stopAutoFlush()
            }
        }
    }
    test("live: platform down keeps receipts and says why") {
        Platform.start().use { platform ->
            enrolled(platform, tempDir("downflush"), attempts = 1u).use { sdk ->
                sdk.issue(transactionJson(), sampleSignature())
                platform.stop()
                val report = runBlocking { sdk.flush() }
                check(report.remaining == 1UL && report.stored == 0UL && report.stoppedBy != null) { report.toString() }
                check(sdk.outboxStatus().lastError != null)
            }
        }
    }
    test("live: a full outbox refuses to issue") {
        Platform.start().use { platform ->
            enrolled(platform, tempDir("full"), maxPending = 1UL).use { sdk ->
                sdk.issue(transactionJson(), sampleSignature())
                checkEquals(1UL, assertThrows<EReceiptException.StorageFull> { sdk.issue(transactionJson(), sampleSignature()) }.pending)
                checkEquals(1UL, sdk.outboxStatus().counter)
            }
        }
    }
    test("live: an unknown token is rejected") {
        Platform.start().use { platform ->
            EReceiptSdk(config(tempDir("rejected"), platform.url)).use { sdk ->
                val e = assertThrows<EReceiptException.Rejected> { runBlocking { sdk.enroll("not-a-token", TERMINAL_ID) } }
                check(e.status.toInt() in 400..499 && e.code.isNotEmpty())
            }
        }
    }
}

fun lifetimes() {
    test("use after shutdown is a clean Closed error") {
        val sdk = EReceiptSdk(config(tempDir("shutdown")))
        sdk.createTestTerminal(MERCHANT_ID, "Star Café", TERMINAL_ID)
        sdk.shutdown()
        sdk.shutdown()
        assertThrows<EReceiptException.Closed> { sdk.outboxStatus() }
        assertThrows<EReceiptException.Closed> { sdk.issue(transactionJson(), sampleSignature()) }
        assertThrows<EReceiptException.Closed> { runBlocking { sdk.flush() } }
        sdk.close()
    }
    test("use after close() is an IllegalStateException, not a crash") {
        val sdk = EReceiptSdk(config(tempDir("close")))
        sdk.close()
        sdk.close()
        assertThrows<IllegalStateException> { sdk.isEnrolled() }
        val capture = SignatureCapture(PAD)
        capture.close()
        assertThrows<IllegalStateException> { capture.state() }
        val sig = sampleSignature()
        sig.close()
        assertThrows<IllegalStateException> { sig.encode() }
    }
    test("a new SDK reopens the terminal and the counter goes on") {
        val dir = tempDir("reopen")
        EReceiptSdk(config(dir)).use { sdk ->
            sdk.createTestTerminal(MERCHANT_ID, "Star Café", TERMINAL_ID)
            checkEquals(1UL, sdk.issue(transactionJson(), sampleSignature()).counter)
            sdk.shutdown()
        }
        EReceiptSdk(config(dir)).use { sdk -> checkEquals(2UL, sdk.issue(transactionJson(), sampleSignature()).counter) }
    }
    test("objects are shared across threads") {
        val sig = sampleSignature()
        val sizes = (1..16).map { Thread { sig.previewPng() } }.onEach { it.start() }.onEach { it.join() }
        checkEquals(16, sizes.size)
        val sdk = EReceiptSdk(config(tempDir("threads")))
        sdk.createTestTerminal(MERCHANT_ID, "Star Café", TERMINAL_ID)
        val counters = java.util.Collections.synchronizedList(mutableListOf<ULong>())
        (1..4).map { Thread { counters += sdk.issue(transactionJson(), sig).counter } }.onEach { it.start() }.forEach { it.join() }
        checkEquals(listOf(1UL, 2UL, 3UL, 4UL), counters.sorted())
        sdk.close()
    }
}
