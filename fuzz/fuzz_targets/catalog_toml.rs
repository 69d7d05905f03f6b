//! The TOML catalog reader and validator.
//!
//! Oracle: no panic, no hang, no memory blow-up; a refusal is
//! `invalid_catalog`; an accepted catalog round-trips: its canonical JSON
//! reads back as the same catalog (same fingerprint) and writes the same
//! bytes again.
#![no_main]

use genprice::{Catalog, ErrorCode};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match Catalog::from_toml(text, "fuzz.toml") {
        Ok(catalog) => {
            let canonical = catalog.to_canonical_json().expect("a built catalog writes");
            let again = Catalog::from_json_str(&canonical).expect("canonical JSON reads back");
            assert_eq!(again.fingerprint(), catalog.fingerprint());
            assert_eq!(again.spec(), catalog.spec());
            let twice = again.to_canonical_json().expect("a built catalog writes");
            assert_eq!(twice, canonical, "canonical JSON is not a fixed point");
        }
        Err(e) => assert_eq!(e.code(), ErrorCode::InvalidCatalog, "{e}"),
    }
});
