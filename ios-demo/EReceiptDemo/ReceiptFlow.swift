import EReceipt
import Foundation

/// Everything the demo asks of the SDK, with no UIKit: the screens call this. Every receipt
/// decision (validation, masking, when a signature is complete, the image, signing, sealing,
/// queueing, uploading) is the SDK's; this only gathers input.
struct ReceiptFlow {
    let sdk: EReceiptSdk

    /// What a simulated card read returns: no reader is attached to the demo.
    struct CardRead {
        let maskedPan: String
        let brand: CardBrand
        let entryMode: EntryMode
        let cvm: Cvm
    }

    /// A UnionPay chip card with a signature, or a contactless Visa verified on the phone.
    func simulateCardRead(contactless: Bool) -> CardRead {
        contactless
            ? CardRead(maskedPan: "476173******0119", brand: .visa, entryMode: .contactless, cvm: .cdcvm)
            : CardRead(maskedPan: "622202******3446", brand: .unionpay, entryMode: .chip, cvm: .signature)
    }

    func needsSignature(_ card: CardRead) -> Bool {
        card.cvm == .signature || card.cvm == .offlinePinAndSignature
    }

    /// Issues the receipt of an approved sale: validated, rendered, signed, sealed, queued.
    func issueSale(amountMinor: UInt64, currency: String, card: CardRead,
                   signature: HandwrittenSignature?, delivery: Delivery?) throws -> IssuedReceipt {
        guard let terminal = try sdk.terminalInfo() else { throw EReceiptError.NotEnrolled }
        let next = (try sdk.outboxStatus().counter ?? 0) + 1
        let transaction = CardTransaction(
            kind: .sale,
            // A real app takes the trace number from its payment host's response.
            traceNumber: String(format: "%06llu", next % 1_000_000),
            amount: amountMinor,
            currency: currency,
            localTime: Self.localTime.string(from: Date()),
            terminalId: terminal.terminalId,
            merchant: Merchant(id: terminal.merchantId, name: terminal.merchantName),
            card: Card(maskedPan: card.maskedPan, brand: card.brand, entryMode: card.entryMode,
                       cardholderVerification: card.cvm),
            authCode: "A1B2C3",
            batchNumber: "000001"
        )
        return try sdk.issueTransaction(transaction: transaction, signature: signature, delivery: delivery)
    }

    private static let localTime: DateFormatter = {
        let f = DateFormatter()
        f.locale = Foundation.Locale(identifier: "en_US_POSIX")
        f.dateFormat = "yyyy-MM-dd'T'HH:mm:ssXXXXX"
        return f
    }()

    /// The currency's minor-unit digits (CNY 2, JPY 0, KWD 3), from Foundation's ISO 4217 data.
    static func fractionDigits(_ currency: String) -> Int? {
        guard currency.count == 3,
              Foundation.Locale.commonISOCurrencyCodes.contains(currency) else { return nil }
        let f = NumberFormatter()
        f.numberStyle = .currency
        f.currencyCode = currency
        return f.maximumFractionDigits
    }

    /// "12.80" CNY → 1280, exactly (Decimal, never floating point); nil if it is not an amount
    /// in that currency.
    static func minorUnits(_ text: String, currency: String) -> UInt64? {
        guard let digits = fractionDigits(currency),
              text.range(of: #"^\d+(\.\d+)?$"#, options: .regularExpression) != nil else { return nil }
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        let fraction = parts.count > 1 ? String(parts[1]) : ""
        guard fraction.count <= digits, let whole = UInt64(parts[0]) else { return nil }
        let padded = fraction + String(repeating: "0", count: digits - fraction.count)
        guard let frac = padded.isEmpty ? 0 : UInt64(padded) else { return nil }
        var scale: UInt64 = 1
        for _ in 0..<digits { scale *= 10 }
        let (scaled, overflow) = whole.multipliedReportingOverflow(by: scale)
        guard !overflow, scaled + frac > 0 else { return nil }
        return scaled + frac
    }

    /// "CNY 12.80" for 1280: the amount shown back while typing.
    static func formatMinor(_ amount: UInt64, currency: String) -> String {
        let digits = fractionDigits(currency) ?? 2
        let value = Decimal(amount) / pow(Decimal(10), digits)
        let f = NumberFormatter()
        f.numberStyle = .decimal
        f.usesGroupingSeparator = false
        f.minimumFractionDigits = digits
        f.maximumFractionDigits = digits
        f.locale = Foundation.Locale(identifier: "en_US_POSIX")
        return "\(currency) \(f.string(from: value as NSDecimalNumber) ?? String(amount))"
    }

    /// What the merchant is told when the SDK says no: each case is something to do.
    static func describe(_ error: Error) -> String {
        guard let e = error as? EReceiptError else { return error.localizedDescription }
        switch e {
        case let .InvalidInput(field, reason): return "Check \(field): \(reason)"
        case let .SignatureIncomplete(reason): return "The signature is not finished: \(reason)"
        case .NotEnrolled: return "Enroll this terminal first"
        case .PlatformUnavailable: return "The platform is unreachable; receipts stay queued and upload by themselves"
        case let .Rejected(_, code, reason): return "The platform refused it (\(code)): \(reason)"
        case let .StorageFull(pending): return "The outbox is full (\(pending) receipts): get online before the next sale"
        case let .Storage(reason): return "Storage failed: \(reason)"
        case let .SignerFailed(reason): return "The terminal key failed: \(reason)"
        case .Closed: return "The SDK was shut down"
        default: return "Internal error: \(e)"
        }
    }
}
