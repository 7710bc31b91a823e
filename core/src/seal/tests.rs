use super::*;
use proptest::prelude::*;
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;

fn keys() -> (PlatformKey, PlatformPrivateKey) {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/data/keys/");
    let private = std::fs::read_to_string(format!("{dir}platform-test-rsa3072.pem")).unwrap();
    let public = std::fs::read_to_string(format!("{dir}platform-test-rsa3072.pub.pem")).unwrap();
    let private = PlatformPrivateKey::from_pem("test-2026-11", &private).unwrap();
    let public = PlatformKey::from_pem("test-2026-11", &public).unwrap();
    (public, private)
}

fn payload() -> ReceiptPayload {
    ReceiptPayload {
        record: b"ereceipt-record/1\n{}".to_vec(),
        signature: Some([7; 64]),
        certificates: vec!["-----BEGIN CERTIFICATE-----\nAA==\n-----END CERTIFICATE-----\n".into()],
        png: vec![0x89, b'P', b'N', b'G', 1, 2, 3],
        strokes: Some(b"ESIG\x01".to_vec()),
        delivery: Some(Delivery::parse("email:Li.Wei@Example.COM").unwrap()),
    }
}

const ID: [u8; 16] = *b"\x0f\x3c\x2a\x9e\x6d\x41\x4b\x7a\x9a\x51\x3e\x2f\x7d\x1c\x8b\x20";

fn vector() -> Vec<u8> {
    let (public, _) = keys();
    seal_with(
        &public,
        "SH000001",
        &ReceiptId::from_bytes(ID),
        &payload(),
        [0x11; 32],
        [0x22; 12],
        &mut ChaCha20Rng::seed_from_u64(1),
    )
    .unwrap()
}

#[test]
fn seal_and_open_round_trip() {
    let (public, private) = keys();
    assert_eq!(public.to_pem(), private.public_key().to_pem());
    let sealed = seal(&public, "SH000001", &ReceiptId::from_bytes(ID), &payload()).unwrap();
    let (header, opened) = open(&private, &sealed).unwrap();
    assert_eq!(header.key_id, "test-2026-11");
    assert_eq!(header.terminal_id, "SH000001");
    assert_eq!(header.receipt_id, ReceiptId::from_bytes(ID));
    assert_eq!(opened, payload());
    assert_eq!(opened.delivery.unwrap().address(), "Li.Wei@example.com");
    let again = seal(&public, "SH000001", &ReceiptId::from_bytes(ID), &payload()).unwrap();
    assert_ne!(again, sealed, "fresh key and nonce each time");
}

#[test]
fn envelope_test_vector() {
    let sealed = vector();
    // Header: magic, version, key id, terminal id, receipt id.
    assert_eq!(&sealed[..5], b"ERSE\x01");
    assert_eq!(&sealed[5..18], b"\x0ctest-2026-11");
    assert_eq!(&sealed[18..27], b"\x08SH000001");
    assert_eq!(&sealed[27..43], &ID);
    assert_eq!(
        &sealed[43..45],
        &384u16.to_be_bytes(),
        "RSA-3072 wraps into 384 bytes"
    );
    assert_eq!(&sealed[429..441], &[0x22; 12]);
    let digest = crate::record::hex(&crate::record::sha256(&[&sealed]));
    assert_eq!(
        digest, "a955c60431712e9e8eb70825de10d1a5d6162f53a5aba34f07b1b58ce0ecd5b6",
        "docs/FORMAT.md's envelope vector changed"
    );
    let (_, private) = keys();
    assert_eq!(open(&private, &sealed).unwrap().1, payload());
}

#[test]
fn typed_errors() {
    let (_, private) = keys();
    let sealed = vector();
    assert_eq!(open(&private, b"GIF8"), Err(SealError::BadMagic));
    let mut v2 = sealed.clone();
    v2[4] = 2;
    assert_eq!(open(&private, &v2), Err(SealError::UnsupportedVersion(2)));
    assert_eq!(open(&private, &sealed[..100]), Err(SealError::Truncated));
    let mut header = sealed.clone();
    header[20] ^= 1; // terminal id byte: authenticated
    assert_eq!(open(&private, &header), Err(SealError::Authentication));
    let mut id = sealed.clone();
    id[30] ^= 1;
    assert_eq!(open(&private, &id), Err(SealError::Authentication));
    let mut wrapped = sealed.clone();
    wrapped[100] ^= 1;
    assert_eq!(open(&private, &wrapped), Err(SealError::Unwrap));
    let mut body = sealed.clone();
    let last = body.len() - 1;
    body[last] ^= 1;
    assert_eq!(open(&private, &body), Err(SealError::Authentication));
    let other = PlatformPrivateKey::from_pem(
        "other",
        &std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../tests/data/keys/platform-test-rsa3072.pem"
        ))
        .unwrap(),
    )
    .unwrap();
    assert_eq!(
        open(&other, &sealed),
        Err(SealError::WrongKey {
            key_id: "test-2026-11".into()
        })
    );
    assert!(PlatformKey::from_pem("bad id!", "x").is_err());
}

