// Runs the demo's SDK-facing code (app/src/main/java/org/ereceipt/demo/ReceiptFlow.kt) on a
// plain JVM against the real library: what can be checked of the app without an Android SDK.
// Started by scripts/check-jvm.sh; exits non-zero on the first failed check.
package org.ereceipt.demo.check

import java.nio.file.Files
import java.nio.file.Path
import java.security.KeyPairGenerator
import java.security.Signature
import java.security.interfaces.ECPublicKey
import java.security.spec.ECGenParameterSpec
import kotlin.system.exitProcess
import kotlinx.coroutines.runBlocking
import org.ereceipt.demo.ReceiptFlow
import org.ereceipt.sdk.CheckOutcome
import org.ereceipt.sdk.Delivery
import org.ereceipt.sdk.EReceiptException
import org.ereceipt.sdk.EReceiptSdk
import org.ereceipt.sdk.HandwrittenSignature
import org.ereceipt.sdk.SdkConfig
import org.ereceipt.sdk.derToFixedSignature
import org.ereceipt.sdk.verifyReceipt

private var failures = 0

private fun check(what: String, ok: Boolean) {
    println("${if (ok) "ok  " else "FAIL"} $what")
    if (!ok) failures++
}

fun main() {
    val workspace = Path.of(System.getProperty("ereceipt.workspace") ?: ".")

    // Amounts: exact minor units by the currency's own exponent, never floating point.
    check("12.80 CNY is 1280", ReceiptFlow.minorUnits("12.80", "CNY") == 1280uL)
    check("12.805 CNY is refused", ReceiptFlow.minorUnits("12.805", "CNY") == null)
    check("100 JPY is 100", ReceiptFlow.minorUnits("100", "JPY") == 100uL)
    check("1.5 JPY is refused", ReceiptFlow.minorUnits("1.5", "JPY") == null)
    check("12.500 KWD is 12500", ReceiptFlow.minorUnits("12.500", "KWD") == 12500uL)
    check("-1 and junk are refused", ReceiptFlow.minorUnits("-1", "CNY") == null && ReceiptFlow.minorUnits("1e3", "XXQ") == null)
    check("1280 CNY shows as CNY 12.80", ReceiptFlow.formatMinor(1280uL, "CNY") == "CNY 12.80")

    // The Keystore signer's conversions, with a software P-256 key standing in for the Keystore.
    val pair = KeyPairGenerator.getInstance("EC").apply { initialize(ECGenParameterSpec("secp256r1")) }.generateKeyPair()
    val point = ReceiptFlow.uncompressedPoint(pair.public as ECPublicKey)
    check("the public key is a 65-byte uncompressed point", point.size == 65 && point[0] == 0x04.toByte())
    val der = Signature.getInstance("SHA256withECDSA").run { initSign(pair.private); update("m".toByteArray()); sign() }
    check("a DER signature converts to 64 bytes", derToFixedSignature(der).size == 64)

    // A whole sale through the flow on a local test terminal (no platform, no signer).
    val dir = Files.createTempDirectory("ereceipt-android-demo-check")
    try {
        EReceiptSdk(SdkConfig(storageDir = dir.resolve("terminal").toString())).use { sdk ->
            val info = sdk.createTestTerminal("898310048990001", "上海静安星光咖啡馆", "AND00001")
            val flow = ReceiptFlow(sdk)
            val chip = flow.simulateCardRead(contactless = false)
            check("a chip read asks for a signature", flow.needsSignature(chip))
            val strokes = Files.readString(workspace.resolve("tests/data/signatures/wang-xiaoming.json"))
            val signature = HandwrittenSignature.fromJson(strokes)
            // A local test terminal uploads nothing, so it takes no delivery choice.
            val notEnrolled = runCatching { flow.issueSale(12800uL, "CNY", chip, signature, Delivery.Pull("+8613800138000")) }.exceptionOrNull()
            check("a test terminal refuses a delivery choice as NotEnrolled", notEnrolled is EReceiptException.NotEnrolled)
            val receipt = flow.issueSale(12800uL, "CNY", chip, signature, null)
            check("the receipt is a PNG", receipt.png.take(4) == listOf(0x89.toByte(), 'P'.code.toByte(), 'N'.code.toByte(), 'G'.code.toByte()))
            check("it is the terminal's first receipt, signed", receipt.counter == 1uL && receipt.signed)
            val report = verifyReceipt(receipt.png, info.caCertificatePem)
            check("it verifies as authentic", report.authentic && report.checks.none { it.outcome == CheckOutcome.FAILED })

            val tap = flow.simulateCardRead(contactless = true)
            check("a contactless read needs no signature", !flow.needsSignature(tap))
            val second = flow.issueSale(450uL, "CNY", tap, null, null)
            check("the next receipt counts on", second.counter == 2uL)

            val refused = runCatching { flow.issueSale(100uL, "CNY", tap, null, Delivery.Sms("not a number")) }.exceptionOrNull()
            check(
                "a bad phone number is the SDK's InvalidInput, told in words",
                refused is EReceiptException.InvalidInput && ReceiptFlow.describe(refused).startsWith("Check "),
            )
            runBlocking {
                val flushed = runCatching { flow.flush() }.exceptionOrNull()
                check("a test terminal has no platform to flush to", flushed is EReceiptException.NotEnrolled)
                check("and its outbox holds nothing", flow.outboxStatus().pending == 0uL)
            }
        }
    } finally {
        dir.toFile().deleteRecursively()
    }
    if (failures > 0) {
        println("$failures check(s) failed")
        exitProcess(1)
    }
    println("android-demo: all JVM checks passed")
}
