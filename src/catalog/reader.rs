//! The one catalog reader: walks a parsed document (a spanned TOML tree, or
//! a JSON value) by hand, so one run reports every unknown key, wrong type
//! and negative number together, each with its path, before the semantic
//! checks of [`validate`](super::validate) run on what was read.
//!
//! The two formats differ only in what [`Tree`] says about them: TOML keys
//! are `snake_case` and its values carry source spans; the canonical JSON
//! form uses `camelCase` keys, has no defaults (every field is written) and
//! takes multipliers as strings only.
//!
//! This file holds the walk and the top level (`id`, `version`, `unit`,
//! `decimals`, `rounding`, `tiers`); one file per section reads the rest:
//! `products.rs` (products, their resolutions and options), `wallet.rs`
//! (the `[wallet]` policy), `plans.rs` (currency, resolution ladders,
//! plans, packs, add-ons), and `json.rs` (the canonical JSON form as a
//! [`Tree`], and loading a catalog from it).

use super::{CatalogSpec, MAX_DECIMALS};
use crate::error::echo;
use crate::money::{Multiplier, Rounding};
use crate::wallet::WalletPolicy;
use std::borrow::Cow;
#[cfg(not(feature = "plans"))]
use std::collections::BTreeMap;
use std::marker::PhantomData;
use std::ops::Range;

mod json;
#[cfg(feature = "plans")]
mod plans;
mod products;
mod wallet;

pub(crate) use json::load_json;

/// A parsed document the reader can walk.
pub(crate) trait Tree: Sized {
    /// `true` for the canonical JSON form: `camelCase` keys, every field
    /// required, `null` counting as absent, multipliers as strings only.
    const JSON: bool;

    /// Where the value is in the source text (`0..0` when unknown).
    fn span(&self) -> Range<usize>;

    /// What the value is.
    fn kind(&self) -> Kind<'_, Self>;

    /// The value as JSON, for a format that is JSON (the slim build keeps
    /// the commercial sections as given); `None` otherwise.
    #[cfg(not(feature = "plans"))]
    fn json(&self) -> Option<serde_json::Value> {
        None
    }
}

