//! Reads a catalog from TOML text, reporting every mistake as
//! `FILE:LINE:COL: message` (native builds only: the browser receives
//! catalogs as objects).
//!
//! The document is parsed into a spanned tree and walked by hand, so one run
//! reports syntax errors, unknown keys, wrong types and negative numbers
//! together; the semantic checks of [`validate`](super::validate) then run on
//! what was read, and their paths are turned back into source positions.

use super::validate::{self, CatalogError, Diagnostic, Location, render};
use super::{
    Catalog, CatalogSpec, Meter, OutputLimits, Product, ProductOption, QuantityLimits, Studio,
};
use crate::error::echo;
use crate::money::{Multiplier, Rounding};
use std::collections::{BTreeMap, HashMap};
use std::ops::Range;
use std::sync::Arc;
use toml::Spanned;
use toml::de::{DeTable, DeValue};

type Value<'a> = Spanned<DeValue<'a>>;

struct Loader<'t> {
    text: &'t str,
    /// Structural errors: span, path, message.
    errors: Vec<(Range<usize>, String, String)>,
    /// Span of every value read, by rendered (snake_case) path.
    spans: HashMap<String, Range<usize>>,
}

/// Parses `text` (named `file` in diagnostics) into a validated catalog.
pub(super) fn load(text: &str, file: &str) -> Result<Catalog, CatalogError> {
    let (root, syntax_errors) = DeTable::parse_recoverable(text);
    let mut loader = Loader {
        text,
        errors: Vec::new(),
        spans: HashMap::new(),
    };
    for e in &syntax_errors {
        let span = e.span().unwrap_or(0..0);
        loader
            .errors
            .push((span, String::new(), e.message().trim().to_string()));
    }
    let root_span = root.span();
    let spec = loader.catalog(root.get_ref(), root_span);

    let mut located: Vec<(Range<usize>, String)> = loader
        .errors
        .iter()
        .map(|(span, _, msg)| (span.clone(), msg.clone()))
        .collect();
    for finding in validate::validate(&spec) {
        let path = render(&finding.path, false);
        if loader.errors.iter().any(|(_, p, _)| related(p, &path)) {
            continue; // a consequence of a mistake already reported
        }
        located.push((
            loader.span_of(&path),
            format!("{path}: {}", finding.message),
        ));
    }
    if located.is_empty() {
        return Catalog::new(spec);
    }
    located.sort_by_key(|(span, _)| span.start);
    Err(CatalogError::new(
        located
            .into_iter()
            .map(|(span, message)| {
                let (line, column) = line_col(text, span.start);
                Diagnostic {
                    message,
                    path: None,
                    location: Some(Location {
                        file: file.to_string(),
                        line,
                        column,
                    }),
                }
            })
            .collect(),
    ))
}

/// Whether one path lies on the other's branch (equal, ancestor or descendant).
fn related(a: &str, b: &str) -> bool {
    let under = |long: &str, short: &str| {
        long.strip_prefix(short)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('.') || rest.starts_with('['))
    };
    !a.is_empty() && !b.is_empty() && (under(a, b) || under(b, a))
}

/// 1-based line and character column of a byte offset.
fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = text.get(..offset).unwrap_or_default();
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before.get(line_start..).unwrap_or_default().chars().count() + 1;
    (line, column)
}

fn join(parent: &str, key: &str) -> String {
    if parent.is_empty() {
        key.to_string()
    } else {
        format!("{parent}.{key}")
    }
}

