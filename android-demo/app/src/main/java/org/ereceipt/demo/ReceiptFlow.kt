package org.ereceipt.demo

import java.math.BigDecimal
import java.security.interfaces.ECPublicKey
import java.time.OffsetDateTime
import java.time.format.DateTimeFormatter
import java.time.temporal.ChronoUnit
import java.util.Currency
import org.ereceipt.sdk.Card
import org.ereceipt.sdk.CardBrand
import org.ereceipt.sdk.CardTransaction
import org.ereceipt.sdk.Cvm
import org.ereceipt.sdk.Delivery
import org.ereceipt.sdk.EReceiptException
import org.ereceipt.sdk.EReceiptSdk
import org.ereceipt.sdk.EntryMode
import org.ereceipt.sdk.FlushReport
import org.ereceipt.sdk.HandwrittenSignature
import org.ereceipt.sdk.IssuedReceipt
import org.ereceipt.sdk.Merchant
import org.ereceipt.sdk.OutboxStatus
import org.ereceipt.sdk.TerminalInfo
import org.ereceipt.sdk.TransactionKind

/**
 * Everything the demo asks of the SDK, with no Android dependency: the app's screens call this,
 * and `scripts/check-jvm.sh` compiles it (and runs [main]) against the generated bindings on a
 * plain JVM. Every receipt decision (validation, masking, when a signature is complete, the
 * image, signing, sealing, queueing, uploading) is the SDK's; this class only gathers input.
 */
class ReceiptFlow(private val sdk: EReceiptSdk) {

    /** What a simulated card read returns: no reader is attached to the demo. */
    data class CardRead(val maskedPan: String, val brand: CardBrand, val entryMode: EntryMode, val cvm: Cvm)

    /** The enrolled (or test) terminal, or null before enrollment. */
    fun terminal(): TerminalInfo? = sdk.terminalInfo()

    suspend fun enroll(token: String, terminalId: String): TerminalInfo = sdk.enroll(token, terminalId)

    /**
     * A card read without a reader: a UnionPay test card read by chip with a signature, or a
     * contactless Visa without one (cardholder verified on the phone), alternating.
     */
    fun simulateCardRead(contactless: Boolean): CardRead =
        if (contactless) {
            CardRead("476173******0119", CardBrand.VISA, EntryMode.CONTACTLESS, Cvm.CDCVM)
        } else {
            CardRead("622202******3446", CardBrand.UNIONPAY, EntryMode.CHIP, Cvm.SIGNATURE)
        }

    /** Whether this card read asks the cardholder to sign. */
    fun needsSignature(card: CardRead): Boolean =
        card.cvm == Cvm.SIGNATURE || card.cvm == Cvm.OFFLINE_PIN_AND_SIGNATURE

    /** Issues the receipt of an approved sale: validated, rendered, signed, sealed, queued. */
    fun issueSale(
        amountMinor: ULong,
        currency: String,
        card: CardRead,
        signature: HandwrittenSignature?,
        delivery: Delivery?,
    ): IssuedReceipt {
        val terminal = sdk.terminalInfo() ?: throw EReceiptException.NotEnrolled()
        val next = (sdk.outboxStatus().counter ?: 0uL) + 1uL
        val transaction = CardTransaction(
            kind = TransactionKind.SALE,
            // A real app takes the trace number from its payment host's response.
            traceNumber = (next % 1_000_000uL).toString().padStart(6, '0'),
            amount = amountMinor,
            currency = currency,
            localTime = OffsetDateTime.now().truncatedTo(ChronoUnit.SECONDS).format(LOCAL_TIME),
            terminalId = terminal.terminalId,
            merchant = Merchant(id = terminal.merchantId, name = terminal.merchantName),
            card = Card(
                maskedPan = card.maskedPan,
                brand = card.brand,
                entryMode = card.entryMode,
                cardholderVerification = card.cvm,
            ),
            authCode = "A1B2C3",
            batchNumber = "000001",
        )
        return sdk.issueTransaction(transaction, signature, delivery)
    }

    fun outboxStatus(): OutboxStatus = sdk.outboxStatus()

    suspend fun flush(): FlushReport = sdk.flush()

    companion object {
        private val LOCAL_TIME: DateTimeFormatter = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ssXXX")

        /**
         * The amount the merchant typed ("12.80"), in the currency's minor units (1280), exactly:
         * never through floating point. Null when it is not an amount in that currency.
         */
        fun minorUnits(text: String, currency: String): ULong? {
            val digits = runCatching { Currency.getInstance(currency).defaultFractionDigits }.getOrNull() ?: return null
            val value = text.trim().toBigDecimalOrNull() ?: return null
            if (value.signum() <= 0 || value.scale() > digits.coerceAtLeast(0)) return null
            return runCatching { value.movePointRight(digits.coerceAtLeast(0)).toBigIntegerExact().toLong().toULong() }.getOrNull()
        }

        /** "12.80" for 1280 CNY: how the amount is shown back while typing. */
        fun formatMinor(amount: ULong, currency: String): String {
            val digits = runCatching { Currency.getInstance(currency).defaultFractionDigits }.getOrDefault(2).coerceAtLeast(0)
            return "$currency ${BigDecimal(amount.toString()).movePointLeft(digits).toPlainString()}"
        }

        /** What the merchant is told when the SDK says no: each variant is something to do. */
        fun describe(e: EReceiptException): String = when (e) {
            is EReceiptException.InvalidInput -> "Check ${e.field}: ${e.reason}"
            is EReceiptException.SignatureIncomplete -> "The signature is not finished: ${e.reason}"
            is EReceiptException.NotEnrolled -> "Enroll this terminal first"
            is EReceiptException.PlatformUnavailable -> "The platform is unreachable; receipts stay queued and upload by themselves"
            is EReceiptException.Rejected -> "The platform refused it (${e.code}): ${e.reason}"
            is EReceiptException.StorageFull -> "The outbox is full (${e.pending} receipts): get online before the next sale"
            is EReceiptException.Storage -> "Storage failed: ${e.reason}"
            is EReceiptException.SignerFailed -> "The terminal key failed: ${e.reason}"
            is EReceiptException.Closed -> "The SDK was shut down"
            else -> "Internal error: ${e.message}"
        }

        /** The public key the SDK's `Signer.publicKey` returns: uncompressed SEC1, 65 bytes. */
        fun uncompressedPoint(key: ECPublicKey): ByteArray {
            fun coordinate(v: java.math.BigInteger): ByteArray {
                val bytes = v.toByteArray().dropWhile { it == 0.toByte() }.toByteArray()
                require(bytes.size <= 32) { "not a P-256 coordinate" }
                return ByteArray(32 - bytes.size) + bytes
            }
            return byteArrayOf(0x04) + coordinate(key.w.affineX) + coordinate(key.w.affineY)
        }
    }
}
