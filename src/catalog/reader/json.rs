//! The canonical JSON form as a [`Tree`], and loading a catalog from it.

use super::{Entry, Kind, Tree, describe, read, related};
use crate::catalog::Catalog;
use crate::catalog::validate::{self, CatalogError, Diagnostic, render};
use std::borrow::Cow;
#[cfg(not(feature = "plans"))]
use std::collections::BTreeMap;
use std::ops::Range;

impl Tree for serde_json::Value {
    const JSON: bool = true;

    fn span(&self) -> Range<usize> {
        0..0
    }

    fn kind(&self) -> Kind<'_, Self> {
        use serde_json::Value;
        match self {
            Value::Null => Kind::Null,
            Value::Bool(b) => Kind::Bool(*b),
            Value::String(s) => Kind::Str(s),
            Value::Number(n) => {
                if let Some(u) = n.as_u64() {
                    Kind::Int(Cow::Owned(u.to_string()), 10)
                } else if let Some(i) = n.as_i64() {
                    Kind::Int(Cow::Owned(i.to_string()), 10)
                } else {
                    Kind::Float {
                        negative: n.as_f64().is_some_and(|f| f.is_sign_negative()),
                        text: None,
                    }
                }
            }
            Value::Array(items) => Kind::Array(items),
            Value::Object(map) => Kind::Table(
                map.iter()
                    .map(|(key, value)| Entry {
                        key,
                        key_span: 0..0,
                        value,
                    })
                    .collect(),
            ),
        }
    }

    #[cfg(not(feature = "plans"))]
    fn json(&self) -> Option<serde_json::Value> {
        Some(self.clone())
    }
}

/// Loads a catalog from its canonical JSON form: every structural mistake
/// and every semantic finding, each with its `camelCase` path; then the
/// stated fingerprint, if any, must match the content. `trusted`: the value
/// is a catalog a build validated and fingerprinted (see
/// [`Catalog::from_json_value_trusted`]), so it is only read.
pub(crate) fn load_json(value: &serde_json::Value, trusted: bool) -> Result<Catalog, CatalogError> {
    let Kind::Table(root) = value.kind() else {
        return Err(CatalogError::new(vec![Diagnostic::message_only(format!(
            "a catalog must be an object, found {}",
            describe(&value.kind())
        ))]));
    };
    let read = read::<serde_json::Value>(root, 0..0);
    let mut diagnostics: Vec<Diagnostic> = read
        .problems
        .iter()
        .map(|p| Diagnostic {
            message: p.message.clone(),
            path: (p.prefixed && !p.path.is_empty()).then(|| p.path.clone()),
            location: None,
        })
        .collect();
    if !trusted {
        for finding in validate::validate(&read.spec, true) {
            let path = render(&finding.path, true);
            if read.problems.iter().any(|p| related(&p.path, &path)) {
                continue; // a consequence of a mistake already reported
            }
            diagnostics.push(Diagnostic {
                message: finding.message,
                path: (!path.is_empty()).then_some(path),
                location: None,
            });
        }
    }
    // A build without plans cannot check the commercial sections: it takes
    // them only as a build that checked them wrote them, which the stated
    // fingerprint proves (it covers them).
    #[cfg(not(feature = "plans"))]
    if read.fingerprint.is_none() && !commerce_is_empty(&read.spec.commerce) {
        diagnostics.push(Diagnostic::message_only(
            "this engine does not check plans, packs or add-ons: load the catalog with its \
             `fingerprint`, as `genprice catalog` prints it (or use the full engine, genprice/wallet)"
                .to_string(),
        ));
    }
    if !diagnostics.is_empty() {
        return Err(CatalogError::new(diagnostics));
    }
    // Validated above, with every finding reported: not again. A trusted
    // catalog's stated fingerprint is the build's.
    let known = read.fingerprint.clone().filter(|_| trusted);
    let catalog = Catalog::validated(read.spec, known)?;
    match read.fingerprint {
        Some(stated) if stated != catalog.fingerprint() => Err(CatalogError::fingerprint_mismatch(
            &stated,
            catalog.fingerprint(),
        )),
        _ => Ok(catalog),
    }
}