fn describe(value: &DeValue<'_>) -> &'static str {
    value.type_str()
}

impl<'t> Loader<'t> {
    fn error(&mut self, span: Range<usize>, path: &str, message: String) {
        let message = if path.is_empty() {
            message
        } else {
            format!("{path}: {message}")
        };
        self.errors.push((span, path.to_string(), message));
    }

    /// The span recorded for `path` or its nearest recorded ancestor.
    fn span_of(&self, path: &str) -> Range<usize> {
        let mut current = path;
        loop {
            if let Some(span) = self.spans.get(current) {
                return span.clone();
            }
            match current.rfind(['.', '[']) {
                Some(i) => current = current.get(..i).unwrap_or_default(),
                None => return 0..self.text.len().min(1),
            }
        }
    }

    /// Reports keys of `table` not in `allowed`.
    fn check_keys(&mut self, table: &DeTable<'_>, path: &str, allowed: &[&str]) {
        for (key, _) in table.iter() {
            if !allowed.contains(&key.get_ref().as_ref()) {
                let where_ = if path.is_empty() {
                    "at the top level".to_string()
                } else {
                    format!("in {path}")
                };
                self.errors.push((
                    key.span(),
                    join(path, key.get_ref()),
                    format!(
                        "unknown key {} {where_} (expected one of: {})",
                        echo(key.get_ref()),
                        allowed.join(", ")
                    ),
                ));
            }
        }
    }

    fn get<'a, 'v>(
        &mut self,
        table: &'a DeTable<'v>,
        path: &str,
        key: &str,
    ) -> Option<&'a Value<'v>> {
        let found = table
            .iter()
            .find(|(k, _)| k.get_ref() == key)
            .map(|(_, v)| v);
        if let Some(v) = found {
            self.spans.insert(join(path, key), v.span());
        }
        found
    }

    fn required<'a, 'v>(
        &mut self,
        table: &'a DeTable<'v>,
        table_span: &Range<usize>,
        path: &str,
        key: &str,
    ) -> Option<&'a Value<'v>> {
        let found = self.get(table, path, key);
        if found.is_none() {
            let where_ = if path.is_empty() {
                "at the top level".to_string()
            } else {
                format!("in {path}")
            };
            self.errors.push((
                table_span.clone(),
                join(path, key),
                format!("missing key `{key}` {where_}"),
            ));
        }
        found
    }

    fn string(&mut self, value: Option<&Value<'_>>, path: &str) -> Option<String> {
        let value = value?;
        match value.get_ref() {
            DeValue::String(s) => Some(s.to_string()),
            other => {
                self.error(
                    value.span(),
                    path,
                    format!("expected a string, found {}", describe(other)),
                );
                None
            }
        }
    }

    fn uint(&mut self, value: Option<&Value<'_>>, path: &str) -> Option<u64> {
        let value = value?;
        match value.get_ref() {
            DeValue::Integer(i) => {
                let text = i.as_str();
                if text.starts_with('-') && text.trim_start_matches(['-', '0', '_']).is_empty() {
                    return Some(0);
                }
                if text.starts_with('-') {
                    self.error(
                        value.span(),
                        path,
                        format!("must not be negative, found {i}"),
                    );
                    return None;
                }
                match u64::from_str_radix(text.trim_start_matches('+'), i.radix()) {
                    Ok(n) => Some(n),
                    Err(_) => {
                        self.error(value.span(), path, format!("{i} is too large"));
                        None
                    }
                }
            }
            DeValue::Float(f) if f.as_str().starts_with('-') => {
                self.error(
                    value.span(),
                    path,
                    format!("must not be negative, found {f}"),
                );
                None
            }
            other => {
                self.error(
                    value.span(),
                    path,
                    format!("expected a non-negative integer, found {}", describe(other)),
                );
                None
            }
        }
    }

    fn multiplier(&mut self, value: &Value<'_>, path: &str) -> Multiplier {
        let text = match value.get_ref() {
            DeValue::Float(f) => f.as_str().to_string(),
            DeValue::Integer(i) if i.radix() == 10 => i.as_str().to_string(),
            DeValue::String(s) => s.to_string(),
            other => {
                self.error(
                    value.span(),
                    path,
                    format!(
                        "expected a decimal multiplier like 1.25, found {}",
                        describe(other)
                    ),
                );
                return Multiplier::ONE;
            }
        };
        match Multiplier::parse(&text) {
            Ok(m) => m,
            Err(e) => {
                self.error(
                    value.span(),
                    path,
                    format!("multiplier {} {e}", echo(&text)),
                );
                Multiplier::ONE
            }
        }
    }

    fn table<'a, 'v>(
        &mut self,
        value: Option<&'a Value<'v>>,
        path: &str,
    ) -> Option<(&'a DeTable<'v>, Range<usize>)> {
        let value = value?;
        match value.get_ref() {
            DeValue::Table(t) => Some((t, value.span())),
            other => {
                self.error(
                    value.span(),
                    path,
                    format!("expected a table, found {}", describe(other)),
                );
                None
            }
        }
    }

    fn catalog(&mut self, root: &DeTable<'_>, span: Range<usize>) -> CatalogSpec {
        const KEYS: &[&str] = &[
            "id", "version", "unit", "decimals", "rounding", "tiers", "products",
        ];
        self.check_keys(root, "", KEYS);
        let id = self.required(root, &span, "", "id");
        let id = self.string(id, "id").unwrap_or_default();
        let version = self.required(root, &span, "", "version");
        let version = self.string(version, "version").unwrap_or_default();
        let unit = self.get(root, "", "unit");
        let unit = if unit.is_some() {
            self.string(unit, "unit").unwrap_or_default()
        } else {
            "credits".into()
        };
        let decimals = self.get(root, "", "decimals");
        let decimals = match self.uint(decimals, "decimals") {
            Some(d) => u8::try_from(d).unwrap_or(u8::MAX),
            None => 0,
        };
        let rounding_value = self.required(root, &span, "", "rounding");
        let rounding_span = rounding_value.map(|v| v.span());
        let rounding = match self.string(rounding_value, "rounding") {
            Some(name) => Rounding::from_name(&name).unwrap_or_else(|| {
                self.error(
                    rounding_span.clone().unwrap_or_default(),
                    "rounding",
                    format!(
                        "unknown rounding rule {} (expected up, down, half_up or half_even)",
                        echo(&name)
                    ),
                );
                Rounding::Up
            }),
            None => Rounding::Up,
        };
        let tiers = self.required(root, &span, "", "tiers");
        let tiers = self.string_list(tiers, "tiers");
        let products_value = self.required(root, &span, "", "products");
        let mut products = Vec::new();
        if let Some(value) = products_value {
            match value.get_ref() {
                DeValue::Array(items) => {
                    for (i, item) in items.iter().enumerate() {
                        let path = format!("products[{i}]");
                        self.spans.insert(path.clone(), item.span());
                        if let Some((table, span)) = self.table(Some(item), &path) {
                            products.push(self.product(table, span, &path));
                        }
                    }
                }
                other => self.error(
                    value.span(),
                    "products",
                    format!(
                        "expected an array of tables ([[products]]), found {}",
                        describe(other)
                    ),
                ),
            }
        }
        CatalogSpec {
            id,
            version,
            unit,
            decimals,
            rounding,
            tiers,
            products,
        }
    }

    fn string_list(&mut self, value: Option<&Value<'_>>, path: &str) -> Vec<String> {
        let Some(value) = value else {
            return Vec::new();
        };
        match value.get_ref() {
            DeValue::Array(items) => items
                .iter()
                .enumerate()
                .filter_map(|(i, item)| {
                    let item_path = format!("{path}[{i}]");
                    self.spans.insert(item_path.clone(), item.span());
                    self.string(Some(item), &item_path)
                })
                .collect(),
            other => {
                self.error(
                    value.span(),
                    path,
                    format!("expected an array of strings, found {}", describe(other)),
                );
                Vec::new()
            }
        }
    }

    fn product(&mut self, t: &DeTable<'_>, span: Range<usize>, path: &str) -> Product {
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
        let p = |key: &str| join(path, key);
        let id = self.required(t, &span, path, "id");
        let id = self.string(id, &p("id")).unwrap_or_default();
        let name = self.required(t, &span, path, "name");
        let name = self.string(name, &p("name")).unwrap_or_default();
        let studio_value = self.required(t, &span, path, "studio");
        let studio = self.named(
            studio_value,
            &p("studio"),
            Studio::from_name,
            "image, video, music, voice, text or edit",
        );
        let tier = self.required(t, &span, path, "tier");
        let tier = self.string(tier, &p("tier")).unwrap_or_default();
        let meter_value = self.required(t, &span, path, "meter");
        let meter = self.named(
            meter_value,
            &p("meter"),
            Meter::from_name,
            "image, second, character, token, megapixel or call",
        );
        let price = self.required(t, &span, path, "price");
        let price = self.uint(price, &p("price")).unwrap_or(0);
        let per = self.get(t, path, "per");
        let per = if per.is_some() {
            self.uint(per, &p("per")).unwrap_or(1)
        } else {
            1
        };
        let minimum = self.get(t, path, "minimum");
        let minimum = self.uint(minimum, &p("minimum")).unwrap_or(0);

        let quantity_value = self.get(t, path, "quantity");
        let quantity = self
            .table(quantity_value, &p("quantity"))
            .map(|(q, q_span)| {
                let qp = p("quantity");
                self.check_keys(q, &qp, &["min", "max", "default"]);
                let min = self.get(q, &qp, "min");
                let min = if min.is_some() {
                    self.uint(min, &join(&qp, "min")).unwrap_or(1)
                } else {
                    1
                };
                let max = self.required(q, &q_span, &qp, "max");
                let max = self.uint(max, &join(&qp, "max")).unwrap_or(min);
                let default = self.get(q, &qp, "default");
                let default = self.uint(default, &join(&qp, "default"));
                QuantityLimits { min, max, default }
            });

        let outputs_value = self.get(t, path, "outputs");
        let outputs = match self.table(outputs_value, &p("outputs")) {
            Some((o, _)) => {
                let op = p("outputs");
                self.check_keys(o, &op, &["max", "default"]);
                let max = self.get(o, &op, "max");
                let max = self.uint(max, &join(&op, "max")).unwrap_or(1);
                let default = self.get(o, &op, "default");
                let default = self.uint(default, &join(&op, "default")).unwrap_or(1);
                OutputLimits { max, default }
            }
            None => OutputLimits::default(),
        };

        let resolutions_value = self.get(t, path, "resolutions");
        let resolutions = match self.table(resolutions_value, &p("resolutions")) {
            Some((r, _)) => self.multipliers(r, &p("resolutions")),
            None => BTreeMap::new(),
        };
        let default_resolution = self.get(t, path, "default_resolution");
        let default_resolution = self.string(default_resolution, &p("default_resolution"));

        let mut options = BTreeMap::new();
        let options_value = self.get(t, path, "options");
        if let Some((o, _)) = self.table(options_value, &p("options")) {
            for (name, value) in o.iter() {
                let op = join(&p("options"), name.get_ref());
                self.spans.insert(op.clone(), value.span());
                let Some((ot, ot_span)) = self.table(Some(value), &op) else {
                    continue;
                };
                self.check_keys(ot, &op, &["default", "values"]);
                let default = self.required(ot, &ot_span, &op, "default");
                let default = self
                    .option_value(default, &join(&op, "default"))
                    .unwrap_or_default();
                let values = self.required(ot, &ot_span, &op, "values");
                let values = match self.table(values, &join(&op, "values")) {
                    Some((v, _)) => self.multipliers(v, &join(&op, "values")),
                    None => BTreeMap::new(),
                };
                options.insert(
                    name.get_ref().as_ref().into(),
                    ProductOption { default, values },
                );
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

    fn named<T>(
        &mut self,
        value: Option<&Value<'_>>,
        path: &str,
        parse: fn(&str) -> Option<T>,
        expected: &str,
    ) -> Option<T> {
        let span = value.map(|v| v.span()).unwrap_or_default();
        let name = self.string(value, path)?;
        let parsed = parse(&name);
        if parsed.is_none() {
            self.error(
                span,
                path,
                format!("unknown value {} (expected {expected})", echo(&name)),
            );
        }
        parsed
    }

    /// An option's default: a string, or an integer or boolean taken as its text.
    fn option_value(&mut self, value: Option<&Value<'_>>, path: &str) -> Option<String> {
        let value = value?;
        match value.get_ref() {
            DeValue::Integer(i) if i.radix() == 10 => {
                Some(i.as_str().trim_start_matches('+').to_string())
            }
            DeValue::Boolean(b) => Some(b.to_string()),
            _ => self.string(Some(value), path),
        }
    }

    fn multipliers(&mut self, table: &DeTable<'_>, path: &str) -> BTreeMap<Arc<str>, Multiplier> {
        let mut out = BTreeMap::new();
        for (key, value) in table.iter() {
            let kp = join(path, key.get_ref());
            self.spans.insert(kp.clone(), value.span());
            // An invalid multiplier keeps its key (as 1) so that a default
            // naming it is not reported twice.
            let m = self.multiplier(value, &kp);
            out.insert(key.get_ref().as_ref().into(), m);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"
id = "t"
version = "1"
decimals = 0
rounding = "up"
tiers = ["basic", "pro"]

[[products]]
id = "video/clip"
name = "Clip"
studio = "video"
tier = "pro"
meter = "second"
price = 10
quantity = { min = 1, max = 10, default = 5 }
resolutions = { "720p" = 1, "1080p" = 1.5 }
default_resolution = "720p"
options.audio = { default = "off", values = { off = 1, on = 1.25 } }
"#;

    fn errors(text: &str) -> Vec<String> {
        match load(text, "c.toml") {
            Ok(_) => Vec::new(),
            Err(e) => e.diagnostics().iter().map(|d| d.to_string()).collect(),
        }
    }

    #[test]
    fn a_good_catalog_loads() {
        let catalog = load(GOOD, "c.toml").unwrap();
        let p = catalog.product("video/clip").unwrap();
        assert_eq!(p.resolutions["1080p"].to_string(), "1.5");
        assert_eq!(p.options["audio"].values["on"].ten_thousandths(), 12_500);
        assert_eq!(
            p.quantity,
            Some(QuantityLimits {
                min: 1,
                max: 10,
                default: Some(5)
            })
        );
    }

    #[test]
    fn line_and_column_are_one_based_characters() {
        assert_eq!(line_col("ab\ncdé\nx", 0), (1, 1));
        assert_eq!(line_col("ab\ncdé\nx", 4), (2, 2));
        assert_eq!(line_col("ab\ncdé\nx", 8), (3, 1));
    }

    #[test]
    fn unknown_key_is_located_at_the_key() {
        let text = GOOD.replace("price = 10", "price = 10\ncolour = \"red\"");
        let found = errors(&text);
        assert_eq!(found.len(), 1, "{found:#?}");
        assert!(
            found[0].starts_with("c.toml:15:1: unknown key \"colour\" in products[0]"),
            "{}",
            found[0]
        );
    }

    #[test]
    fn negative_price_is_located_at_the_value() {
        let found = errors(&GOOD.replace("price = 10", "price = -10"));
        assert_eq!(
            found,
            ["c.toml:14:9: products[0].price: must not be negative, found -10"]
        );
    }

    #[test]
    fn inexact_multiplier_is_reported_with_its_text() {
        let found = errors(&GOOD.replace("1.5 }", "1.23456 }"));
        assert_eq!(found.len(), 1, "{found:#?}");
        assert!(
            found[0].contains("multiplier \"1.23456\" has more than 4 decimal places"),
            "{}",
            found[0]
        );
    }

    #[test]
    fn syntax_errors_are_located() {
        let found = errors("id = \"t\"\nversion = \n");
        assert!(
            found.iter().any(|m| m.starts_with("c.toml:2:")),
            "{found:#?}"
        );
    }

    #[test]
    fn missing_keys_are_reported() {
        let found = errors(&GOOD.replace("tier = \"pro\"\n", ""));
        assert_eq!(found.len(), 1, "{found:#?}");
        assert!(
            found[0].contains("missing key `tier` in products[0]"),
            "{}",
            found[0]
        );
    }

    #[test]
    fn a_catalog_with_five_mistakes_reports_five_locations() {
        let text = GOOD
            .replace("name = \"Clip\"", "name = \"Clip\"\nflavour = 1")
            .replace("price = 10", "price = -10")
            .replace(
                "default_resolution = \"720p\"",
                "default_resolution = \"4k\"",
            )
            .replace("on = 1.25", "on = 1.25001")
            + "\n[[products]]\nid = \"video/clip\"\nname = \"Again\"\nstudio = \"video\"\ntier = \"pro\"\nmeter = \"call\"\nprice = 1\n";
        let found = errors(&text);
        assert_eq!(found.len(), 5, "{found:#?}");
        for line in &found {
            let mut parts = line.splitn(4, ':');
            assert_eq!(parts.next(), Some("c.toml"));
            assert!(parts.next().unwrap().parse::<usize>().is_ok(), "{line}");
            assert!(parts.next().unwrap().parse::<usize>().is_ok(), "{line}");
        }
    }

    #[test]
    fn key_order_and_whitespace_do_not_change_the_fingerprint() {
        let a = load(GOOD, "a").unwrap();
        let reordered = r#"
tiers = [ "basic",   "pro" ]
rounding   = "up"
version = "1"
id = "t"

[[products]]
options.audio = { values = { on = 1.2500, off = 1.0 }, default = "off" }
default_resolution = "720p"
resolutions = { "1080p" = "1.5", "720p" = 1 }
quantity = { default = 5, max = 10, min = 1 }
price = 10
meter = "second"
tier = "pro"
studio = "video"
name = "Clip"
id = "video/clip"
"#;
        let b = load(reordered, "b").unwrap();
        assert_eq!(a.fingerprint(), b.fingerprint());
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
