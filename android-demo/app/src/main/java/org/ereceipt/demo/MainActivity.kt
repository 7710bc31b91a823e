package org.ereceipt.demo

import android.graphics.BitmapFactory
import android.os.Bundle
import androidx.activity.ComponentActivity
import androidx.activity.compose.setContent
import androidx.activity.viewModels
import androidx.compose.foundation.Image
import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.Row
import androidx.compose.foundation.layout.fillMaxSize
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.height
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.layout.safeDrawingPadding
import androidx.compose.foundation.rememberScrollState
import androidx.compose.foundation.selection.selectable
import androidx.compose.foundation.text.KeyboardOptions
import androidx.compose.foundation.verticalScroll
import androidx.compose.material3.Button
import androidx.compose.material3.HorizontalDivider
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.OutlinedButton
import androidx.compose.material3.OutlinedTextField
import androidx.compose.material3.RadioButton
import androidx.compose.material3.Surface
import androidx.compose.material3.Text
import androidx.compose.runtime.Composable
import androidx.compose.runtime.DisposableEffect
import androidx.compose.runtime.LaunchedEffect
import androidx.compose.runtime.getValue
import androidx.compose.runtime.mutableStateOf
import androidx.compose.runtime.remember
import androidx.compose.runtime.setValue
import androidx.compose.ui.Modifier
import androidx.compose.ui.graphics.FilterQuality
import androidx.compose.ui.graphics.asImageBitmap
import androidx.compose.ui.layout.ContentScale
import androidx.compose.ui.layout.onSizeChanged
import androidx.compose.ui.platform.LocalContext
import androidx.compose.ui.text.input.KeyboardType
import androidx.compose.ui.unit.dp
import kotlin.math.roundToInt
import kotlinx.coroutines.delay
import org.ereceipt.sdk.CaptureState
import org.ereceipt.sdk.Delivery
import org.ereceipt.sdk.EReceiptException
import org.ereceipt.sdk.HandwrittenSignature
import org.ereceipt.sdk.IssuedReceipt
import org.ereceipt.sdk.SignatureCapture
import org.ereceipt.sdk.SignaturePad as Pad

/** The demo's one activity: enroll, then amount → card → signature → delivery → receipt. */
class MainActivity : ComponentActivity() {
    private val model: DemoViewModel by viewModels()

    override fun onCreate(savedInstanceState: Bundle?) {
        super.onCreate(savedInstanceState)
        setContent {
            MaterialTheme {
                Surface(Modifier.fillMaxSize()) {
                    Column(
                        Modifier.safeDrawingPadding().padding(16.dp).verticalScroll(rememberScrollState()),
                        verticalArrangement = Arrangement.spacedBy(12.dp),
                    ) {
                        model.message?.let { Text(it, color = MaterialTheme.colorScheme.error) }
                        val terminal = model.terminal
                        if (terminal == null) {
                            Settings(model)
                        } else {
                            Text(
                                "${terminal.merchantName} · terminal ${terminal.terminalId} · key: ${model.keyLocation}",
                                style = MaterialTheme.typography.labelLarge,
                            )
                            Sale(model)
                            HorizontalDivider()
                            Outbox(model)
                        }
                    }
                }
            }
        }
    }
}

/** Settings: the platform and a single-use enrollment token. */
@Composable
private fun Settings(model: DemoViewModel) {
    // The SDK allows plain HTTP to loopback only: `adb reverse tcp:8080 tcp:8080` makes the
    // development machine's platform this device's 127.0.0.1:8080 (README.md).
    var url by remember { mutableStateOf("http://127.0.0.1:8080/") }
    var token by remember { mutableStateOf("") }
    var terminalId by remember { mutableStateOf("AND00001") }
    Text("Enroll this terminal", style = MaterialTheme.typography.titleLarge)
    Text("Token: ereceipt platform enrollment-token --merchant ID (README.md)")
    OutlinedTextField(url, { url = it }, label = { Text("Platform URL") }, modifier = Modifier.fillMaxWidth())
    OutlinedTextField(token, { token = it }, label = { Text("Enrollment token") }, modifier = Modifier.fillMaxWidth())
    OutlinedTextField(terminalId, { terminalId = it }, label = { Text("Terminal id") }, modifier = Modifier.fillMaxWidth())
    Button(onClick = { model.enroll(url, token, terminalId) }, enabled = !model.busy && token.isNotBlank()) { Text("Enroll") }
}