/// One value of a [`Tree`], as the reader sees it.
pub(crate) enum Kind<'a, T> {
    /// JSON `null`.
    Null,
    /// A boolean.
    Bool(bool),
    /// A string.
    Str(&'a str),
    /// An integer: its digits (with a leading sign when written) in `radix`.
    Int(Cow<'a, str>, u32),
    /// A number with a fraction or an exponent; its source text when the
    /// format keeps it.
    Float {
        /// Whether it is below zero.
        negative: bool,
        /// The number as written (TOML only).
        text: Option<&'a str>,
    },
    /// A list.
    Array(&'a [T]),
    /// A table (object): keys, the spans of the keys, values.
    Table(Vec<Entry<'a, T>>),
    /// Anything else (a TOML datetime), named.
    #[cfg_attr(not(feature = "native"), allow(dead_code))] // made by the TOML source only
    Other(&'static str),
}

/// A key of a table and its value.
pub(crate) struct Entry<'a, T> {
    pub key: &'a str,
    pub key_span: Range<usize>,
    pub value: &'a T,
}

/// A structural mistake found while reading.
pub(crate) struct Problem {
    /// Where in the source (TOML).
    #[cfg_attr(not(feature = "native"), allow(dead_code))] // read by the TOML source only
    pub span: Range<usize>,
    /// The path to blame, in the format's key names (`""` for the document).
    pub path: String,
    /// What is wrong.
    pub message: String,
    /// Whether the message is shown after its path (`price: must not be
    /// negative`); messages that name their key themselves are not.
    pub prefixed: bool,
}

/// What the reader found: the content (with neutral stand-ins where a value
/// was wrong), the stated fingerprint (JSON), the mistakes, and the span of
/// every value read, by path (TOML).
pub(crate) struct Read {
    pub spec: CatalogSpec,
    pub fingerprint: Option<String>,
    pub problems: Vec<Problem>,
    #[cfg_attr(not(feature = "native"), allow(dead_code))] // read by the TOML source only
    pub spans: Vec<(String, Range<usize>)>,
}

/// Reads the root table of a document.
pub(crate) fn read<T: Tree>(root: Vec<Entry<'_, T>>, span: Range<usize>) -> Read {
    let mut loader = Loader::<T> {
        problems: Vec::new(),
        spans: Vec::new(),
        tree: PhantomData,
    };
    let (spec, fingerprint) = loader.catalog(&root, span);
    Read {
        spec,
        fingerprint,
        problems: loader.problems,
        spans: loader.spans,
    }
}

/// Whether one path lies on the other's branch (equal, ancestor or descendant).
pub(crate) fn related(a: &str, b: &str) -> bool {
    let under = |long: &str, short: &str| {
        long.strip_prefix(short)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('.') || rest.starts_with('['))
    };
    !a.is_empty() && !b.is_empty() && (under(a, b) || under(b, a))
}

/// The type of a value, as a message names it.
fn describe<T: Tree>(kind: &Kind<'_, T>) -> &'static str {
    match kind {
        Kind::Null => "null",
        Kind::Bool(_) => "boolean",
        Kind::Str(_) => "string",
        Kind::Int(..) => "integer",
        Kind::Float { .. } if T::JSON => "number",
        Kind::Float { .. } => "float",
        Kind::Array(_) => "array",
        Kind::Table(_) if T::JSON => "object",
        Kind::Table(_) => "table",
        Kind::Other(name) => name,
    }
}

fn join(parent: &str, key: &str) -> String {
    if parent.is_empty() {
        key.to_string()
    } else {
        let mut out = String::with_capacity(parent.len() + 1 + key.len());
        out.push_str(parent);
        out.push('.');
        out.push_str(key);
        out
    }
}

fn index(parent: &str, i: usize) -> String {
    format!("{parent}[{i}]")
}

/// The radix prefix TOML writes before an integer's digits.
fn radix_prefix(radix: u32) -> &'static str {
    match radix {
        2 => "0b",
        8 => "0o",
        16 => "0x",
        _ => "",
    }
}

struct Loader<T> {
    problems: Vec<Problem>,
    spans: Vec<(String, Range<usize>)>,
    tree: PhantomData<fn(&T)>,
}

impl<T: Tree> Loader<T> {
    /// A schema field's key in this format.
    fn key(name: &'static str) -> &'static str {
        match name {
            "default_resolution" if T::JSON => "defaultResolution",
            "unit_singular" if T::JSON => "unitSingular",
            "burn_order" if T::JSON => "burnOrder",
            "per_seat" if T::JSON => "perSeat",
            "pack_discount" if T::JSON => "packDiscount",
            "max_resolution" if T::JSON => "maxResolution",
            "max_seconds" if T::JSON => "maxSeconds",
            "max_outputs" if T::JSON => "maxOutputs",
            _ => name,
        }
    }

    /// Records where the value at `path` is (spanned formats only).
    fn record(&mut self, path: &str, span: Range<usize>) {
        if !T::JSON {
            self.spans.push((path.to_string(), span));
        }
    }

    fn error(&mut self, span: Range<usize>, path: &str, message: String) {
        self.problems.push(Problem {
            span,
            path: path.to_string(),
            message,
            prefixed: true,
        });
    }

    fn where_(path: &str) -> String {
        if path.is_empty() {
            "at the top level".to_string()
        } else {
            format!("in {path}")
        }
    }

    /// Reports keys of `table` not in `allowed` (schema names).
    fn check_keys(&mut self, table: &[Entry<'_, T>], path: &str, allowed: &[&'static str]) {
        for entry in table {
            if !allowed.iter().any(|a| Self::key(a) == entry.key) {
                let mut expected = String::new();
                for (i, a) in allowed.iter().enumerate() {
                    if i > 0 {
                        expected.push_str(", ");
                    }
                    expected.push_str(Self::key(a));
                }
                self.problems.push(Problem {
                    span: entry.key_span.clone(),
                    path: join(path, entry.key),
                    message: format!(
                        "unknown key {} {} (expected one of: {expected})",
                        echo(entry.key),
                        Self::where_(path)
                    ),
                    prefixed: false,
                });
            }
        }
    }

    /// The value of schema field `name` (`null` counts as absent in JSON).
    fn get<'a>(&mut self, table: &[Entry<'a, T>], path: &str, name: &'static str) -> Option<&'a T> {
        let key = Self::key(name);
        let found = table
            .iter()
            .find(|e| e.key == key)
            .map(|e| e.value)
            .filter(|v| !matches!(v.kind(), Kind::Null));
        if let Some(v) = found {
            self.record(&join(path, key), v.span());
        }
        found
    }

    fn required<'a>(
        &mut self,
        table: &[Entry<'a, T>],
        table_span: &Range<usize>,
        path: &str,
        name: &'static str,
    ) -> Option<&'a T> {
        let found = self.get(table, path, name);
        if found.is_none() {
            let key = Self::key(name);
            self.problems.push(Problem {
                span: table_span.clone(),
                path: join(path, key),
                message: format!("missing key `{key}` {}", Self::where_(path)),
                prefixed: false,
            });
        }
        found
    }

    /// A field TOML lets the author leave out (`None` then) but the
    /// canonical JSON form always writes.
    fn defaulted<'a>(
        &mut self,
        table: &[Entry<'a, T>],
        table_span: &Range<usize>,
        path: &str,
        name: &'static str,
    ) -> Option<&'a T> {
        if T::JSON {
            self.required(table, table_span, path, name)
        } else {
            self.get(table, path, name)
        }
    }

    fn string(&mut self, value: Option<&T>, path: &str) -> Option<String> {
        let value = value?;
        match value.kind() {
            Kind::Str(s) => Some(s.to_string()),
            other => {
                self.error(
                    value.span(),
                    path,
                    format!("expected a string, found {}", describe(&other)),
                );
                None
            }
        }
    }

    fn uint(&mut self, value: Option<&T>, path: &str) -> Option<u64> {
        let value = value?;
        match value.kind() {
            Kind::Int(text, radix) => {
                if text.starts_with('-') && text.trim_start_matches(['-', '0', '_']).is_empty() {
                    return Some(0);
                }
                let shown = || format!("{}{text}", radix_prefix(radix));
                if text.starts_with('-') {
                    let message = format!("must not be negative, found {}", shown());
                    self.error(value.span(), path, message);
                    return None;
                }
                match u64::from_str_radix(text.trim_start_matches('+'), radix) {
                    Ok(n) => Some(n),
                    Err(_) => {
                        let message = format!("{} is too large", shown());
                        self.error(value.span(), path, message);
                        None
                    }
                }
            }
            Kind::Float {
                negative: true,
                text,
            } => {
                let message = match text {
                    Some(text) => format!("must not be negative, found {text}"),
                    None => "must not be negative".to_string(),
                };
                self.error(value.span(), path, message);
                None
            }
            other => {
                self.error(
                    value.span(),
                    path,
                    format!(
                        "expected a non-negative integer, found {}",
                        describe(&other)
                    ),
                );
                None
            }
        }
    }

    fn multiplier(&mut self, value: &T, path: &str) -> Multiplier {
        let kind = value.kind();
        let text = match &kind {
            Kind::Str(s) => Cow::Borrowed(*s),
            Kind::Float {
                text: Some(text), ..
            } if !T::JSON => Cow::Borrowed(*text),
            Kind::Int(text, 10) if !T::JSON => Cow::Borrowed(text.as_ref()),
            other => {
                let expected = if T::JSON {
                    "a decimal string like \"1.25\""
                } else {
                    "a decimal multiplier like 1.25"
                };
                self.error(
                    value.span(),
                    path,
                    format!("expected {expected}, found {}", describe(other)),
                );
                return Multiplier::ONE;
            }
        };
        match Multiplier::parse(&text) {
            Ok(m) => m,
            Err(e) => {
                let message = format!("multiplier {} {e}", echo(&text));
                self.error(value.span(), path, message);
                Multiplier::ONE
            }
        }
    }

    fn table<'a>(
        &mut self,
        value: Option<&'a T>,
        path: &str,
    ) -> Option<(Vec<Entry<'a, T>>, Range<usize>)> {
        let value = value?;
        match value.kind() {
            Kind::Table(t) => Some((t, value.span())),
            other => {
                let expected = if T::JSON { "an object" } else { "a table" };
                self.error(
                    value.span(),
                    path,
                    format!("expected {expected}, found {}", describe(&other)),
                );
                None
            }
        }
    }

    fn catalog(
        &mut self,
        root: &[Entry<'_, T>],
        span: Range<usize>,
    ) -> (CatalogSpec, Option<String>) {
        // The canonical JSON form also states its fingerprint (last).
        const KEYS: &[&str] = &[
            "id",
            "version",
            "unit",
            "unit_singular",
            "decimals",
            "rounding",
            "tiers",
            "products",
            "wallet",
            "currency",
            "resolutions",
            "plans",
            "packs",
            "addons",
            "fingerprint",
        ];
        let toml_keys = KEYS.split_last().map_or(KEYS, |(_, rest)| rest);
        self.check_keys(root, "", if T::JSON { KEYS } else { toml_keys });
        let id = self.required(root, &span, "", "id");
        let id = self.string(id, "id").unwrap_or_default();
        let version = self.required(root, &span, "", "version");
        let version = self.string(version, "version").unwrap_or_default();
        let unit = self.defaulted(root, &span, "", "unit");
        let unit = if unit.is_some() {
            self.string(unit, "unit").unwrap_or_default()
        } else {
            "credits".into()
        };
        // Optional in both formats: the canonical JSON omits it when absent.
        let unit_singular = self.get(root, "", "unit_singular");
        let singular_path = if T::JSON {
            "unitSingular"
        } else {
            "unit_singular"
        };
        let unit_singular = self.string(unit_singular, singular_path);
        let decimals_value = self.defaulted(root, &span, "", "decimals");
        let decimals = match self.uint(decimals_value, "decimals") {
            None => 0,
            Some(written) => u8::try_from(written).unwrap_or_else(|_| {
                // Too large for the type: reported here with the value
                // written, since validation only sees the stand-in 0.
                self.error(
                    decimals_value.map(T::span).unwrap_or_default(),
                    "decimals",
                    format!("decimals must be at most {MAX_DECIMALS}, found {written}"),
                );
                0
            }),
        };
        let rounding_value = self.required(root, &span, "", "rounding");
        let rounding = self.named(
            rounding_value,
            "rounding",
            Rounding::from_name,
            "unknown rounding rule",
            "up, down, half_up or half_even",
        );
        let tiers = self.required(root, &span, "", "tiers");
        let tiers = self.string_list(tiers, "tiers");
        let products_value = self.required(root, &span, "", "products");
        let mut products = Vec::new();
        if let Some(value) = products_value {
            match value.kind() {
                Kind::Array(items) => {
                    for (i, item) in items.iter().enumerate() {
                        let path = index("products", i);
                        self.record(&path, item.span());
                        if let Some((table, span)) = self.table(Some(item), &path) {
                            products.push(self.product(&table, span, &path));
                        }
                    }
                }
                other => {
                    let expected = if T::JSON {
                        "an array of objects"
                    } else {
                        "an array of tables ([[products]])"
                    };
                    self.error(
                        value.span(),
                        "products",
                        format!("expected {expected}, found {}", describe(&other)),
                    );
                }
            }
        }
        let wallet_value = self.defaulted(root, &span, "", "wallet");
        let wallet = match self.table(wallet_value, "wallet") {
            Some((t, _)) => self.wallet(&t, "wallet"),
            None => WalletPolicy::default(),
        };
        #[cfg(feature = "plans")]
        let currency = self.defaulted(root, &span, "", "currency");
        #[cfg(feature = "plans")]
        let currency = if currency.is_some() {
            self.string(currency, "currency").unwrap_or_default()
        } else {
            "USD".into()
        };
        #[cfg(feature = "plans")]
        let ladders = self.defaulted(root, &span, "", "resolutions");
        #[cfg(feature = "plans")]
        let resolutions = self.ladders(ladders);
        #[cfg(feature = "plans")]
        let plans = self.tables(root, &span, "plans", Self::plan);
        #[cfg(feature = "plans")]
        let packs = self.tables(root, &span, "packs", Self::pack);
        #[cfg(feature = "plans")]
        let addons = self.tables(root, &span, "addons", Self::addon);
        #[cfg(not(feature = "plans"))]
        let commerce = self.commerce(root, &span);
        let fingerprint = if T::JSON {
            let stated = self.get(root, "", "fingerprint");
            self.string(stated, "fingerprint")
        } else {
            None
        };
        let spec = CatalogSpec {
            id,
            version,
            unit,
            unit_singular,
            decimals,
            rounding: rounding.unwrap_or(Rounding::Up),
            tiers,
            products,
            wallet,
            #[cfg(feature = "plans")]
            currency,
            #[cfg(feature = "plans")]
            resolutions,
            #[cfg(feature = "plans")]
            plans,
            #[cfg(feature = "plans")]
            packs,
            #[cfg(feature = "plans")]
            addons,
            #[cfg(not(feature = "plans"))]
            commerce,
        };
        (spec, fingerprint)
    }

    /// Without the `plans` feature: the commercial sections as given (the
    /// canonical JSON form writes all five), for the fingerprint only.
    #[cfg(not(feature = "plans"))]
    fn commerce(
        &mut self,
        root: &[Entry<'_, T>],
        span: &Range<usize>,
    ) -> BTreeMap<String, serde_json::Value> {
        let mut out = BTreeMap::new();
        for name in ["currency", "resolutions", "plans", "packs", "addons"] {
            if let Some(value) = self.defaulted(root, span, "", name)
                && let Some(json) = value.json()
            {
                out.insert(name.to_string(), json);
            }
        }
        out
    }

    fn string_list(&mut self, value: Option<&T>, path: &str) -> Vec<String> {
        let Some(value) = value else {
            return Vec::new();
        };
        match value.kind() {
            Kind::Array(items) => items
                .iter()
                .enumerate()
                .filter_map(|(i, item)| {
                    let item_path = index(path, i);
                    self.record(&item_path, item.span());
                    self.string(Some(item), &item_path)
                })
                .collect(),
            other => {
                self.error(
                    value.span(),
                    path,
                    format!("expected an array of strings, found {}", describe(&other)),
                );
                Vec::new()
            }
        }
    }

    /// A string naming one of a fixed set (`studio`, `meter`, `rounding`).
    fn named<N>(
        &mut self,
        value: Option<&T>,
        path: &str,
        parse: fn(&str) -> Option<N>,
        unknown: &str,
        expected: &str,
    ) -> Option<N> {
        let span = value.map(|v| v.span()).unwrap_or_default();
        let name = self.string(value, path)?;
        let parsed = parse(&name);
        if parsed.is_none() {
            self.error(
                span,
                path,
                format!("{unknown} {} (expected {expected})", echo(&name)),
            );
        }
        parsed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn related_paths() {
        assert!(related("products[0]", "products[0].tier"));
        assert!(related("products[0].tier", "products[0].tier"));
        assert!(!related("products[0].tier", "products[0].tiers"));
        assert!(!related("products[1]", "products[10]"));
        assert!(!related("", "products"));
    }
}
