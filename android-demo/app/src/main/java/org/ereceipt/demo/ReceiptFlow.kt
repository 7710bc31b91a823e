package org.ereceipt.demo

import java.math.BigDecimal
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
 * Everything the demo asks of the SDK, in plain Kotlin (no `android.*`): the screens call it,
 * and `scripts/check-jvm.sh` compiles it against the generated bindings and runs it on a JVM.
 * Every receipt decision (validation, masking, when a signature is complete, the image,
 * signing, sealing, queueing, uploading) is the SDK's; this class only gathers the input.
 */
class ReceiptFlow(private val sdk: EReceiptSdk) {

    /** What a card read gives the app. The demo has no reader: [simulateCardRead] makes one. */
    data class CardRead(val maskedPan: String, val brand: CardBrand, val entryMode: EntryMode, val cvm: Cvm) {
        /**
         * Whether the reader's cardholder verification asks for a handwritten signature, so the
         * app shows the pad. (The SDK refuses to issue such a sale without one.)
         */
        val needsSignature: Boolean
            get() = cvm == Cvm.SIGNATURE || cvm == Cvm.OFFLINE_PIN_AND_SIGNATURE
    }

    /** The enrolled (or local test) terminal; null before enrollment. */
    fun terminal(): TerminalInfo? = sdk.terminalInfo()

    /** Enrolls with the platform of the SDK's `platformUrl`, with a single-use token. */
    suspend fun enroll(token: String, terminalId: String): TerminalInfo = sdk.enroll(token.trim(), terminalId.trim())

    /**
     * A card read without a reader, with masked test numbers only: a UnionPay chip card whose
     * verification is the cardholder's signature, or a contactless Visa verified on the phone.
     */
    fun simulateCardRead(contactless: Boolean): CardRead =
        if (contactless) {
            CardRead("476173******0119", CardBrand.VISA, EntryMode.CONTACTLESS, Cvm.CDCVM)
        } else {
            CardRead("622202******3446", CardBrand.UNIONPAY, EntryMode.CHIP, Cvm.SIGNATURE)
        }

    /**
     * Issues the receipt of an approved sale: the SDK validates it, renders, signs, watermarks,
     * seals it with the strokes and the delivery choice, and queues it for the platform.
     */
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
            // A real app takes the trace number and the authorisation code from its payment
            // host's answer; the demo numbers its sales after the terminal's receipt counter.
            traceNumber = (next % 1_000_000uL).toString(),
            amount = amountMinor,
            currency = currency,
            localTime = OffsetDateTime.now().truncatedTo(ChronoUnit.SECONDS).format(DateTimeFormatter.ISO_OFFSET_DATE_TIME),
            terminalId = terminal.terminalId,
            merchant = Merchant(id = terminal.merchantId, name = terminal.merchantName),
            card = Card(
                maskedPan = card.maskedPan,
                brand = card.brand,
                entryMode = card.entryMode,
                cardholderVerification = card.cvm,
            ),
            authCode = "A1B2C3",
            batchNumber = "1",
        )
        return sdk.issueTransaction(transaction, signature, delivery)
    }

    fun outboxStatus(): OutboxStatus = sdk.outboxStatus()

    /** Uploads what waits now; an unreachable platform is not an error (see [FlushReport.stoppedBy]). */
    suspend fun flush(): FlushReport = sdk.flush()

    companion object {
        /**
         * The amount the merchant typed ("12.80"), in the currency's minor units (1280),
         * exactly: `BigDecimal`, never floating point. Null when it is not a positive amount
         * with at most the currency's decimals. The decimals come from the platform's ISO 4217
         * table (`java.util.Currency`); the SDK does not export its own (see README.md).
         */
        fun minorUnits(text: String, currency: String): ULong? {
            val digits = fractionDigits(currency) ?: return null
            val plain = text.trim().takeIf { DECIMAL.matches(it) } ?: return null
            val value = BigDecimal(plain)
            if (value.signum() <= 0 || value.scale() > digits) return null
            return runCatching { value.movePointRight(digits).toBigIntegerExact().longValueExact().toULong() }.getOrNull()
        }

        /** Digits with an optional decimal point: no sign, exponent or grouping. */
        private val DECIMAL = Regex("""\d+(\.\d+)?""")

        /** "CNY 12.80" for 1280 CNY: how the amount is shown back while typing. */
        fun formatMinor(amount: ULong, currency: String): String {
            val digits = fractionDigits(currency) ?: 0
            return "$currency ${BigDecimal(amount.toString()).movePointLeft(digits).toPlainString()}"
        }

        private fun fractionDigits(currency: String): Int? =
            runCatching { Currency.getInstance(currency).defaultFractionDigits }.getOrNull()?.takeIf { it >= 0 }

        /** What the merchant is told when the SDK says no: each variant is something to do. */
        fun describe(e: EReceiptException): String = when (e) {
            is EReceiptException.InvalidInput -> "Check ${e.field}: ${e.reason}"
            is EReceiptException.SignatureIncomplete -> "The signature is not finished: ${e.reason}"
            is EReceiptException.NotEnrolled -> "Enroll this terminal with a platform first"
            is EReceiptException.PlatformUnavailable -> "The platform is unreachable (${e.reason}); try again later"
            is EReceiptException.Rejected -> "The platform refused it (${e.code}): ${e.reason}"
            is EReceiptException.StorageFull -> "The outbox is full (${e.pending} receipts): upload before the next sale"
            is EReceiptException.Storage -> "Storage failed: ${e.reason}"
            is EReceiptException.SignerFailed -> "The terminal key failed: ${e.reason}"
            is EReceiptException.Closed -> "The SDK was shut down; restart the app"
            is EReceiptException.Internal -> "Internal error, please report it: ${e.reason}"
        }
    }
}