#[test]
fn open_with_a_caller_unwrap_equals_open() {
    let (_, private) = keys();
    let sealed = vector();
    // An unwrap that does not go through `open`'s code path: unblinded `rsa` decryption.
    let unwrap = |wrapped: &[u8]| {
        let key = private
            .key
            .decrypt(Oaep::new::<sha2::Sha256>(), wrapped)
            .ok()?;
        <[u8; 32]>::try_from(key.as_slice()).ok()
    };
    assert_eq!(
        open_with(&sealed, "test-2026-11", unwrap),
        open(&private, &sealed)
    );
    assert_eq!(
        open_with(&sealed, "test-2026-11", unwrap).unwrap().1,
        payload()
    );
    assert_eq!(
        open_with(&sealed, "test-2026-11", |_| None),
        Err(SealError::Unwrap)
    );
    assert_eq!(
        open_with(&sealed, "test-2026-11", |_| Some([0x11; 32])).map(|(_, p)| p),
        Ok(payload()),
        "the vector's content key is 32 × 0x11"
    );
    assert_eq!(
        open_with(&sealed, "test-2026-11", |_| Some([0; 32])),
        Err(SealError::Authentication)
    );
    assert_eq!(
        open_with(&sealed, "other", |_| panic!(
            "not called for another key id"
        )),
        Err(SealError::WrongKey {
            key_id: "test-2026-11".into()
        })
    );
}

#[test]
fn delivery_choices_are_validated_and_never_printed() {
    assert_eq!(
        Delivery::parse("sms:+86 138-0013-8000").unwrap().address(),
        "+8613800138000"
    );
    assert!(matches!(
        Delivery::parse("pull:+4915112345678"),
        Ok(Delivery::Pull(_))
    ));
    assert_eq!(
        Delivery::parse("sms:13800138000"),
        Err(DeliveryError::Phone)
    );
    assert_eq!(Delivery::parse("mms:+12"), Err(DeliveryError::Phone));
    assert_eq!(Delivery::parse("email:nobody"), Err(DeliveryError::Email));
    assert_eq!(Delivery::parse("email:a b@c.de"), Err(DeliveryError::Email));
    assert_eq!(Delivery::parse("fax:+4930123456"), Err(DeliveryError::Kind));
    let d = Delivery::parse("email:li.wei@example.com").unwrap();
    assert_eq!(format!("{d:?}"), "Delivery(email, redacted)");
    assert!(!format!("{:?}", payload()).contains("example"));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn any_changed_byte_is_refused(index in 0usize..2000, bit in 0u8..8) {
        let (_, private) = keys();
        let mut sealed = vector();
        let i = index % sealed.len();
        sealed[i] ^= 1 << bit;
        prop_assert!(open(&private, &sealed).is_err());
    }

    #[test]
    fn truncation_is_refused(cut in 0usize..2000) {
        let (_, private) = keys();
        let sealed = vector();
        let cut = cut % sealed.len();
        prop_assert!(open(&private, &sealed[..cut]).is_err());
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
        let _ = read_header(&bytes);
        let mut with_magic = b"ERSE\x01".to_vec();
        with_magic.extend(&bytes);
        let _ = read_header(&with_magic);
        let _ = decode_payload(&bytes);
    }

    #[test]
    fn payloads_round_trip(
        record in proptest::collection::vec(any::<u8>(), 0..300),
        png in proptest::collection::vec(any::<u8>(), 0..300),
        signed in any::<bool>(),
        strokes in proptest::option::of(proptest::collection::vec(any::<u8>(), 0..100)),
    ) {
        let p = ReceiptPayload {
            record, png, strokes,
            signature: signed.then_some([9; 64]),
            certificates: vec!["pem".into(); 2],
            delivery: Some(Delivery::parse("pull:+8613800138000").unwrap()),
        };
        prop_assert_eq!(decode_payload(&encode_payload(&p).unwrap()).unwrap(), p);
    }
}
