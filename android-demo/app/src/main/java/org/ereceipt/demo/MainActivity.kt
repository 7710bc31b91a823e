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
import androidx.compose.foundation.rememberScrollState
import androidx.compose.foundation.selection.selectable
import androidx.compose.foundation.text.KeyboardOptions
import androidx.compose.foundation.verticalScroll
import androidx.compose.material3.Button
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.OutlinedButton
import androidx.compose.material3.OutlinedTextField
import androidx.compose.material3.RadioButton
import androidx.compose.material3.Surface
import androidx.compose.material3.Text
import androidx.compose.runtime.Composable
import androidx.compose.runtime.LaunchedEffect
import androidx.compose.runtime.getValue
import androidx.compose.runtime.mutableStateOf
import androidx.compose.runtime.remember
import androidx.compose.runtime.setValue
import androidx.compose.ui.Modifier
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
import org.ereceipt.sdk.HandwrittenSignature
import org.ereceipt.sdk.SignatureCapture
import org.ereceipt.sdk.SignaturePad as Pad

/** The demo's single activity: enroll, then sale → card → signature → delivery → receipt. */
class MainActivity : ComponentActivity() {
    private val model: DemoViewModel by viewModels()

    override fun onCreate(savedInstanceState: Bundle?) {
        super.onCreate(savedInstanceState)
        setContent {
            MaterialTheme {
                Surface(Modifier.fillMaxSize()) {
                    Column(Modifier.padding(16.dp).verticalScroll(rememberScrollState()), verticalArrangement = Arrangement.spacedBy(12.dp)) {
                        model.message?.let { Text(it, color = MaterialTheme.colorScheme.error) }
                        if (model.terminal == null) Enroll(model) else Sale(model)
                    }
                }
            }
        }
    }
}

@Composable
private fun Enroll(model: DemoViewModel) {
    var url by remember { mutableStateOf("http://10.0.2.2:8080/") }
    var token by remember { mutableStateOf("") }
    var terminalId by remember { mutableStateOf("AND00001") }
    Text("Enroll this terminal", style = MaterialTheme.typography.titleLarge)
    Text("Get a token with: ereceipt platform enrollment-token --merchant ID")
    OutlinedTextField(url, { url = it }, label = { Text("Platform URL") }, modifier = Modifier.fillMaxWidth())
    OutlinedTextField(token, { token = it }, label = { Text("Enrollment token") }, modifier = Modifier.fillMaxWidth())
    OutlinedTextField(terminalId, { terminalId = it }, label = { Text("Terminal id") }, modifier = Modifier.fillMaxWidth())
    Button(onClick = { model.enroll(url, token, terminalId) }, enabled = !model.busy && token.isNotBlank()) { Text("Enroll") }
}

/** The steps of one sale. */
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
    model.terminal?.let { Text("${it.merchantName} · terminal ${it.terminalId}", style = MaterialTheme.typography.labelLarge) }
    model.receipt?.let { issued ->
        Receipt(model, issued.png, issued.receiptId)
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
            Button(onClick = { step = Step.Card(minor!!, currency) }, enabled = minor != null) {
                Text(minor?.let { "Charge ${ReceiptFlow.formatMinor(it, currency)}" } ?: "Enter an amount")
            }
        }
        is Step.Card -> {
            Text("Present the card (simulated: no reader attached)")
            Button(onClick = {
                val card = flow.simulateCardRead(contactless = false)
                step = if (flow.needsSignature(card)) Step.Sign(s.amount, s.currency, card) else Step.Deliver(s.amount, s.currency, card, null)
            }) { Text("Insert chip card (signature)") }
            Button(onClick = { step = Step.Deliver(s.amount, s.currency, flow.simulateCardRead(contactless = true), null) }) { Text("Tap contactless (no signature)") }
        }
        is Step.Sign -> Signing(model) { signature -> step = Step.Deliver(s.amount, s.currency, s.card, signature) }
        is Step.Deliver -> Deliver(model) { delivery -> model.issue(s.amount, s.currency, s.card, s.signature, delivery) }
    }
}

