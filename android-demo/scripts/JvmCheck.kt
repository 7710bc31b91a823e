// The Android demo's SDK-facing code (ReceiptFlow.kt, JcaSigner.kt) run on a plain JVM against
// the real library: what can be checked of the app without an Android SDK. Started by
// scripts/check-jvm.sh; it reuses the Kotlin bridge tests' runner and live platform
// (bindings/tests/kotlin/Harness.kt, Fixtures.kt) and ends with "N passed, N failed, N skipped".
package org.ereceipt.demo.check

import java.io.File
import java.security.KeyPairGenerator
import java.security.Signature
import java.security.interfaces.ECPublicKey
import java.security.spec.ECGenParameterSpec
import kotlinx.coroutines.runBlocking
import org.ereceipt.demo.JcaSigner
import org.ereceipt.demo.ReceiptFlow
import org.ereceipt.sdk.CheckOutcome
import org.ereceipt.sdk.Delivery
import org.ereceipt.sdk.EReceiptException
import org.ereceipt.sdk.EReceiptSdk
import org.ereceipt.sdk.SdkConfig
import org.ereceipt.sdk.verifyReceipt
import org.ereceipt.sdk.bridgetest.Harness
import org.ereceipt.sdk.bridgetest.MERCHANT_ID
import org.ereceipt.sdk.bridgetest.MERCHANT_NAME
import org.ereceipt.sdk.bridgetest.Platform
import org.ereceipt.sdk.bridgetest.assertThrows
import org.ereceipt.sdk.bridgetest.check
import org.ereceipt.sdk.bridgetest.checkEquals
import org.ereceipt.sdk.bridgetest.sampleSignature
import org.ereceipt.sdk.bridgetest.tempDir

private fun p256() = KeyPairGenerator.getInstance("EC").apply { initialize(ECGenParameterSpec("secp256r1")) }.generateKeyPair()

private fun isPng(bytes: ByteArray) = bytes.take(4) == listOf(0x89.toByte(), 'P'.code.toByte(), 'N'.code.toByte(), 'G'.code.toByte())

private fun storage(name: String) = SdkConfig(storageDir = File(tempDir(name), "terminal").path)

