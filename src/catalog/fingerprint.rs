//! Canonical JSON and the catalog fingerprint.
//!
//! Canonical JSON is the catalog serialized with object keys sorted
//! (byte-wise), no insignificant whitespace, and serde_json's string
//! escaping. Numbers are integers (a catalog has no floats; canonical JSON
//! refuses them rather than pick a float format). Products are already sorted by id and maps are ordered, so the
//! text depends only on the catalog's content, never on the order keys were
//! written in the TOML file. The fingerprint is `sha256:` followed by the
//! lower-case hex SHA-256 of the canonical JSON of the content *without* the
//! `fingerprint` field.

use super::{CatalogError, CatalogSpec};
use serde::Serialize;
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::fmt::Write;

/// Canonical JSON text of any serializable value whose numbers are all
/// integers.
pub(crate) fn canonical_json<T: Serialize>(value: &T) -> Result<String, CatalogError> {
    canonical_json_with(value, None)
}

/// Canonical JSON text of `value`, an object, with a `fingerprint` key
/// added when one is given: a catalog's text from its content, so the wasm
/// carries one `Serialize` of the content, not a second, flattened one
/// (~490 bytes gzipped).
pub(crate) fn canonical_json_with<T: Serialize>(
    value: &T,
    fingerprint: Option<&str>,
) -> Result<String, CatalogError> {
    let fail = |message: String| CatalogError::new(vec![super::Diagnostic::message_only(message)]);
    // The catalog's types always serialize (string keys); the message of a
    // failure is fixed so serde_json's error formatter stays out of the
    // browser build.
    let mut value = serde_json::to_value(value)
        .map_err(|_| fail("the catalog cannot be written as JSON".into()))?;
    if let (Some(fingerprint), Value::Object(map)) = (fingerprint, &mut value) {
        map.insert("fingerprint".into(), fingerprint.into());
    }
    let mut out = String::new();
    write_canonical(&value, &mut out)
        .map_err(|()| fail("canonical JSON has integers only, found a float".into()))?;
    Ok(out)
}

fn write_canonical(value: &Value, out: &mut String) -> Result<(), ()> {
    match value {
        Value::Object(map) => {
            // serde_json's map (without `preserve_order`) is sorted by key.
            out.push('{');
            for (i, (key, item)) in map.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_string(key, out);
                out.push(':');
                write_canonical(item, out)?;
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_canonical(item, out)?;
            }
            out.push(']');
        }
        Value::String(s) => write_string(s, out),
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => match (n.as_u64(), n.as_i64()) {
            (Some(u), _) => out.push_str(&u.to_string()),
            (None, Some(i)) => out.push_str(&i.to_string()),
            (None, None) => return Err(()),
        },
    }
    Ok(())
}

/// The FNV-1a (64-bit) hash of the canonical JSON text of `value` (`None`
/// when it has none: a float): what a build compiles in to know its
/// bundled catalog again without validating or fingerprinting it (see
/// [`Catalog::from_json_value_known`](super::Catalog::from_json_value_known)).
pub fn canonical_fnv1a(value: &Value) -> Option<u64> {
    let mut text = String::new();
    write_canonical(value, &mut text).ok()?;
    Some(text.bytes().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
    }))
}

/// `text` as a JSON string, with serde_json's escaping.
fn write_string(text: &str, out: &mut String) {
    out.push_str(&serde_json::to_string(text).unwrap_or_default());
}

/// `sha256:<hex>` of the canonical JSON of `spec`.
pub(crate) fn fingerprint(spec: &CatalogSpec) -> Result<String, CatalogError> {
    let text = canonical_json(spec)?;
    let digest = Sha256::digest(text.as_bytes());
    let mut hex = String::with_capacity(7 + 64);
    hex.push_str("sha256:");
    for byte in digest.iter() {
        let _ = write!(hex, "{byte:02x}");
    }
    Ok(hex)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_json_sorts_keys_at_every_level_and_has_no_whitespace() {
        let value: Value = serde_json::from_str(
            r#"{ "b": 1, "a": { "z": [ 1, { "y": 2, "x": "é\n" } ], "c": null } }"#,
        )
        .unwrap();
        let text = canonical_json(&value).unwrap();
        assert_eq!(text, r#"{"a":{"c":null,"z":[1,{"x":"é\n","y":2}]},"b":1}"#);
    }

    #[test]
    fn fingerprint_is_sha256_of_the_canonical_text() {
        let spec = crate::catalog::tests::sample_spec();
        let text = canonical_json(&spec).unwrap();
        let fp = fingerprint(&spec).unwrap();
        assert_eq!(fp.len(), 7 + 64);
        // A different content gives a different fingerprint.
        let mut other = spec.clone();
        other.version = "2".into();
        assert_ne!(fingerprint(&other).unwrap(), fp);
        assert!(
            text.starts_with(r#"{"addons":[],"currency":"USD","decimals":0,"id":"test","#),
            "{text}"
        );
    }

    #[test]
    fn canonical_json_refuses_floats() {
        let value: Value = serde_json::from_str(r#"{"a": [1, -2, 1.5]}"#).unwrap();
        let error = canonical_json(&value).unwrap_err();
        assert_eq!(error.code(), crate::ErrorCode::InvalidCatalog);
        let value: Value = serde_json::from_str(r#"{"a": [1, -2, true, null]}"#).unwrap();
        assert_eq!(canonical_json(&value).unwrap(), r#"{"a":[1,-2,true,null]}"#);
    }
}
