//! Canonical JSON and the catalog fingerprint.
//!
//! Canonical JSON is the catalog serialized with object keys sorted
//! (byte-wise), no insignificant whitespace, and serde_json's string
//! escaping. Products are already sorted by id and maps are ordered, so the
//! text depends only on the catalog's content, never on the order keys were
//! written in the TOML file. The fingerprint is `sha256:` followed by the
//! lower-case hex SHA-256 of the canonical JSON of the content *without* the
//! `fingerprint` field.

use super::{CatalogError, CatalogSpec};
use serde::Serialize;
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::fmt::Write;

/// Canonical JSON text of any serializable value.
pub(crate) fn canonical_json<T: Serialize>(value: &T) -> Result<String, CatalogError> {
    let value = serde_json::to_value(value)
        .map_err(|e| CatalogError::new(vec![super::Diagnostic::message_only(e.to_string())]))?;
    let mut out = String::new();
    write_canonical(&value, &mut out);
    Ok(out)
}

fn write_canonical(value: &Value, out: &mut String) {
    match value {
        Value::Object(map) => {
            let mut entries: Vec<_> = map.iter().collect();
            entries.sort_by(|a, b| a.0.cmp(b.0));
            out.push('{');
            for (i, (key, item)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String(key.clone()).to_string());
                out.push(':');
                write_canonical(item, out);
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_canonical(item, out);
            }
            out.push(']');
        }
        scalar => out.push_str(&scalar.to_string()),
    }
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
        assert!(text.starts_with(r#"{"decimals":0,"id":"test","#), "{text}");
    }
}
