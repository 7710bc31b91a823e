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
import kotlinx.coroutines.CancellationException
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

/**
 * Holds the SDK for the app's lifetime: one terminal directory in no-backup storage (a restored
 * backup must never bring back an old receipt chain), the Keystore signer, the background
 * uploader, and a network callback that wakes the uploader when the network returns. Every SDK
 * call runs on [Dispatchers.IO]; the screens read the state below.
 */
class DemoViewModel(app: Application) : AndroidViewModel(app) {

    private val storage = File(app.noBackupFilesDir, "ereceipt-terminal")
    private var signer: KeystoreSigner? = null
    private var sdk: EReceiptSdk? = null

    var flow: ReceiptFlow? by mutableStateOf(null)
        private set
    var terminal: TerminalInfo? by mutableStateOf(null)
        private set
    var keyLocation: String? by mutableStateOf(null)
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
        app.getSystemService(ConnectivityManager::class.java)?.registerDefaultNetworkCallback(network)
        act {
            // The phone library does not embed the receipt font: install the copy the AAR
            // ships in its assets, once, before anything is issued.
            installFontPack(app.assets.open(FONT_PACK).use { it.readBytes() })
            if (storage.list()?.isNotEmpty() == true) openSdk(platformUrl = null)
        }
    }

    /** (Re)creates the SDK; an enrolled terminal keeps the platform URL it enrolled with. */
    private fun openSdk(platformUrl: String?) {
        val key = signer ?: KeystoreSigner.open(getApplication<Application>()).also { signer = it }
        keyLocation = key.location
        sdk?.close()
        val opened = EReceiptSdk(SdkConfig(storageDir = storage.path, platformUrl = platformUrl), key)
        sdk = opened
        flow = ReceiptFlow(opened)
        terminal = opened.terminalInfo()
        if (opened.isEnrolled()) opened.startAutoFlush()
        status = terminal?.let { opened.outboxStatus() }
    }

    fun enroll(platformUrl: String, token: String, terminalId: String) = act {
        openSdk(platformUrl.trim())
        terminal = flow?.enroll(token, terminalId)
        sdk?.startAutoFlush()
        status = flow?.outboxStatus()
    }

    fun issue(amountMinor: ULong, currency: String, card: ReceiptFlow.CardRead, signature: HandwrittenSignature?, delivery: Delivery?) = act {
        // The SDK wakes its background uploader itself after each receipt.
        receipt = flow?.issueSale(amountMinor, currency, card, signature, delivery)
        status = flow?.outboxStatus()
    }

    fun flush() = act {
        val report = flow?.flush() ?: return@act
        status = flow?.outboxStatus()
        message = report.stoppedBy?.let { "Upload stopped, ${report.remaining} kept for later: $it" }
            ?: "Uploaded ${report.stored + report.duplicates}, ${report.deadLettered} rejected, ${report.remaining} waiting"
    }

    fun refresh() = act(quiet = true) {
        status = flow?.outboxStatus()
    }

    fun newSale() {
        receipt = null
    }

    /** Runs SDK calls off the main thread; an SDK error becomes the message on screen. */
    private fun act(quiet: Boolean = false, block: suspend () -> Unit) {
        viewModelScope.launch {
            if (!quiet) busy = true
            try {
                withContext(Dispatchers.IO) { block() }
            } catch (e: EReceiptException) {
                message = ReceiptFlow.describe(e)
            } catch (e: CancellationException) {
                throw e
            } catch (e: Exception) {
                // The font asset or the Android Keystore failed; the type says which.
                message = "Failed: ${e.javaClass.simpleName}"
            } finally {
                if (!quiet) busy = false
            }
        }
    }

    override fun onCleared() {
        getApplication<Application>().getSystemService(ConnectivityManager::class.java)?.unregisterNetworkCallback(network)
        // Stops the background uploader and closes the database.
        sdk?.close()
    }

    private companion object {
        /** The font pack in the SDK's AAR assets (`bindings/scripts/build-android.sh`). */
        const val FONT_PACK = "ereceipt-mono-24.erfp"
    }
}
