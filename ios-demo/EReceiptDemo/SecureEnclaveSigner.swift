import CryptoKit
import EReceipt
import Foundation
import Security

/// The terminal's ES256 key in the Secure Enclave: the private key never leaves it; the SDK
/// only asks for signatures and the public key. The key's opaque handle
/// (`dataRepresentation`, usable only by this device's enclave) is kept in the Keychain,
/// this device only, available after the first unlock (a till runs all day).
///
/// The simulator has no Secure Enclave: there the demo falls back to a software P-256 key in the
/// Keychain and says so (`isHardwareBacked`). Never ship that fallback.
final class SecureEnclaveSigner: Signer, @unchecked Sendable {
    private enum Key {
        case enclave(SecureEnclave.P256.Signing.PrivateKey)
        case software(P256.Signing.PrivateKey)
    }

    private let key: Key
    var isHardwareBacked: Bool {
        if case .enclave = key { return true }
        return false
    }

    init(tag: String = "org.ereceipt.demo.terminal-key") throws {
        if SecureEnclave.isAvailable {
            let stored = try Self.load(tag: tag)
            let key = try stored.map { try SecureEnclave.P256.Signing.PrivateKey(dataRepresentation: $0) }
                ?? SecureEnclave.P256.Signing.PrivateKey()
            if stored == nil { try Self.store(key.dataRepresentation, tag: tag) }
            self.key = .enclave(key)
        } else {
            let stored = try Self.load(tag: tag)
            let key = try stored.map { try P256.Signing.PrivateKey(rawRepresentation: $0) } ?? P256.Signing.PrivateKey()
            if stored == nil { try Self.store(key.rawRepresentation, tag: tag) }
            self.key = .software(key)
        }
    }

    /// ECDSA P-256 over SHA-256 of `message` (CryptoKit hashes it), as the fixed 64-byte r‖s
    /// the SDK expects (`rawRepresentation`; no DER conversion needed here).
    func sign(message: Data) throws -> Data {
        do {
            switch key {
            case let .enclave(k): return try k.signature(for: message).rawRepresentation
            case let .software(k): return try k.signature(for: message).rawRepresentation
            }
        } catch {
            throw EReceiptError.SignerFailed(reason: "Secure Enclave signing failed: \(type(of: error))")
        }
    }

    /// The uncompressed SEC1 point (0x04 ‖ x ‖ y), 65 bytes.
    func publicKey() throws -> Data {
        switch key {
        case let .enclave(k): return k.publicKey.x963Representation
        case let .software(k): return k.publicKey.x963Representation
        }
    }

    private static func query(_ tag: String) -> [String: Any] {
        [kSecClass as String: kSecClassGenericPassword,
         kSecAttrService as String: "org.ereceipt.demo",
         kSecAttrAccount as String: tag]
    }

    private static func load(tag: String) throws -> Data? {
        var query = query(tag)
        query[kSecReturnData as String] = true
        var item: CFTypeRef?
        switch SecItemCopyMatching(query as CFDictionary, &item) {
        case errSecSuccess: return item as? Data
        case errSecItemNotFound: return nil
        case let status: throw EReceiptError.SignerFailed(reason: "Keychain read failed (\(status))")
        }
    }

    private static func store(_ data: Data, tag: String) throws {
        var item = query(tag)
        item[kSecValueData as String] = data
        item[kSecAttrAccessible as String] = kSecAttrAccessibleAfterFirstUnlockThisDeviceOnly
        let status = SecItemAdd(item as CFDictionary, nil)
        guard status == errSecSuccess else {
            throw EReceiptError.SignerFailed(reason: "Keychain write failed (\(status))")
        }
    }
}
