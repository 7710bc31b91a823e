import EReceipt
import PencilKit
import SwiftUI

/// Enroll, then amount → card → signature → delivery → receipt, with the outbox below.
struct ContentView: View {
    @EnvironmentObject private var model: DemoModel

    var body: some View {
        NavigationStack {
            ScrollView {
                VStack(alignment: .leading, spacing: 16) {
                    if let message = model.message {
                        Text(message).foregroundStyle(.red)
                    }
                    if let terminal = model.terminal {
                        Text("\(terminal.merchantName) · terminal \(terminal.terminalId) · key: \(model.keyLocation ?? "?")")
                            .font(.caption)
                        SaleView()
                        Divider()
                        OutboxView()
                    } else {
                        SettingsView()
                    }
                }
                .padding()
            }
            .navigationTitle("ereceipt demo")
        }
    }
}

/// Settings: the platform and a single-use enrollment token.
private struct SettingsView: View {
    @EnvironmentObject private var model: DemoModel
    /// The SDK allows plain HTTP to loopback only; the simulator shares the Mac's (README.md).
    @State private var url = "http://localhost:8080/"
    @State private var token = ""
    @State private var terminalId = "IOS00001"

    var body: some View {
        Text("Enroll this terminal").font(.title2)
        Text("Token: ereceipt platform enrollment-token --merchant ID (README.md)").font(.footnote)
        TextField("Platform URL", text: $url).textInputAutocapitalization(.never).keyboardType(.URL)
        TextField("Enrollment token", text: $token).textInputAutocapitalization(.never).autocorrectionDisabled()
        TextField("Terminal id", text: $terminalId).textInputAutocapitalization(.characters)
        Button("Enroll") { model.enroll(platformUrl: url, token: token, terminalId: terminalId) }
            .buttonStyle(.borderedProminent)
            .disabled(model.busy || token.isEmpty)
    }
}

/// Where one sale is. Amounts are minor units of the currency.
private enum Step {
    case amount
    case card(amount: UInt64, currency: String)
    case sign(amount: UInt64, currency: String, card: ReceiptFlow.CardRead)
    case deliver(amount: UInt64, currency: String, card: ReceiptFlow.CardRead, signature: HandwrittenSignature?)
}

private struct SaleView: View {
    @EnvironmentObject private var model: DemoModel
    @State private var step = Step.amount
    @State private var amountText = ""
    @State private var currency = "CNY"

    var body: some View {
        if let receipt = model.receipt {
            ReceiptView(receipt: receipt)
            Button("New sale") {
                model.newSale()
                step = .amount
                amountText = ""
            }
        } else if let flow = model.flow {
            switch step {
            case .amount:
                let minor = ReceiptFlow.minorUnits(amountText, currency: currency)
                TextField("Amount", text: $amountText).keyboardType(.decimalPad).font(.title)
                TextField("Currency (ISO 4217)", text: $currency).textInputAutocapitalization(.characters)
                Button(minor.map { "Charge \(ReceiptFlow.formatMinor($0, currency: currency))" } ?? "Enter an amount") {
                    if let minor { step = .card(amount: minor, currency: currency) }
                }
                .buttonStyle(.borderedProminent)
                .disabled(minor == nil)
            case let .card(amount, currency):
                Text("Present the card (simulated: no reader is attached)")
                ForEach([false, true], id: \.self) { contactless in
                    Button(contactless ? "Tap contactless (no signature)" : "Insert chip card (signature)") {
                        let card = flow.simulateCardRead(contactless: contactless)
                        step = card.needsSignature
                            ? .sign(amount: amount, currency: currency, card: card)
                            : .deliver(amount: amount, currency: currency, card: card, signature: nil)
                    }
                }
            case let .sign(amount, currency, card):
                SigningView { signature in
                    step = .deliver(amount: amount, currency: currency, card: card, signature: signature)
                }
            case let .deliver(amount, currency, card, signature):
                DeliveryView { delivery in
                    model.issue(amount: amount, currency: currency, card: card, signature: signature, delivery: delivery)
                }
            }
        }
    }
}

private struct SigningView: View {
    @EnvironmentObject private var model: DemoModel
    @Environment(\.displayScale) private var scale
    let onSigned: (HandwrittenSignature) -> Void
    @State private var capture: SignatureCapture?
    @State private var state = CaptureState.empty
    @State private var drawing = PKDrawing()