fun main() {
    Harness.test("amounts are exact minor units of the currency, never floating point") {
        checkEquals(1280uL, ReceiptFlow.minorUnits("12.80", "CNY"))
        checkEquals(100uL, ReceiptFlow.minorUnits("100", "JPY"))
        checkEquals(12500uL, ReceiptFlow.minorUnits("12.500", "KWD"))
        for ((text, currency) in listOf("12.805" to "CNY", "1.5" to "JPY", "-1" to "CNY", "0" to "CNY", "1e3" to "CNY", "5" to "XXQ")) {
            checkEquals(null, ReceiptFlow.minorUnits(text, currency), "$text $currency")
        }
        checkEquals("CNY 12.80", ReceiptFlow.formatMinor(1280uL, "CNY"))
        checkEquals("KWD 12.500", ReceiptFlow.formatMinor(12500uL, "KWD"))
    }

    Harness.test("the signer returns the fixed r‖s of SHA-256 ECDSA over the message, and a 65-byte point") {
        val keys = p256()
        val signer = JcaSigner(keys.private, keys.public as ECPublicKey)
        val point = signer.publicKey()
        check(point.size == 65 && point[0] == 0x04.toByte()) { "not an uncompressed point" }
        val message = "the receipt record".toByteArray()
        val fixed = signer.sign(message)
        checkEquals(64, fixed.size)
        // The JDK verifies the fixed form itself ("P1363"): the conversion kept r and s.
        val verified = Signature.getInstance("SHA256withECDSAinP1363Format").run {
            initVerify(keys.public)
            update(message)
            verify(fixed)
        }
        check(verified) { "the fixed signature does not verify" }
    }

    Harness.test("a key that cannot sign reaches the SDK as SignerFailed, naming no key material") {
        val rsa = KeyPairGenerator.getInstance("RSA").apply { initialize(2048) }.generateKeyPair()
        val broken = JcaSigner(rsa.private, p256().public as ECPublicKey)
        val e = assertThrows<EReceiptException.SignerFailed> { broken.sign(byteArrayOf(1)) }
        checkEquals("sign: InvalidKeyException", e.reason)
    }

    Harness.test("sales on a local test terminal, verified offline") {
        EReceiptSdk(storage("android-demo-local")).use { sdk ->
            val info = sdk.createTestTerminal(MERCHANT_ID, MERCHANT_NAME, "AND00001")
            val flow = ReceiptFlow(sdk)
            val chip = flow.simulateCardRead(contactless = false)
            check(chip.needsSignature) { "a chip read with signature CVM shows the pad" }
            assertThrows<EReceiptException.SignatureIncomplete> { flow.issueSale(12800uL, "CNY", chip, null, null) }
            // A local test terminal uploads nothing, so it takes no delivery choice.
            assertThrows<EReceiptException.NotEnrolled> { flow.issueSale(12800uL, "CNY", chip, sampleSignature(), Delivery.Pull("+8613800138000")) }
            val receipt = flow.issueSale(12800uL, "CNY", chip, sampleSignature(), null)
            check(isPng(receipt.png)) { "not a PNG" }
            check(receipt.counter == 1uL && receipt.signed && !receipt.queued) { "receipt $receipt" }
            val report = verifyReceipt(receipt.png, info.caCertificatePem)
            check(report.authentic && !report.tampered && report.checks.none { it.outcome == CheckOutcome.FAILED }) { "report $report" }

            val tap = flow.simulateCardRead(contactless = true)
            check(!tap.needsSignature) { "a contactless CDCVM read needs no pad" }
            checkEquals(2uL, flow.issueSale(450uL, "CNY", tap, null, null).counter)
            val refused = assertThrows<EReceiptException.InvalidInput> { flow.issueSale(100uL, "CNY", tap, null, Delivery.Sms("not a number")) }
            check(ReceiptFlow.describe(refused).startsWith("Check delivery")) { ReceiptFlow.describe(refused) }
            assertThrows<EReceiptException.NotEnrolled> { runBlocking { flow.flush() } }
        }
    }

    Harness.test("live: enroll with the app's signer, sell, deliver by SMS, upload, verify, reopen") {
        Platform.start().use { platform ->
            val keys = p256()
            val signer = JcaSigner(keys.private, keys.public as ECPublicKey)
            val dir = File(tempDir("android-demo-live"), "terminal").path
            val info = EReceiptSdk(SdkConfig(storageDir = dir, platformUrl = platform.url), signer).use { sdk ->
                val flow = ReceiptFlow(sdk)
                val info = runBlocking { flow.enroll(" ${platform.enrollmentToken()} ", "AND00001") }
                checkEquals(MERCHANT_ID, info.merchantId)
                val receipt = flow.issueSale(12800uL, "CNY", flow.simulateCardRead(false), sampleSignature(), Delivery.Sms("+86 138-0013-8000"))
                check(receipt.signed && receipt.queued) { "receipt $receipt" }
                checkEquals(1uL, flow.outboxStatus().pending)
                val report = runBlocking { flow.flush() }
                check(report.stored == 1uL && report.remaining == 0uL && report.stoppedBy == null) { "flush $report" }
                checkEquals(0uL, flow.outboxStatus().pending)
                check(verifyReceipt(receipt.png, info.caCertificatePem).authentic) { "not authentic" }
                info
            }
            // The app's next start: the same directory and key, no URL (the terminal keeps its own).
            EReceiptSdk(SdkConfig(storageDir = dir), signer).use { sdk ->
                check(sdk.isEnrolled()) { "not enrolled after reopening" }
                checkEquals(info.certificateSerial, sdk.terminalInfo()?.certificateSerial)
            }
        }
    }

    Harness.finish()
}
