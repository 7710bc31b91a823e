//! The UniFFI binding generator, pinned to the `uniffi` version of this crate.
//!
//! `bindings/scripts/generate.sh` runs it in library mode on the built (unstripped) library:
//! `uniffi-bindgen generate --library target/debug/libereceipt_ffi.so --language kotlin ...`.

fn main() {
    uniffi::uniffi_bindgen_main()
}