    var body: some View {
        Text("Cardholder, please sign").font(.title2)
        Text(describe(state))
        GeometryReader { geometry in
            if let capture {
                SignatureView(capture: capture, scale: scale, drawing: $drawing) { error in
                    model.message = ReceiptFlow.describe(error)
                }
            } else {
                // The pad is made once the layout has given it a size.
                Color.white.task(id: geometry.size) { makeCapture(size: geometry.size) }
            }
        }
        .frame(height: 220)
        .border(.gray)
        // The idle rule is the SDK's: ask it ten times a second where the signature stands.
        .task(id: capture.map { ObjectIdentifier($0) }) {
            while let capture, !Task.isCancelled {
                if let now = try? capture.state() { state = now }
                try? await Task.sleep(for: .milliseconds(100))
            }
        }
        HStack {
            Button("Undo") {
                if (try? capture?.undo()) == true, !drawing.strokes.isEmpty { drawing.strokes.removeLast() }
            }
            Button("Clear") {
                try? capture?.clear()
                drawing = PKDrawing()
            }
            Button("Done") {
                do {
                    if let signature = try capture?.finish() { onSigned(signature) }
                } catch {
                    model.message = ReceiptFlow.describe(error)
                }
            }
            .buttonStyle(.borderedProminent)
            .disabled(state != .complete)
        }
    }

    /// The pad in device pixels; its density is points × scale × 163 per inch, iOS's nominal
    /// point density (the SDK measures dots and the ink's extent in millimetres with it).
    private func makeCapture(size: CGSize) {
        guard capture == nil, size.width >= 1, size.height >= 1 else { return }
        let pad = SignaturePad(width: UInt32(size.width * scale), height: UInt32(size.height * scale),
                               dpi: UInt32(min(max(163 * scale, 50), 1000)))
        do {
            capture = try SignatureCapture(pad: pad, options: nil, clock: nil)
        } catch {
            model.message = ReceiptFlow.describe(error)
        }
    }

    private func describe(_ state: CaptureState) -> String {
        switch state {
        case .empty: return "Waiting for the signature"
        case .drawing: return "Signing…"
        case let .paused(idleMs): return "Paused for \(idleMs) ms"
        case .complete: return "Signature complete"
        }
    }
}

private struct DeliveryView: View {
    @EnvironmentObject private var model: DemoModel
    let onIssue: (Delivery?) -> Void
    @State private var kind = Kind.sms
    @State private var contact = ""

    private enum Kind: String, CaseIterable {
        case sms = "SMS", mms = "MMS", email = "E-mail", pull = "Pull", noReceipt = "None"
    }

    var body: some View {
        Text("How does the customer want the receipt?").font(.title3)
        Picker("Delivery", selection: $kind) {
            ForEach(Kind.allCases, id: \.self) { Text($0.rawValue) }
        }
        .pickerStyle(.segmented)
        if kind != .noReceipt {
            TextField(kind == .email ? "E-mail address" : "Phone number, international (+86…)", text: $contact)
                .keyboardType(kind == .email ? .emailAddress : .phonePad)
                .textInputAutocapitalization(.never)
        }
        Button("Issue receipt") {
            // The SDK checks and normalises the address when it issues the receipt.
            switch kind {
            case .sms: onIssue(.sms(phone: contact))
            case .mms: onIssue(.mms(phone: contact))
            case .email: onIssue(.email(address: contact))
            case .pull: onIssue(.pull(phone: contact))
            case .noReceipt: onIssue(nil)
            }
        }
        .buttonStyle(.borderedProminent)
        .disabled(model.busy)
    }
}

private struct ReceiptView: View {
    let receipt: IssuedReceipt

    var body: some View {
        Text("Receipt \(receipt.counter) · \(receipt.receiptId)").font(.headline)
        if let reason = receipt.unsignedReason {
            Text("Issued unsigned: \(reason)").foregroundStyle(.red)
        }
        if let image = UIImage(data: receipt.png) {
            // A 1-bit image: scaled without smoothing.
            Image(uiImage: image).interpolation(.none).resizable().scaledToFit()
        }
    }
}

/// The outbox: what waits for the platform, and an upload button.
private struct OutboxView: View {
    @EnvironmentObject private var model: DemoModel

    var body: some View {
        Text("Outbox").font(.headline)
        if let status = model.status {
            Text("\(status.pending) waiting (\(status.pendingBytes) bytes), \(status.dead) rejected by the platform")
            if let age = status.oldestPendingAgeS { Text("Oldest waiting for \(age) s") }
            if let error = status.lastError { Text("Last upload error: \(error)").foregroundStyle(.red) }
        }
        Button("Upload now") { model.flush() }
            .disabled(model.busy)
            .task {
                while !Task.isCancelled {
                    model.refresh()
                    try? await Task.sleep(for: .seconds(2))
                }
            }
    }
}
