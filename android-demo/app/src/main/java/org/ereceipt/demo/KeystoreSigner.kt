package org.ereceipt.demo

import android.content.Context
import android.content.pm.PackageManager
import android.os.Build
import android.security.keystore.KeyGenParameterSpec
import android.security.keystore.KeyInfo
import android.security.keystore.KeyProperties
import android.security.keystore.StrongBoxUnavailableException
import androidx.annotation.RequiresApi
import java.security.KeyFactory
import java.security.KeyPairGenerator
import java.security.KeyStore
import java.security.PrivateKey
import java.security.interfaces.ECPublicKey
import java.security.spec.ECGenParameterSpec
import org.ereceipt.sdk.Signer

/**
 * The terminal's ES256 key in the Android Keystore, in StrongBox (a separate secure chip) when
 * the device has one: the private key never leaves the hardware, the SDK only asks for
 * signatures and the public key. Made on first use under [ALIAS]; signing is [JcaSigner]'s.
 *
 * No user authentication is required to use the key: a till signs receipts all day. A terminal
 * enrolled with this key must always be opened with it (the SDK checks).
 */
class KeystoreSigner private constructor(signer: JcaSigner, val location: String) : Signer by signer {

    companion object {
        private const val ANDROID_KEYSTORE = "AndroidKeyStore"
        private const val ALIAS = "ereceipt-terminal"

        /** Opens the terminal key, making it first if needed. Blocking: call it off the main thread. */
        fun open(context: Context): KeystoreSigner {
            val keyStore = KeyStore.getInstance(ANDROID_KEYSTORE).apply { load(null) }
            if (!keyStore.containsAlias(ALIAS)) generate(context)
            val privateKey = keyStore.getKey(ALIAS, null) as PrivateKey
            val publicKey = keyStore.getCertificate(ALIAS).publicKey as ECPublicKey
            return KeystoreSigner(JcaSigner(privateKey, publicKey), location(privateKey))
        }

        private fun generate(context: Context) {
            if (Build.VERSION.SDK_INT >= Build.VERSION_CODES.P &&
                context.packageManager.hasSystemFeature(PackageManager.FEATURE_STRONGBOX_KEYSTORE) &&
                generateInStrongBox()
            ) {
                return
            }
            generate(spec().build())
        }

        /** Returns false when StrongBox, although advertised, cannot make this key now. */
        @RequiresApi(Build.VERSION_CODES.P)
        private fun generateInStrongBox(): Boolean =
            try {
                generate(spec().setIsStrongBoxBacked(true).build())
                true
            } catch (e: StrongBoxUnavailableException) {
                false
            }

        private fun spec() = KeyGenParameterSpec.Builder(ALIAS, KeyProperties.PURPOSE_SIGN)
            .setAlgorithmParameterSpec(ECGenParameterSpec("secp256r1"))
            .setDigests(KeyProperties.DIGEST_SHA256)

        private fun generate(spec: KeyGenParameterSpec) {
            KeyPairGenerator.getInstance(KeyProperties.KEY_ALGORITHM_EC, ANDROID_KEYSTORE).run {
                initialize(spec)
                generateKeyPair()
            }
        }

        /** Where the key lives, for the screen: StrongBox, TEE or software. */
        @Suppress("DEPRECATION") // isInsideSecureHardware, the only answer before API 31.
        private fun location(key: PrivateKey): String {
            val info = KeyFactory.getInstance(key.algorithm, ANDROID_KEYSTORE).getKeySpec(key, KeyInfo::class.java)
            return if (Build.VERSION.SDK_INT >= Build.VERSION_CODES.S) {
                when (info.securityLevel) {
                    KeyProperties.SECURITY_LEVEL_STRONGBOX -> "StrongBox"
                    KeyProperties.SECURITY_LEVEL_TRUSTED_ENVIRONMENT -> "TEE"
                    KeyProperties.SECURITY_LEVEL_SOFTWARE -> "software"
                    else -> "unknown"
                }
            } else {
                if (info.isInsideSecureHardware) "secure hardware" else "software"
            }
        }
    }
}
