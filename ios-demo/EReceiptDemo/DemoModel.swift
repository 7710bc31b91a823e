import EReceipt
import Foundation
import Network

/// Holds the SDK for the app's lifetime: one terminal directory in Application Support
/// (excluded from backups: a restored backup must never bring back an old chain state), the
/// Secure Enclave signer, the background uploader, and a network monitor that wakes it when
/// the network returns.
@MainActor
final class DemoModel: ObservableObject {
    @Published private(set) var terminal: TerminalInfo?
    @Published private(set) var status: OutboxStatus?
    @Published private(set) var receipt: IssuedReceipt?
    @Published private(set) var busy = false
    @Published var message: String?
    private(set) var hardwareKey = false

    private var sdk: EReceiptSdk?
    private var signer: SecureEnclaveSigner?
    private let monitor = NWPathMonitor()
    private let storage: URL

    var flow: ReceiptFlow? { sdk.map { ReceiptFlow(sdk: $0) } }

    init() {
        let support = FileManager.default.urls(for: .applicationSupportDirectory, in: .userDomainMask)[0]
        storage = support.appendingPathComponent("ereceipt-terminal", isDirectory: true)
        do {
            // The phone library does not embed the receipt font: install the package's copy.
            try installBundledFontPack()
        } catch {
            message = "The receipt font could not be installed: \(ReceiptFlow.describe(error))"
        }
        monitor.pathUpdateHandler = { [weak self] path in
            guard path.status == .satisfied else { return }
            Task { @MainActor in try? self?.sdk?.networkAvailable() }
        }
        monitor.start(queue: DispatchQueue(label: "org.ereceipt.demo.network"))
        if FileManager.default.fileExists(atPath: storage.path) {
            act { try self.openSdk(platformUrl: nil) }
        }
    }

    /// (Re)creates the SDK; an enrolled terminal keeps the platform URL it enrolled with.
    private func openSdk(platformUrl: String?) throws {
        if signer == nil {
            let made = try SecureEnclaveSigner()
            signer = made
            hardwareKey = made.isHardwareBacked
        }
        try? sdk?.shutdown()
        try FileManager.default.createDirectory(at: storage.deletingLastPathComponent(), withIntermediateDirectories: true)
        var values = URLResourceValues()
        values.isExcludedFromBackup = true
        var dir = storage.deletingLastPathComponent()
        try? dir.setResourceValues(values)
        let created = try EReceiptSdk(
            config: SdkConfig(storageDir: storage.path, platformUrl: platformUrl), signer: signer)
        sdk = created
        terminal = try created.terminalInfo()
        if try created.isEnrolled() { try created.startAutoFlush(policy: nil) }
        refresh()
    }

    func enroll(platformUrl: String, token: String, terminalId: String) {
        act {
            try self.openSdk(platformUrl: platformUrl)
            guard let sdk = self.sdk else { return }
            self.terminal = try await sdk.enroll(
                token: token.trimmingCharacters(in: .whitespaces),
                terminalId: terminalId.trimmingCharacters(in: .whitespaces))
            try sdk.startAutoFlush(policy: nil)
            self.refresh()
        }
    }

    func issue(amount: UInt64, currency: String, card: ReceiptFlow.CardRead,
               signature: HandwrittenSignature?, delivery: Delivery?) {
        act {
            self.receipt = try self.flow?.issueSale(
                amountMinor: amount, currency: currency, card: card, signature: signature, delivery: delivery)
            try self.sdk?.networkAvailable()
            self.refresh()
        }
    }

    func flush() {
        act {
            guard let report = try await self.sdk?.flush() else { return }
            self.refresh()
            self.message = "Uploaded \(report.stored + report.duplicates), \(report.remaining) waiting"
        }
    }

    func refresh() {
        status = try? sdk?.outboxStatus()
    }

    func newSale() { receipt = nil }

    /// Runs an SDK call, turning its errors into a message.
    private func act(_ body: @escaping @MainActor () async throws -> Void) {
        Task {
            busy = true
            defer { busy = false }
            do {
                try await body()
            } catch {
                message = ReceiptFlow.describe(error)
            }
        }
    }
}
