//! The canonical JSON catalog reader, with its fingerprint check.
//!
//! Oracle: no panic, no hang, no memory blow-up; a refusal is
//! `invalid_catalog` or `fingerprint_mismatch`; an accepted catalog
//! round-trips byte for byte (canonical → read → canonical), and the same
//! text with another stated fingerprint is `fingerprint_mismatch`.
#![no_main]

use genprice::{Catalog, ErrorCode};
use libfuzzer_sys::fuzz_target;

/// A well-formed fingerprint that no catalog has.
const WRONG: &str = "sha256:0000000000000000000000000000000000000000000000000000000000000000";

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match Catalog::from_json_str(text) {
        Ok(catalog) => {
            let canonical = catalog.to_canonical_json().expect("a built catalog writes");
            let again = Catalog::from_json_str(&canonical).expect("canonical JSON reads back");
            assert_eq!(again.fingerprint(), catalog.fingerprint());
            assert_eq!(again.spec(), catalog.spec());
            let twice = again.to_canonical_json().expect("a built catalog writes");
            assert_eq!(twice, canonical, "canonical JSON is not a fixed point");
            // The same content stating another fingerprint is refused.
            let mut value: serde_json::Value =
                serde_json::from_str(&canonical).expect("canonical JSON is JSON");
            if let Some(map) = value.as_object_mut() {
                map.insert("fingerprint".into(), WRONG.into());
            }
            let refused = Catalog::from_json_value(value).expect_err("a wrong fingerprint");
            assert_eq!(refused.code(), ErrorCode::FingerprintMismatch, "{refused}");
        }
        Err(e) => assert!(
            matches!(
                e.code(),
                ErrorCode::InvalidCatalog | ErrorCode::FingerprintMismatch
            ),
            "{e}"
        ),
    }
});
