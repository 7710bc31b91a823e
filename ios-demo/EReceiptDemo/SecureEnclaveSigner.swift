import CryptoKit
import EReceipt
import Foundation
import Security

/// The terminal's ES256 key in the Secure Enclave: the private key never leaves it, the SDK
/// only asks for signatures and the public key. What the Keychain keeps is the key's
/// `dataRepresentation`, an opaque handle only this device's enclave can use (this device only,
/// available after the first unlock: a till signs all day).
///
/// What the SDK expects (`bindings/src/signer.rs`): `sign` gets the message itself and hashes
/// it with SHA-256 as part of signing, which `signature(for:)` does, and returns the fixed
/// 64-byte `r ‖ s`, which is CryptoKit's `rawRepresentation` (not `derRepresentation`).
/// `publicKey` is the 65-byte uncompressed point, `x963Representation`.
///
/// The simulator has no Secure Enclave: there a software P-256 key stands in, kept in the
/// Keychain, and `isHardwareBacked` is false. Never ship that fallback.
final class SecureEnclaveSigner: Signer, @unchecked Sendable {
    // @unchecked: the one stored property is immutable and CryptoKit keys are immutable values.
    private enum Key {
        case enclave(SecureEnclave.P256.Signing.PrivateKey)
        case software(P256.Signing.PrivateKey)
    }

    private let key: Key

    var isHardwareBacked: Bool {
        if case .enclave = key { return true }
        return false
    }

    /// Opens the terminal key, making it first if needed. Blocking (the Keychain, the enclave):
    /// call it off the main actor.
    init() throws {
        if SecureEnclave.isAvailable {
            if let handle = try Self.load(account: "terminal-key.secure-enclave") {
                key = .enclave(try SecureEnclave.P256.Signing.PrivateKey(dataRepresentation: handle))
            } else {
                var error: Unmanaged<CFError>?
                guard let access = SecAccessControlCreateWithFlags(
                    nil, kSecAttrAccessibleAfterFirstUnlockThisDeviceOnly, .privateKeyUsage, &error)
                else { throw EReceiptError.SignerFailed(reason: "access control: \(String(describing: error?.takeRetainedValue()))") }
                let made = try SecureEnclave.P256.Signing.PrivateKey(accessControl: access)
                try Self.store(made.dataRepresentation, account: "terminal-key.secure-enclave")
                key = .enclave(made)
            }
        } else if let raw = try Self.load(account: "terminal-key.software") {
            key = .software(try P256.Signing.PrivateKey(rawRepresentation: raw))
        } else {
            let made = P256.Signing.PrivateKey()
            try Self.store(made.rawRepresentation, account: "terminal-key.software")
            key = .software(made)
        }
    }

    func sign(message: Data) throws -> Data {
        do {
            switch key {
            case let .enclave(k): return try k.signature(for: message).rawRepresentation
            case let .software(k): return try k.signature(for: message).rawRepresentation
            }
        } catch {
            // While issuing, the SDK then issues the receipt unsigned and says so.
            throw EReceiptError.SignerFailed(reason: "signing failed: \(type(of: error))")
        }
    }

    func publicKey() throws -> Data {
        switch key {
        case let .enclave(k): return k.publicKey.x963Representation
        case let .software(k): return k.publicKey.x963Representation
        }
    }

    private static func query(_ account: String) -> [String: Any] {
        [kSecClass as String: kSecClassGenericPassword,
         kSecAttrService as String: "org.ereceipt.demo",
         kSecAttrAccount as String: account]
    }

    private static func load(account: String) throws -> Data? {
        var query = query(account)
        query[kSecReturnData as String] = true
        var item: CFTypeRef?
        switch SecItemCopyMatching(query as CFDictionary, &item) {
        case errSecSuccess: return item as? Data
        case errSecItemNotFound: return nil
        case let status: throw EReceiptError.SignerFailed(reason: "Keychain read failed (OSStatus \(status))")
        }
    }

    private static func store(_ data: Data, account: String) throws {
        var item = query(account)
        item[kSecValueData as String] = data
        item[kSecAttrAccessible as String] = kSecAttrAccessibleAfterFirstUnlockThisDeviceOnly
        let status = SecItemAdd(item as CFDictionary, nil)
        guard status == errSecSuccess else {
            throw EReceiptError.SignerFailed(reason: "Keychain write failed (OSStatus \(status))")
        }
    }
}
