import EReceipt
import Foundation
import Network

/// Holds the SDK for the app's lifetime: one terminal directory in Application Support,
/// excluded from backups (a restored backup must never bring back an old receipt chain), the
/// Secure Enclave signer, the background uploader, and a network monitor that wakes the
/// uploader when the network returns. Blocking SDK calls run off the main actor.
@MainActor
final class DemoModel: ObservableObject {
    @Published private(set) var terminal: TerminalInfo?
    @Published private(set) var keyLocation: String?
    @Published private(set) var status: OutboxStatus?
    @Published private(set) var receipt: IssuedReceipt?
    @Published private(set) var busy = false
    @Published var message: String?

    private(set) var flow: ReceiptFlow?
    private var signer: SecureEnclaveSigner?
    private let monitor = NWPathMonitor()
    private let storage: URL

    init() {
        let support = FileManager.default.urls(for: .applicationSupportDirectory, in: .userDomainMask)[0]
        storage = support.appendingPathComponent("ereceipt-terminal", isDirectory: true)
        monitor.pathUpdateHandler = { [weak self] path in
            guard path.status == .satisfied else { return }
            Task { @MainActor in try? self?.flow?.sdk.networkAvailable() }
        }
        monitor.start(queue: DispatchQueue(label: "org.ereceipt.demo.network"))
        let storage = storage
        act {
            // The phone library does not embed the receipt font: install the package's copy,
            // once, before anything is issued.
            try await Self.background { try installBundledFontPack() }
            if FileManager.default.fileExists(atPath: storage.path) {
                try await self.open(platformUrl: nil)
            }
        }
    }

    /// (Re)opens the SDK on the terminal directory; an enrolled terminal keeps the platform URL
    /// it enrolled with.
    private func open(platformUrl: String?) async throws {
        let (storage, signer, previous) = (self.storage, self.signer, self.flow)
        let (opened, key) = try await Self.background { () -> (ReceiptFlow, SecureEnclaveSigner) in
            try previous?.sdk.shutdown()
            let key = try signer ?? SecureEnclaveSigner()
            var support = storage.deletingLastPathComponent()
            try FileManager.default.createDirectory(at: support, withIntermediateDirectories: true)
            var values = URLResourceValues()
            values.isExcludedFromBackup = true
            try support.setResourceValues(values)
            let sdk = try EReceiptSdk(config: SdkConfig(storageDir: storage.path, platformUrl: platformUrl), signer: key)
            if try sdk.isEnrolled() { try sdk.startAutoFlush(policy: nil) }
            return (ReceiptFlow(sdk: sdk), key)
        }
        self.signer = key
        self.keyLocation = key.isHardwareBacked ? "Secure Enclave" : "software key (simulator only)"
        self.flow = opened
        self.terminal = try opened.terminal()
        if self.terminal != nil { self.status = try opened.outboxStatus() }
    }

    func enroll(platformUrl: String, token: String, terminalId: String) {
        act {
            try await self.open(platformUrl: platformUrl.trimmingCharacters(in: .whitespaces))
            guard let flow = self.flow else { return }
            self.terminal = try await flow.enroll(token: token, terminalId: terminalId)
            try flow.sdk.startAutoFlush(policy: nil)
            self.status = try flow.outboxStatus()
        }
    }

    func issue(amount: UInt64, currency: String, card: ReceiptFlow.CardRead,
               signature: HandwrittenSignature?, delivery: Delivery?) {
        guard let flow else { return }
        act {
            // The SDK wakes its background uploader itself after each receipt.
            self.receipt = try await Self.background {
                try flow.issueSale(amountMinor: amount, currency: currency, card: card,
                                   signature: signature, delivery: delivery)
            }
            self.status = try flow.outboxStatus()
        }
    }

    func flush() {
        guard let flow else { return }
        act {
            let report = try await flow.flush()
            self.status = try flow.outboxStatus()
            if let reason = report.stoppedBy {
                self.message = "Upload stopped, \(report.remaining) kept for later: \(reason)"
            } else {
                self.message = "Uploaded \(report.stored + report.duplicates), \(report.deadLettered) rejected, \(report.remaining) waiting"
            }
        }
    }

    func refresh() {
        status = try? flow?.outboxStatus()
    }

    func newSale() { receipt = nil }

    /// Runs an SDK call; an error becomes the message on screen.
    private func act(_ body: @escaping @MainActor () async throws -> Void) {
        Task {
            self.busy = true
            defer { self.busy = false }
            do {
                try await body()
            } catch {
                self.message = ReceiptFlow.describe(error)
            }
        }
    }

    /// Blocking work (rendering, signing, the database, the Keychain) off the main actor.
    nonisolated private static func background<T: Sendable>(
        _ work: @escaping @Sendable () throws -> T
    ) async throws -> T {
        try await Task.detached(priority: .userInitiated) { try work() }.value
    }
}