/** Where one sale is. Amounts are minor units of the currency. */
private sealed interface Step {
    data object Amount : Step
    data class Card(val amount: ULong, val currency: String) : Step
    data class Sign(val amount: ULong, val currency: String, val card: ReceiptFlow.CardRead) : Step
    data class Deliver(val amount: ULong, val currency: String, val card: ReceiptFlow.CardRead, val signature: HandwrittenSignature?) : Step
}

@Composable
private fun Sale(model: DemoViewModel) {
    val flow = model.flow ?: return
    var step by remember { mutableStateOf<Step>(Step.Amount) }
    model.receipt?.let { issued ->
        Receipt(issued)
        Button(onClick = { model.newSale(); step = Step.Amount }) { Text("New sale") }
        return
    }
    when (val s = step) {
        Step.Amount -> {
            var text by remember { mutableStateOf("") }
            var currency by remember { mutableStateOf("CNY") }
            val minor = ReceiptFlow.minorUnits(text, currency)
            OutlinedTextField(text, { text = it }, label = { Text("Amount") }, keyboardOptions = KeyboardOptions(keyboardType = KeyboardType.Decimal))
            OutlinedTextField(currency, { currency = it.uppercase().take(3) }, label = { Text("Currency (ISO 4217)") })
            Button(onClick = { minor?.let { step = Step.Card(it, currency) } }, enabled = minor != null) {
                Text(minor?.let { "Charge ${ReceiptFlow.formatMinor(it, currency)}" } ?: "Enter an amount")
            }
        }
        is Step.Card -> {
            Text("Present the card (simulated: no reader is attached)")
            for (contactless in listOf(false, true)) {
                Button(onClick = {
                    val card = flow.simulateCardRead(contactless)
                    step = if (card.needsSignature) Step.Sign(s.amount, s.currency, card) else Step.Deliver(s.amount, s.currency, card, null)
                }) { Text(if (contactless) "Tap contactless (no signature)" else "Insert chip card (signature)") }
            }
        }
        is Step.Sign -> Signing(model) { signature -> step = Step.Deliver(s.amount, s.currency, s.card, signature) }
        is Step.Deliver -> DeliveryChoice(model) { delivery -> model.issue(s.amount, s.currency, s.card, s.signature, delivery) }
    }
}

@Composable
private fun Signing(model: DemoViewModel, onSigned: (HandwrittenSignature) -> Unit) {
    val dpi = LocalContext.current.resources.displayMetrics.xdpi.roundToInt().coerceIn(50, 1000)
    var capture by remember { mutableStateOf<SignatureCapture?>(null) }
    var state by remember { mutableStateOf<CaptureState>(CaptureState.Empty) }
    val ink = rememberInk()
    val current = capture
    DisposableEffect(current) { onDispose { current?.close() } }
    // The idle rule is the SDK's: ask it ten times a second where the signature stands.
    LaunchedEffect(current) {
        if (current == null) return@LaunchedEffect
        while (true) {
            runCatching { current.state() }.onSuccess { state = it }
            delay(100)
        }
    }
    Text("Cardholder, please sign", style = MaterialTheme.typography.titleLarge)
    Text(
        when (val s = state) {
            CaptureState.Empty -> "Waiting for the signature"
            CaptureState.Drawing -> "Signing…"
            is CaptureState.Paused -> "Paused for ${s.idleMs} ms"
            CaptureState.Complete -> "Signature complete"
        },
    )
    val pad = Modifier.fillMaxWidth().height(220.dp).onSizeChanged { size ->
        if (capture == null && size.width > 0 && size.height > 0) {
            capture = runCatching { SignatureCapture(Pad(size.width.toUInt(), size.height.toUInt(), dpi.toUInt())) }
                .onFailure { model.message = explain(it) }
                .getOrNull()
        }
    }
    if (current != null) {
        SignaturePad(current, ink, onRefused = { model.message = explain(it) }, modifier = pad)
    } else {
        Surface(pad) {}
    }
    Row(horizontalArrangement = Arrangement.spacedBy(8.dp)) {
        OutlinedButton(onClick = { if (current?.undo() == true) ink.removeLastOrNull() }, enabled = current != null) { Text("Undo") }
        OutlinedButton(onClick = { current?.clear(); ink.clear() }, enabled = current != null) { Text("Clear") }
        Button(
            onClick = { current?.let { c -> runCatching { c.finish() }.onSuccess(onSigned).onFailure { model.message = explain(it) } } },
            enabled = state == CaptureState.Complete,
        ) { Text("Done") }
    }
}