/// Whether the commercial sections are their defaults: currency USD, no
/// ladders, no plans, packs or add-ons.
#[cfg(not(feature = "plans"))]
fn commerce_is_empty(commerce: &BTreeMap<String, serde_json::Value>) -> bool {
    commerce.iter().all(|(key, value)| match value {
        serde_json::Value::String(s) => key == "currency" && s == "USD",
        serde_json::Value::Array(items) => items.is_empty(),
        serde_json::Value::Object(map) => map.is_empty(),
        _ => false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn errors(value: serde_json::Value) -> Vec<String> {
        match load_json(&value, false) {
            Ok(_) => Vec::new(),
            Err(e) => e.diagnostics().iter().map(|d| d.to_string()).collect(),
        }
    }

    fn good() -> serde_json::Value {
        let catalog = Catalog::new(crate::catalog::tests::sample_spec()).unwrap();
        serde_json::from_str(&catalog.to_canonical_json().unwrap()).unwrap()
    }

    #[test]
    fn json_reports_every_mistake_with_its_path() {
        let mut doc = good();
        doc["products"][0]["price"] = json!(-3);
        doc["products"][1]["colour"] = json!("red");
        doc["products"][1]["defaultResolution"] = json!(7);
        doc["products"][1]["resolutions"]["720p"] = json!(1.5);
        doc["decimals"] = json!("two");
        let found = errors(doc);
        assert_eq!(
            found,
            [
                "decimals: expected a non-negative integer, found string",
                "products[0].price: must not be negative, found -3",
                "unknown key \"colour\" in products[1] (expected one of: id, name, studio, tier, meter, price, per, minimum, quantity, outputs, resolutions, defaultResolution, options)",
                "products[1].resolutions.720p: expected a decimal string like \"1.25\", found number",
                "products[1].defaultResolution: expected a string, found integer",
            ]
        );
    }

    #[test]
    fn json_requires_every_field_but_null_options_are_absent() {
        let mut doc = good();
        doc["products"][0].as_object_mut().unwrap().remove("per");
        assert!(doc["products"][0]["quantity"].is_null());
        let found = errors(doc);
        assert_eq!(found, ["missing key `per` in products[0]"]);
    }

    #[test]
    fn json_semantic_findings_use_camel_case_paths() {
        let mut doc = good();
        doc["products"][1]["defaultResolution"] = json!("4k");
        doc.as_object_mut().unwrap().remove("fingerprint");
        let found = errors(doc);
        assert_eq!(found.len(), 1, "{found:#?}");
        assert!(
            found[0].starts_with("products[1].defaultResolution: default resolution \"4k\""),
            "{}",
            found[0]
        );
    }

    /// Issue 9, item 6: a `decimals` above 255 is reported as written.
    #[test]
    fn json_decimals_too_large_for_the_type_are_reported_as_written() {
        let mut doc = good();
        doc["decimals"] = json!(300);
        assert_eq!(
            errors(doc),
            ["decimals: decimals must be at most 6, found 300"]
        );
    }

    /// Issue 9, item 4: messages do not name `snake_case` fields under a
    /// `camelCase` path.
    #[test]
    fn json_messages_name_fields_as_the_path_does() {
        let mut doc = good();
        doc["products"][1]["resolutions"] = json!({});
        doc.as_object_mut().unwrap().remove("fingerprint");
        let found = errors(doc);
        assert_eq!(
            found,
            [
                "products[1].defaultResolution: a default resolution is set but the product lists no resolutions"
            ]
        );
        assert!(found.iter().all(|m| !m.contains('_')), "{found:?}");
    }

    #[test]
    fn json_reads_the_unit_singular_by_its_camel_case_name() {
        let mut doc = good();
        doc["unitSingular"] = json!(3);
        assert_eq!(
            errors(doc),
            ["unitSingular: expected a string, found integer"]
        );
        let mut doc = good();
        doc["unit_singular"] = json!("credit");
        assert!(errors(doc)[0].starts_with("unknown key \"unit_singular\" at the top level"));
    }

    #[test]
    fn json_that_is_not_an_object_is_refused() {
        assert_eq!(
            errors(json!([1])),
            ["a catalog must be an object, found array"]
        );
    }

    #[test]
    fn wallet_section_errors_carry_camel_case_json_paths() {
        let mut json = good();
        json["wallet"] = serde_json::json!({
            "burnOrder": ["daily", "weekly"],
            "allowances": [{"id": "m", "source": "monthly", "amount": -1, "perSeat": false, "priority": 0,
                            "rollover": {"mode": "capped", "cap": 10}}]
        });
        let found = errors(json);
        assert_eq!(found.len(), 2, "{found:#?}");
        assert!(
            found[0].starts_with("wallet.burnOrder[1]: unknown source \"weekly\""),
            "{}",
            found[0]
        );
        assert!(
            found[1].starts_with("wallet.allowances[0].amount: must not be negative"),
            "{}",
            found[1]
        );
        let mut dup = good();
        dup["wallet"] = serde_json::json!({"burnOrder": ["daily", "daily"], "allowances": []});
        let found = errors(dup);
        assert_eq!(found.len(), 1, "{found:#?}");
        assert!(
            found[0].starts_with("wallet.burnOrder[1]: source daily is listed twice in burnOrder"),
            "{}",
            found[0]
        );
    }
}
