package org.ereceipt.demo

import android.content.Context
import android.content.pm.PackageManager
import android.os.Build
import android.security.keystore.KeyGenParameterSpec
import android.security.keystore.KeyProperties
import android.security.keystore.StrongBoxUnavailableException
import java.security.GeneralSecurityException
import java.security.KeyPairGenerator
import java.security.KeyStore
import java.security.Signature
import java.security.interfaces.ECPublicKey
import java.security.spec.ECGenParameterSpec
import org.ereceipt.sdk.EReceiptException
import org.ereceipt.sdk.Signer
import org.ereceipt.sdk.derToFixedSignature

/**
 * The terminal's ES256 key in the Android Keystore, in StrongBox (a separate secure chip) when
 * the device has one. The private key never leaves the hardware; the SDK only asks for
 * signatures and the public key. Created on first use under [alias].
 */
class KeystoreSigner(context: Context, private val alias: String = "ereceipt-terminal") : Signer {

    private val keyStore: KeyStore = KeyStore.getInstance(ANDROID_KEYSTORE).apply { load(null) }

    /** Whether the key was made in StrongBox; null for a key made by an earlier run. */
    val strongBox: Boolean? =
        if (keyStore.containsAlias(alias)) null else create(context)

    /** Makes the key, in StrongBox when the device has it; returns whether it did. */
    private fun create(context: Context): Boolean {
        val hasStrongBox = Build.VERSION.SDK_INT >= Build.VERSION_CODES.P &&
            context.packageManager.hasSystemFeature(PackageManager.FEATURE_STRONGBOX_KEYSTORE)
        if (hasStrongBox) {
            try {
                generate(strongBox = true)
                return true
            } catch (e: StrongBoxUnavailableException) {
                // Advertised but busy or unable to hold this key: the TEE-backed keystore is next best.
            }
        }
        generate(strongBox = false)
        return false
    }

    private fun generate(strongBox: Boolean) {
        val spec = KeyGenParameterSpec.Builder(alias, KeyProperties.PURPOSE_SIGN)
            .setAlgorithmParameterSpec(ECGenParameterSpec("secp256r1"))
            .setDigests(KeyProperties.DIGEST_SHA256)
            .apply { if (strongBox && Build.VERSION.SDK_INT >= Build.VERSION_CODES.P) setIsStrongBoxBacked(true) }
            .build()
        KeyPairGenerator.getInstance(KeyProperties.KEY_ALGORITHM_EC, ANDROID_KEYSTORE).run {
            initialize(spec)
            generateKeyPair()
        }
    }

    /** SHA256withECDSA in the Keystore, converted from DER to the fixed r‖s form the SDK wants. */
    override fun sign(message: ByteArray): ByteArray = keystore("sign") {
        val key = (keyStore.getEntry(alias, null) as KeyStore.PrivateKeyEntry).privateKey
        val der = Signature.getInstance("SHA256withECDSA").run {
            initSign(key)
            update(message)
            sign()
        }
        derToFixedSignature(der)
    }

    override fun publicKey(): ByteArray = keystore("public key") {
        ReceiptFlow.uncompressedPoint(keyStore.getCertificate(alias).publicKey as ECPublicKey)
    }

    /** Keystore failures (locked, busy, key gone) as the SDK's signer error, without key data. */
    private inline fun <T> keystore(what: String, body: () -> T): T =
        try {
            body()
        } catch (e: GeneralSecurityException) {
            throw EReceiptException.SignerFailed("Android Keystore $what failed: ${e.javaClass.simpleName}")
        } catch (e: ClassCastException) {
            throw EReceiptException.SignerFailed("Android Keystore $what: the key under '$alias' is not an EC key")
        }

    private companion object {
        const val ANDROID_KEYSTORE = "AndroidKeyStore"
    }
}