@Composable
private fun Signing(model: DemoViewModel, onSigned: (HandwrittenSignature) -> Unit) {
    val dpi = LocalContext.current.resources.displayMetrics.xdpi.roundToInt().coerceIn(50, 1000)
    var capture by remember { mutableStateOf<SignatureCapture?>(null) }
    var state by remember { mutableStateOf<CaptureState>(CaptureState.Empty) }
    val strokes = rememberStrokes()
    // The idle rule is the SDK's: ask it ten times a second whether the signature is complete.
    LaunchedEffect(capture) {
        while (true) {
            capture?.let { c -> runCatching { c.state() }.getOrNull()?.let { state = it } }
            delay(100)
        }
    }
    Text("Cardholder, please sign", style = MaterialTheme.typography.titleLarge)
    Text(
        when (val s = state) {
            CaptureState.Empty -> "Waiting for the signature"
            CaptureState.Drawing -> "Signing…"
            is CaptureState.Paused -> "Paused ${s.idleMs} ms"
            CaptureState.Complete -> "Signature complete"
        },
    )
    val current = capture
    val padModifier = Modifier.fillMaxWidth().height(220.dp).onSizeChanged { size ->
        if (capture == null) {
            capture = runCatching { SignatureCapture(Pad(size.width.toUInt(), size.height.toUInt(), dpi.toUInt())) }
                .onFailure { model.message = "The pad is unusable: ${it.message}" }
                .getOrNull()
        }
    }
    if (current != null) {
        SignaturePad(current, strokes, onInput = { failure -> failure?.let { model.message = it.message } }, modifier = padModifier)
    } else {
        Surface(padModifier) {}
    }
    Row(horizontalArrangement = Arrangement.spacedBy(8.dp)) {
        OutlinedButton(onClick = { if (current?.undo() == true) strokes.removeLastOrNull() }, enabled = current != null) { Text("Undo") }
        OutlinedButton(onClick = { current?.clear(); strokes.clear() }, enabled = current != null) { Text("Clear") }
        Button(onClick = { current?.let { c -> runCatching { c.finish() }.onSuccess(onSigned).onFailure { model.message = it.message } } }, enabled = state == CaptureState.Complete) {
            Text("Done")
        }
    }
}

@Composable
private fun Deliver(model: DemoViewModel, onIssue: (Delivery?) -> Unit) {
    val kinds = listOf("SMS", "MMS", "E-mail", "Pull (portal)", "No e-receipt")
    var kind by remember { mutableStateOf(kinds[0]) }
    var contact by remember { mutableStateOf("") }
    Text("How does the customer want the receipt?", style = MaterialTheme.typography.titleLarge)
    kinds.forEach { k ->
        Row(Modifier.selectable(selected = kind == k, onClick = { kind = k })) {
            RadioButton(selected = kind == k, onClick = { kind = k })
            Text(k, Modifier.padding(top = 12.dp))
        }
    }
    if (kind != kinds[4]) {
        OutlinedTextField(
            contact, { contact = it },
            label = { Text(if (kind == "E-mail") "E-mail address" else "Phone number (+86…)") },
            keyboardOptions = KeyboardOptions(keyboardType = if (kind == "E-mail") KeyboardType.Email else KeyboardType.Phone),
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
private fun Receipt(model: DemoViewModel, png: ByteArray, receiptId: String) {
    val bitmap = remember(png) { BitmapFactory.decodeByteArray(png, 0, png.size)?.asImageBitmap() }
    Text("Receipt $receiptId", style = MaterialTheme.typography.titleMedium)
    bitmap?.let { Image(it, contentDescription = "the issued receipt", contentScale = ContentScale.FillWidth, modifier = Modifier.fillMaxWidth()) }
    OutboxPanel(model)
}

@Composable
private fun OutboxPanel(model: DemoViewModel) {
    LaunchedEffect(Unit) {
        while (true) {
            model.refresh()
            delay(2_000)
        }
    }
    model.status?.let { s ->
        Text("Outbox: ${s.pending} waiting (${s.pendingBytes} bytes), ${s.dead} rejected")
        s.oldestPendingAgeS?.let { Text("Oldest waiting for $it s") }
        s.lastError?.let { Text("Last error: $it", color = MaterialTheme.colorScheme.error) }
    }
    Button(onClick = { model.flush() }, enabled = !model.busy) { Text("Upload now") }
}