@Composable
private fun DeliveryChoice(model: DemoViewModel, onIssue: (Delivery?) -> Unit) {
    val kinds = listOf("SMS", "MMS", "E-mail", "Pull (portal)", "No e-receipt")
    var kind by remember { mutableStateOf(kinds[0]) }
    var contact by remember { mutableStateOf("") }
    Text("How does the customer want the receipt?", style = MaterialTheme.typography.titleLarge)
    for (k in kinds) {
        Row(Modifier.selectable(selected = kind == k, onClick = { kind = k })) {
            RadioButton(selected = kind == k, onClick = { kind = k })
            Text(k, Modifier.padding(top = 12.dp))
        }
    }
    if (kind != kinds.last()) {
        val email = kind == "E-mail"
        OutlinedTextField(
            contact, { contact = it },
            label = { Text(if (email) "E-mail address" else "Phone number, international (+86…)") },
            keyboardOptions = KeyboardOptions(keyboardType = if (email) KeyboardType.Email else KeyboardType.Phone),
        )
    }
    Button(enabled = !model.busy, onClick = {
        // The SDK checks and normalises the address when it issues the receipt.
        onIssue(
            when (kind) {
                "SMS" -> Delivery.Sms(contact)
                "MMS" -> Delivery.Mms(contact)
                "E-mail" -> Delivery.Email(contact)
                "Pull (portal)" -> Delivery.Pull(contact)
                else -> null
            },
        )
    }) { Text("Issue receipt") }
}

@Composable
private fun Receipt(issued: IssuedReceipt) {
    val bitmap = remember(issued.png) { BitmapFactory.decodeByteArray(issued.png, 0, issued.png.size)?.asImageBitmap() }
    Text("Receipt ${issued.counter} · ${issued.receiptId}", style = MaterialTheme.typography.titleMedium)
    issued.unsignedReason?.let { Text("Issued unsigned: $it", color = MaterialTheme.colorScheme.error) }
    // A 1-bit image: scaled without smoothing.
    bitmap?.let {
        Image(it, "the issued receipt", Modifier.fillMaxWidth(), contentScale = ContentScale.FillWidth, filterQuality = FilterQuality.None)
    }
}

/** The outbox: what waits for the platform, and an upload button. */
@Composable
private fun Outbox(model: DemoViewModel) {
    LaunchedEffect(Unit) {
        while (true) {
            model.refresh()
            delay(2_000)
        }
    }
    Text("Outbox", style = MaterialTheme.typography.titleMedium)
    model.status?.let { s ->
        Text("${s.pending} waiting (${s.pendingBytes} bytes), ${s.dead} rejected by the platform")
        s.oldestPendingAgeS?.let { Text("Oldest waiting for $it s") }
        s.lastError?.let { Text("Last upload error: $it", color = MaterialTheme.colorScheme.error) }
    }
    Button(onClick = { model.flush() }, enabled = !model.busy) { Text("Upload now") }
}

/** An SDK refusal in words; anything else by its type. */
private fun explain(t: Throwable): String =
    if (t is EReceiptException) ReceiptFlow.describe(t) else t.javaClass.simpleName
