import EReceipt
import PencilKit
import SwiftUI

/// Enroll, then sale → card → signature → delivery → receipt.
struct ContentView: View {
    @EnvironmentObject private var model: DemoModel

    var body: some View {
        NavigationStack {
            ScrollView {
                VStack(alignment: .leading, spacing: 16) {
                    if let message = model.message {
                        Text(message).foregroundStyle(.red)
                    }
                    if model.terminal == nil {
                        EnrollView()
                    } else {
                        SaleView()
                    }
                }
                .padding()
            }
            .navigationTitle("ereceipt demo")
        }
    }
}

private struct EnrollView: View {
    @EnvironmentObject private var model: DemoModel
    @State private var url = "http://localhost:8080/"
    @State private var token = ""
    @State private var terminalId = "IOS00001"

    var body: some View {
        Text("Enroll this terminal").font(.title2)
        Text("Get a token with: ereceipt platform enrollment-token --merchant ID").font(.footnote)
        TextField("Platform URL", text: $url).textInputAutocapitalization(.never).keyboardType(.URL)
        TextField("Enrollment token", text: $token).textInputAutocapitalization(.never)
        TextField("Terminal id", text: $terminalId).textInputAutocapitalization(.characters)
        Button("Enroll") { model.enroll(platformUrl: url, token: token, terminalId: terminalId) }
            .buttonStyle(.borderedProminent)
            .disabled(model.busy || token.isEmpty)
    }
}

/// The steps of one sale.
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
        if let terminal = model.terminal {
            Text("\(terminal.merchantName) · terminal \(terminal.terminalId)").font(.caption)
        }
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
                Text("Present the card (simulated: no reader attached)")
                Button("Insert chip card (signature)") {
                    let card = flow.simulateCardRead(contactless: false)
                    step = flow.needsSignature(card)
                        ? .sign(amount: amount, currency: currency, card: card)
                        : .deliver(amount: amount, currency: currency, card: card, signature: nil)
                }
                Button("Tap contactless (no signature)") {
                    step = .deliver(amount: amount, currency: currency,
                                    card: flow.simulateCardRead(contactless: true), signature: nil)
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
    let onSigned: (HandwrittenSignature) -> Void
    @State private var capture: SignatureCapture?
    @State private var state = CaptureState.empty
    @State private var drawing = PKDrawing()
    /// The idle rule is the SDK's: ask it ten times a second whether the signature is complete.
    private let tick = Timer.publish(every: 0.1, on: .main, in: .common).autoconnect()

    var body: some View {
        Text("Cardholder, please sign").font(.title2)
        Text(describe(state))
        GeometryReader { geometry in
            if let capture {
                SignatureView(capture: capture, drawing: $drawing) { error in
                    if let error { model.message = ReceiptFlow.describe(error) }
                }
            } else {
                Color.white.onAppear { makeCapture(size: geometry.size) }
            }
        }
        .frame(height: 220)
        .border(.gray)
        .onReceive(tick) { _ in if let s = try? capture?.state() { state = s } }
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

    /// The pad in device pixels, at the screen's density (points × scale × 163 per inch).
    private func makeCapture(size: CGSize) {
        let scale = UIScreen.main.scale
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
        case let .paused(idleMs): return "Paused \(idleMs) ms"
        case .complete: return "Signature complete"
        }
    }
}

private struct DeliveryView: View {
    @EnvironmentObject private var model: DemoModel
    let onIssue: (Delivery?) -> Void
    @State private var kind = "SMS"
    @State private var contact = ""
    private let kinds = ["SMS", "MMS", "E-mail", "Pull (portal)", "No e-receipt"]

    var body: some View {
        Text("How does the customer want the receipt?").font(.title3)
        Picker("Delivery", selection: $kind) {
            ForEach(kinds, id: \.self) { Text($0) }
        }
        .pickerStyle(.inline)
        if kind != "No e-receipt" {
            TextField(kind == "E-mail" ? "E-mail address" : "Phone number (+86…)", text: $contact)
                .keyboardType(kind == "E-mail" ? .emailAddress : .phonePad)
                .textInputAutocapitalization(.never)
        }
        Button("Issue receipt") {
            // The SDK checks and normalises the address when it issues the receipt.
            switch kind {
            case "SMS": onIssue(.sms(phone: contact))
            case "MMS": onIssue(.mms(phone: contact))
            case "E-mail": onIssue(.email(address: contact))
            case "Pull (portal)": onIssue(.pull(phone: contact))
            default: onIssue(nil)
            }
        }
        .buttonStyle(.borderedProminent)
        .disabled(model.busy)
    }
}

private struct ReceiptView: View {
    @EnvironmentObject private var model: DemoModel
    let receipt: IssuedReceipt

    var body: some View {
        Text("Receipt \(receipt.receiptId)").font(.headline)
        if let image = UIImage(data: receipt.png) {
            Image(uiImage: image).interpolation(.none).resizable().scaledToFit()
        }
        if let status = model.status {
            Text("Outbox: \(status.pending) waiting (\(status.pendingBytes) bytes), \(status.dead) rejected")
            if let age = status.oldestPendingAgeS { Text("Oldest waiting for \(age) s") }
            if let error = status.lastError { Text("Last error: \(error)").foregroundStyle(.red) }
        }
        Button("Upload now") { model.flush() }.disabled(model.busy)
            .onAppear { model.refresh() }
    }
}
