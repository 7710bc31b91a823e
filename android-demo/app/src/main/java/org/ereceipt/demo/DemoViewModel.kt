package org.ereceipt.demo

import android.app.Application
import android.net.ConnectivityManager
import android.net.Network
import androidx.compose.runtime.getValue
import androidx.compose.runtime.mutableStateOf
import androidx.compose.runtime.setValue
import androidx.lifecycle.AndroidViewModel
import androidx.lifecycle.viewModelScope
import java.io.File
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.launch
import kotlinx.coroutines.withContext
import org.ereceipt.sdk.Delivery
import org.ereceipt.sdk.EReceiptException
import org.ereceipt.sdk.EReceiptSdk
import org.ereceipt.sdk.HandwrittenSignature
import org.ereceipt.sdk.IssuedReceipt
import org.ereceipt.sdk.OutboxStatus
import org.ereceipt.sdk.SdkConfig
import org.ereceipt.sdk.TerminalInfo
import org.ereceipt.sdk.installFontPack

/** The font pack file in the SDK's AAR assets. */
private const val FONT_PACK = "ereceipt-mono-24.erfp"

/**
 * Holds the SDK for the app's lifetime: one terminal directory in no-backup storage (a restored
 * backup must never bring back an old chain state), the Keystore signer, the background
 * uploader, and a connectivity callback that wakes it when the network returns.
 */
class DemoViewModel(app: Application) : AndroidViewModel(app) {

    private val storage = File(app.noBackupFilesDir, "ereceipt-terminal")
    private val signer by lazy { KeystoreSigner(app) }
    private var sdk: EReceiptSdk? = null

    var flow: ReceiptFlow? by mutableStateOf(null)
        private set
    var terminal: TerminalInfo? by mutableStateOf(null)
        private set
    var status: OutboxStatus? by mutableStateOf(null)
        private set
    var receipt: IssuedReceipt? by mutableStateOf(null)
        private set
    var message: String? by mutableStateOf(null)
    var busy: Boolean by mutableStateOf(false)
        private set

    private val network = object : ConnectivityManager.NetworkCallback() {
        override fun onAvailable(network: Network) {
            runCatching { sdk?.networkAvailable() }
        }
    }

    init {
        // The phone library does not embed the receipt font: install the copy the AAR ships in
        // its assets before anything is issued.
        runCatching { installFontPack(app.assets.open(FONT_PACK).use { it.readBytes() }) }
            .onFailure { message = "The receipt font could not be installed: ${it.message}" }
        app.getSystemService(ConnectivityManager::class.java)?.registerDefaultNetworkCallback(network)
        if (storage.list()?.isNotEmpty() == true) {
            act { openSdk(platformUrl = null) }
        }
    }

    /** (Re)creates the SDK; an enrolled terminal keeps the platform URL it enrolled with. */
    private fun openSdk(platformUrl: String?) {
        sdk?.close()
        val created = EReceiptSdk(SdkConfig(storageDir = storage.path, platformUrl = platformUrl), signer)
        sdk = created
        flow = ReceiptFlow(created)
        terminal = created.terminalInfo()
        if (created.isEnrolled()) created.startAutoFlush()
        status = created.terminalInfo()?.let { created.outboxStatus() }
    }

    fun enroll(platformUrl: String, token: String, terminalId: String) = act {
        openSdk(platformUrl)
        terminal = flow?.enroll(token.trim(), terminalId.trim())
        sdk?.startAutoFlush()
        refresh()
    }

    fun issue(amountMinor: ULong, currency: String, card: ReceiptFlow.CardRead, signature: HandwrittenSignature?, delivery: Delivery?) = act {
        receipt = flow?.issueSale(amountMinor, currency, card, signature, delivery)
        sdk?.networkAvailable()
        refresh()
    }

    fun flush() = act {
        val report = flow?.flush()
        refresh()
        message = report?.let { "Uploaded ${it.stored + it.duplicates}, ${it.remaining} waiting" }
    }

    fun refresh() {
        status = runCatching { flow?.outboxStatus() }.getOrNull()
    }

    fun newSale() {
        receipt = null
    }

    /** Runs an SDK call off the main thread, turning its errors into a message. */
    private fun act(block: suspend () -> Unit) {
        viewModelScope.launch {
            busy = true
            try {
                withContext(Dispatchers.IO) { block() }
            } catch (e: EReceiptException) {
                message = ReceiptFlow.describe(e)
            } finally {
                busy = false
            }
        }
    }

    override fun onCleared() {
        getApplication<Application>().getSystemService(ConnectivityManager::class.java)?.unregisterNetworkCallback(network)
        sdk?.close()
    }
}
