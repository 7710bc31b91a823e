package org.ereceipt.demo

import java.math.BigInteger
import java.security.GeneralSecurityException
import java.security.PrivateKey
import java.security.ProviderException
import java.security.Signature
import java.security.interfaces.ECPublicKey
import org.ereceipt.sdk.EReceiptException
import org.ereceipt.sdk.Signer
import org.ereceipt.sdk.derToFixedSignature

/**
 * The SDK's [Signer] over a P-256 key of the Java Cryptography Architecture, in plain Kotlin
 * (no `android.*`): the app gives it an Android Keystore key ([KeystoreSigner]),
 * `scripts/check-jvm.sh` a software key, so the check runs the very code the app signs with.
 *
 * What the SDK expects (`bindings/src/signer.rs`): `sign` gets the message itself and hashes
 * it with SHA-256 as part of signing (`SHA256withECDSA`, as the Keystore key was made with
 * `DIGEST_SHA256`), and returns the fixed 64-byte `r ‖ s`; Java gives ASN.1 DER, which the
 * SDK's own `derToFixedSignature` converts. `publicKey` is the 65-byte uncompressed point.
 */
class JcaSigner(private val privateKey: PrivateKey, publicKey: ECPublicKey) : Signer {

    private val point: ByteArray = uncompressedPoint(publicKey)

    override fun sign(message: ByteArray): ByteArray {
        val der = keyOperation("sign") {
            Signature.getInstance("SHA256withECDSA").run {
                initSign(privateKey)
                update(message)
                sign()
            }
        }
        return derToFixedSignature(der)
    }

    override fun publicKey(): ByteArray = point.copyOf()

    /**
     * Key store failures (locked, busy, the key invalidated) as the SDK's signer error, naming
     * the exception's type only. While issuing, the SDK then issues the receipt unsigned and
     * says so; while enrolling, enrollment fails.
     */
    private inline fun <T> keyOperation(what: String, body: () -> T): T =
        try {
            body()
        } catch (e: GeneralSecurityException) {
            throw EReceiptException.SignerFailed("$what: ${e.javaClass.simpleName}")
        } catch (e: ProviderException) {
            // Android Keystore reports some failures (StrongBox busy, for one) as this
            // unchecked exception.
            throw EReceiptException.SignerFailed("$what: ${e.javaClass.simpleName}")
        }

    companion object {
        /** `0x04 ‖ x ‖ y`, each coordinate big-endian and left-padded to 32 bytes. */
        fun uncompressedPoint(key: ECPublicKey): ByteArray {
            fun coordinate(v: BigInteger): ByteArray {
                val bytes = v.toByteArray().dropWhile { it == 0.toByte() }.toByteArray()
                require(bytes.size <= 32) { "not a P-256 public key" }
                return ByteArray(32 - bytes.size) + bytes
            }
            return byteArrayOf(0x04) + coordinate(key.w.affineX) + coordinate(key.w.affineY)
        }
    }
}
