//! The one catalog reader: walks a parsed document (a spanned TOML tree, or
//! a JSON value) by hand, so one run reports every unknown key, wrong type
//! and negative number together, each with its path, before the semantic
//! checks of [`validate`](super::validate) run on what was read.
//!
//! The two formats differ only in what [`Tree`] says about them: TOML keys
//! are `snake_case` and its values carry source spans; the canonical JSON
//! form uses `camelCase` keys, has no defaults (every field is written) and
//! takes multipliers as strings only.

use super::validate::{self, CatalogError, Diagnostic, render};
use super::{
    Catalog, CatalogSpec, Meter, OutputLimits, Product, ProductOption, QuantityLimits, Studio,
};
use crate::error::echo;
use crate::money::{Multiplier, Rounding};
use crate::wallet::{Allowance, Every, GrantSource, Rollover, WalletPolicy};
use std::borrow::Cow;
use std::collections::BTreeMap;
use std::marker::PhantomData;
use std::ops::Range;
use std::sync::Arc;

#[cfg(feature = "plans")]
mod plans;

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
/// stated fingerprint, if any, must match the content.
pub(crate) fn load_json(value: &serde_json::Value) -> Result<Catalog, CatalogError> {
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
    for finding in validate::validate(&read.spec) {
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
    let catalog = Catalog::new(read.spec)?;
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
        let decimals = self.defaulted(root, &span, "", "decimals");
        let decimals = match self.uint(decimals, "decimals") {
            Some(d) => u8::try_from(d).unwrap_or(u8::MAX),
            None => 0,
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
            if let Some(value) = self.defaulted(root, span, "", name) {
                if let Some(json) = value.json() {
                    out.insert(name.to_string(), json);
                }
            }
        }
        out
    }

    /// The `[wallet]` section: the burn order by source and the allowances a
    /// refill grants (see [`WalletPolicy`]); its rules are checked with the
    /// rest of the catalog by `validate`.
    fn wallet(&mut self, t: &[Entry<'_, T>], path: &str) -> WalletPolicy {
        self.check_keys(t, path, &["burn_order", "allowances"]);
        let sources = "signup, daily, monthly, annual, seat, addon, topup, promo or adjustment";
        let mut burn_order = Vec::new();
        let order_path = join(path, Self::key("burn_order"));
        if let Some(value) = self.get(t, path, "burn_order") {
            match value.kind() {
                Kind::Array(items) => {
                    for (i, item) in items.iter().enumerate() {
                        let item_path = index(&order_path, i);
                        self.record(&item_path, item.span());
                        let source = self.named(
                            Some(item),
                            &item_path,
                            GrantSource::from_name,
                            "unknown source",
                            sources,
                        );
                        burn_order.extend(source);
                    }
                }
                other => self.error(
                    value.span(),
                    &order_path,
                    format!("expected an array of sources, found {}", describe(&other)),
                ),
            }
        }
        let mut allowances = Vec::new();
        let list_path = join(path, "allowances");
        if let Some(value) = self.get(t, path, "allowances") {
            match value.kind() {
                Kind::Array(items) => {
                    for (i, item) in items.iter().enumerate() {
                        let ap = index(&list_path, i);
                        self.record(&ap, item.span());
                        if let Some((a, a_span)) = self.table(Some(item), &ap) {
                            allowances.push(self.allowance(&a, a_span, &ap, sources));
                        }
                    }
                }
                other => self.error(
                    value.span(),
                    &list_path,
                    format!(
                        "expected an array of allowances, found {}",
                        describe(&other)
                    ),
                ),
            }
        }
        WalletPolicy {
            burn_order,
            allowances,
        }
    }

    fn allowance(
        &mut self,
        t: &[Entry<'_, T>],
        span: Range<usize>,
        path: &str,
        sources: &str,
    ) -> Allowance {
        self.check_keys(
            t,
            path,
            &[
                "id", "source", "amount", "per_seat", "priority", "rollover", "every",
            ],
        );
        let id = self.required(t, &span, path, "id");
        let id = self.string(id, &join(path, "id")).unwrap_or_default();
        let source = self.required(t, &span, path, "source");
        let source = self.named(
            source,
            &join(path, "source"),
            GrantSource::from_name,
            "unknown source",
            sources,
        );
        let amount = self.required(t, &span, path, "amount");
        let amount = self.uint(amount, &join(path, "amount")).unwrap_or(0);
        let per_seat_path = join(path, Self::key("per_seat"));
        let per_seat = match self
            .defaulted(t, &span, path, "per_seat")
            .map(|v| (v.span(), v.kind()))
        {
            None => false,
            Some((_, Kind::Bool(b))) => b,
            Some((s, other)) => {
                self.error(
                    s,
                    &per_seat_path,
                    format!("expected a boolean, found {}", describe(&other)),
                );
                false
            }
        };
        let priority = self.defaulted(t, &span, path, "priority");
        let priority_path = join(path, "priority");
        let priority = match self.uint(priority, &priority_path).map(u32::try_from) {
            None => 0,
            Some(Ok(p)) => p,
            Some(Err(_)) => {
                self.error(
                    span.clone(),
                    &priority_path,
                    "priority must be at most 4294967295".into(),
                );
                0
            }
        };
        let rollover_path = join(path, "rollover");
        let rollover = match self.defaulted(t, &span, path, "rollover") {
            None => Rollover::None,
            Some(value) => match self.table(Some(value), &rollover_path) {
                None => Rollover::None,
                Some((r, r_span)) => {
                    self.check_keys(&r, &rollover_path, &["mode", "cap"]);
                    let mode = self.required(&r, &r_span, &rollover_path, "mode");
                    let mode = self.string(mode, &join(&rollover_path, "mode"));
                    let cap = self.get(&r, &rollover_path, "cap");
                    let cap = self.uint(cap, &join(&rollover_path, "cap"));
                    match (mode.as_deref(), cap) {
                        (Some("none"), None) | (None, _) => Rollover::None,
                        (Some("full"), None) => Rollover::Full,
                        (Some("capped"), Some(cap)) => Rollover::Capped { cap },
                        (Some(other), _) => {
                            self.error(
                                r_span,
                                &rollover_path,
                                format!(
                                    "rollover {} is not one of {{ mode = \"none\" }}, {{ mode = \"full\" }}, {{ mode = \"capped\", cap = N }}",
                                    echo(other)
                                ),
                            );
                            Rollover::None
                        }
                    }
                }
            },
        };
        let every = self.get(t, path, "every");
        let every = self.named(
            every,
            &join(path, "every"),
            Every::from_name,
            "unknown period",
            "once, day, month or year",
        );
        let mut allowance = Allowance {
            id,
            source: source.unwrap_or(GrantSource::Promo),
            amount,
            per_seat,
            priority,
            rollover,
            every,
        };
        // Written out in the canonical form, so leaving `every` to its
        // default and stating the default give one fingerprint.
        allowance.every = Some(allowance.period());
        allowance
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

    fn product(&mut self, t: &[Entry<'_, T>], span: Range<usize>, path: &str) -> Product {
        const KEYS: &[&str] = &[
            "id",
            "name",
            "studio",
            "tier",
            "meter",
            "price",
            "per",
            "minimum",
            "quantity",
            "outputs",
            "resolutions",
            "default_resolution",
            "options",
        ];
        self.check_keys(t, path, KEYS);
        let p = |key: &'static str| join(path, Self::key(key));
        let id = self.required(t, &span, path, "id");
        let id = self.string(id, &p("id")).unwrap_or_default();
        let name = self.required(t, &span, path, "name");
        let name = self.string(name, &p("name")).unwrap_or_default();
        let studio_value = self.required(t, &span, path, "studio");
        let studio = self.named(
            studio_value,
            &p("studio"),
            Studio::from_name,
            "unknown value",
            "image, video, music, voice, text or edit",
        );
        let tier = self.required(t, &span, path, "tier");
        let tier = self.string(tier, &p("tier")).unwrap_or_default();
        let meter_value = self.required(t, &span, path, "meter");
        let meter = self.named(
            meter_value,
            &p("meter"),
            Meter::from_name,
            "unknown value",
            "image, second, character, token, megapixel or call",
        );
        let price = self.required(t, &span, path, "price");
        let price = self.uint(price, &p("price")).unwrap_or(0);
        let per = self.defaulted(t, &span, path, "per");
        let per = if per.is_some() {
            self.uint(per, &p("per")).unwrap_or(1)
        } else {
            1
        };
        let minimum = self.defaulted(t, &span, path, "minimum");
        let minimum = self.uint(minimum, &p("minimum")).unwrap_or(0);

        let quantity_value = self.get(t, path, "quantity");
        let quantity = match self.table(quantity_value, &p("quantity")) {
            Some((q, q_span)) => {
                let qp = p("quantity");
                self.check_keys(&q, &qp, &["min", "max", "default", "step"]);
                let min = self.defaulted(&q, &q_span, &qp, "min");
                let min = if min.is_some() {
                    self.uint(min, &join(&qp, "min")).unwrap_or(1)
                } else {
                    1
                };
                let max = self.required(&q, &q_span, &qp, "max");
                let max = self.uint(max, &join(&qp, "max")).unwrap_or(min);
                let default = self.get(&q, &qp, "default");
                let default = self.uint(default, &join(&qp, "default"));
                let step = self.defaulted(&q, &q_span, &qp, "step");
                let step = if step.is_some() {
                    self.uint(step, &join(&qp, "step")).unwrap_or(1)
                } else {
                    1
                };
                Some(QuantityLimits {
                    min,
                    max,
                    default,
                    step,
                })
            }
            None => None,
        };

        let outputs_value = self.defaulted(t, &span, path, "outputs");
        let outputs = match self.table(outputs_value, &p("outputs")) {
            Some((o, o_span)) => {
                let op = p("outputs");
                self.check_keys(&o, &op, &["max", "default"]);
                let max = self.defaulted(&o, &o_span, &op, "max");
                let max = self.uint(max, &join(&op, "max")).unwrap_or(1);
                let default = self.defaulted(&o, &o_span, &op, "default");
                let default = self.uint(default, &join(&op, "default")).unwrap_or(1);
                OutputLimits { max, default }
            }
            None => OutputLimits::default(),
        };

        let resolutions_value = self.defaulted(t, &span, path, "resolutions");
        let resolutions = match self.table(resolutions_value, &p("resolutions")) {
            Some((r, _)) => self.multipliers(&r, &p("resolutions")),
            None => BTreeMap::new(),
        };
        let default_resolution = self.get(t, path, "default_resolution");
        let default_resolution = self.string(default_resolution, &p("default_resolution"));

        let mut options = BTreeMap::new();
        let options_value = self.defaulted(t, &span, path, "options");
        if let Some((o, _)) = self.table(options_value, &p("options")) {
            for entry in &o {
                let op = join(&p("options"), entry.key);
                self.record(&op, entry.value.span());
                let Some((ot, ot_span)) = self.table(Some(entry.value), &op) else {
                    continue;
                };
                self.check_keys(&ot, &op, &["default", "values"]);
                let default = self.required(&ot, &ot_span, &op, "default");
                let default = self
                    .option_value(default, &join(&op, "default"))
                    .unwrap_or_default();
                let values = self.required(&ot, &ot_span, &op, "values");
                let values = match self.table(values, &join(&op, "values")) {
                    Some((v, _)) => self.multipliers(&v, &join(&op, "values")),
                    None => BTreeMap::new(),
                };
                options.insert(entry.key.into(), ProductOption { default, values });
            }
        }

        Product {
            id: id.into(),
            name,
            studio: studio.unwrap_or(Studio::Image),
            tier: tier.into(),
            meter: meter.unwrap_or(Meter::Image),
            price,
            per,
            minimum,
            quantity,
            outputs,
            resolutions,
            default_resolution,
            options,
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

    /// An option's default: a string, or (in TOML) an integer or boolean
    /// taken as its text.
    fn option_value(&mut self, value: Option<&T>, path: &str) -> Option<String> {
        let value = value?;
        if !T::JSON {
            match value.kind() {
                Kind::Int(text, 10) => return Some(text.trim_start_matches('+').to_string()),
                Kind::Bool(b) => return Some(if b { "true" } else { "false" }.to_string()),
                _ => {}
            }
        }
        self.string(Some(value), path)
    }

    fn multipliers(
        &mut self,
        table: &[Entry<'_, T>],
        path: &str,
    ) -> BTreeMap<Arc<str>, Multiplier> {
        let mut out = BTreeMap::new();
        for entry in table {
            let kp = join(path, entry.key);
            self.record(&kp, entry.value.span());
            // An invalid multiplier keeps its key (as 1) so that a default
            // naming it is not reported twice.
            let m = self.multiplier(entry.value, &kp);
            out.insert(entry.key.into(), m);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn errors(value: serde_json::Value) -> Vec<String> {
        match load_json(&value) {
            Ok(_) => Vec::new(),
            Err(e) => e.diagnostics().iter().map(|d| d.to_string()).collect(),
        }
    }

    fn good() -> serde_json::Value {
        let catalog = Catalog::new(crate::catalog::tests::sample_spec()).unwrap();
        serde_json::from_str(&catalog.to_canonical_json()).unwrap()
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
            found[0].starts_with("wallet: burnOrder[1]: source daily is listed twice"),
            "{}",
            found[0]
        );
    }

    #[test]
    fn related_paths() {
        assert!(related("products[0]", "products[0].tier"));
        assert!(related("products[0].tier", "products[0].tier"));
        assert!(!related("products[0].tier", "products[0].tiers"));
        assert!(!related("products[1]", "products[10]"));
        assert!(!related("", "products"));
    }
}
