import EReceipt
import Foundation

/// Everything the demo asks of the SDK, without UIKit: the screens call it. Every receipt
/// decision (validation, masking, when a signature is complete, the image, signing, sealing,
/// queueing, uploading) is the SDK's; this only gathers the input. The Android demo's
/// `ReceiptFlow.kt` is the same, line for line where the languages allow.
struct ReceiptFlow: Sendable {
    let sdk: EReceiptSdk

    /// What a card read gives the app. The demo has no reader: `simulateCardRead` makes one.
    struct CardRead: Sendable {
        let maskedPan: String
        let brand: CardBrand
        let entryMode: EntryMode
        let cvm: Cvm

        /// Whether the reader's cardholder verification asks for a handwritten signature, so
        /// the app shows the pad. (The SDK refuses to issue such a sale without one.)
        var needsSignature: Bool { cvm == .signature || cvm == .offlinePinAndSignature }
    }

    /// The enrolled (or local test) terminal; nil before enrollment.
    func terminal() throws -> TerminalInfo? { try sdk.terminalInfo() }

    /// Enrolls with the platform of the SDK's `platformUrl`, with a single-use token.
    func enroll(token: String, terminalId: String) async throws -> TerminalInfo {
        try await sdk.enroll(token: token.trimmingCharacters(in: .whitespaces),
                             terminalId: terminalId.trimmingCharacters(in: .whitespaces))
    }

    /// A card read without a reader, with masked test numbers only: a UnionPay chip card whose
    /// verification is the cardholder's signature, or a contactless Visa verified on the phone.
    func simulateCardRead(contactless: Bool) -> CardRead {
        contactless
            ? CardRead(maskedPan: "476173******0119", brand: .visa, entryMode: .contactless, cvm: .cdcvm)
            : CardRead(maskedPan: "622202******3446", brand: .unionpay, entryMode: .chip, cvm: .signature)
    }

    /// Issues the receipt of an approved sale: the SDK validates it, renders, signs,
    /// watermarks, seals it with the strokes and the delivery choice, and queues it. Blocking
    /// (the Secure Enclave signs, the image is drawn): call it off the main actor.
    func issueSale(amountMinor: UInt64, currency: String, card: CardRead,
                   signature: HandwrittenSignature?, delivery: Delivery?) throws -> IssuedReceipt {
        guard let terminal = try sdk.terminalInfo() else { throw EReceiptError.NotEnrolled }
        let next = (try sdk.outboxStatus().counter ?? 0) + 1
        let transaction = CardTransaction(
            kind: .sale,
            // A real app takes the trace number and the authorisation code from its payment
            // host's answer; the demo numbers its sales after the terminal's receipt counter.
            traceNumber: String(next % 1_000_000),
            amount: amountMinor,
            currency: currency,
            localTime: Self.localTime.string(from: Date()),
            terminalId: terminal.terminalId,
            merchant: Merchant(id: terminal.merchantId, name: terminal.merchantName),
            card: Card(maskedPan: card.maskedPan, brand: card.brand, entryMode: card.entryMode,
                       cardholderVerification: card.cvm),
            authCode: "A1B2C3",
            batchNumber: "1"
        )
        return try sdk.issueTransaction(transaction: transaction, signature: signature, delivery: delivery)
    }

    func outboxStatus() throws -> OutboxStatus { try sdk.outboxStatus() }

    /// Uploads what waits now; an unreachable platform is not an error (`FlushReport.stoppedBy`).
    func flush() async throws -> FlushReport { try await sdk.flush() }

    /// RFC 3339 with the device's own UTC offset, as the transaction's local time wants it.
    private static var localTime: ISO8601DateFormatter {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime]
        f.timeZone = .current
        return f
    }

    /// The currency's minor-unit digits (CNY 2, JPY 0, KWD 3) from Foundation's currency data;
    /// the SDK does not export its own ISO 4217 table (see README.md).
    static func fractionDigits(_ currency: String) -> Int? {
        guard Foundation.Locale.commonISOCurrencyCodes.contains(currency) else { return nil }
        let f = NumberFormatter()
        f.numberStyle = .currency
        f.currencyCode = currency
        return f.maximumFractionDigits
    }

    /// "12.80" CNY → 1280, exactly: ASCII digits and integer arithmetic, never floating point.
    /// Nil when it is not a positive amount with at most the currency's decimals.
    static func minorUnits(_ text: String, currency: String) -> UInt64? {
        guard let digits = fractionDigits(currency) else { return nil }
        let parts = text.trimmingCharacters(in: .whitespaces).split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count <= 2, let whole = parts.first, !whole.isEmpty,
              parts.allSatisfy({ $0.allSatisfy { ("0"..."9").contains($0) } }) else { return nil }
        let fraction = parts.count == 2 ? String(parts[1]) : ""
        guard parts.count == 1 || !fraction.isEmpty, fraction.count <= digits else { return nil }
        var value: UInt64 = 0
        for digit in whole + fraction + String(repeating: "0", count: digits - fraction.count) {
            let (times10, o1) = value.multipliedReportingOverflow(by: 10)
            let (sum, o2) = times10.addingReportingOverflow(UInt64(digit.wholeNumberValue ?? 0))
            guard !o1, !o2 else { return nil }
            value = sum
        }
        return value > 0 ? value : nil
    }

    /// "CNY 12.80" for 1280: the amount shown back while typing.
    static func formatMinor(_ amount: UInt64, currency: String) -> String {
        let digits = fractionDigits(currency) ?? 0
        guard digits > 0 else { return "\(currency) \(amount)" }
        let text = String(amount)
        let padded = String(repeating: "0", count: max(0, digits + 1 - text.count)) + text
        return "\(currency) \(padded.dropLast(digits)).\(padded.suffix(digits))"
    }

    /// What the merchant is told when the SDK says no: each case is something to do.
    static func describe(_ error: Error) -> String {
        guard let e = error as? EReceiptError else { return "\(type(of: error))" }
        switch e {
        case let .InvalidInput(field, reason): return "Check \(field): \(reason)"
        case let .SignatureIncomplete(reason): return "The signature is not finished: \(reason)"
        case .NotEnrolled: return "Enroll this terminal with a platform first"
        case let .PlatformUnavailable(reason, _): return "The platform is unreachable (\(reason)); try again later"
        case let .Rejected(_, code, reason): return "The platform refused it (\(code)): \(reason)"
        case let .StorageFull(pending): return "The outbox is full (\(pending) receipts): upload before the next sale"
        case let .Storage(reason): return "Storage failed: \(reason)"
        case let .SignerFailed(reason): return "The terminal key failed: \(reason)"
        case .Closed: return "The SDK was shut down; restart the app"
        case let .Internal(reason): return "Internal error, please report it: \(reason)"
        }
    }
}
