//! Semantic checks shared by every way of building a catalog, and the
//! diagnostics they produce.
//!
//! Checks work on [`CatalogSpec`] and blame a [`Path`]. The TOML loader turns
//! paths into `FILE:LINE:COL` with the spans it recorded; the JSON loader
//! prints the path itself (`products[3].defaultResolution`).

use super::{CatalogSpec, MAX_DECIMALS, Product};
use crate::error::{ErrorCode, echo, list_keys};
use crate::money::MAX_AMOUNT;
use std::fmt;

#[cfg(feature = "plans")]
mod plans;

/// Largest output count a product may allow in one request.
pub const MAX_OUTPUTS: u64 = 1_000;

/// One segment of a path into the catalog.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum Seg {
    /// A schema field, written in `snake_case`.
    Field(&'static str),
    /// A key chosen by the catalog's author (a resolution, an option name).
    Key(String),
    /// A position in a list.
    Index(usize),
}

/// A path into the catalog.
pub(crate) type Path = Vec<Seg>;

/// Renders a path, with schema fields in `snake_case` (TOML) or `camelCase`
/// (JSON).
pub(crate) fn render(path: &[Seg], camel: bool) -> String {
    let mut out = String::new();
    for seg in path {
        match seg {
            Seg::Field(name) => {
                if !out.is_empty() {
                    out.push('.');
                }
                if camel {
                    out.push_str(&to_camel(name));
                } else {
                    out.push_str(name);
                }
            }
            Seg::Key(key) => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(key);
            }
            Seg::Index(i) => {
                out.push('[');
                out.push_str(&i.to_string());
                out.push(']');
            }
        }
    }
    out
}

fn to_camel(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut upper = false;
    for c in name.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            // Schema names are ASCII; `char::to_uppercase` would bring
            // Unicode's case tables (12 KB) into the browser build.
            out.push(c.to_ascii_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

/// A problem found in a catalog, before it is given a location.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Finding {
    pub path: Path,
    pub message: String,
}

impl Finding {
    pub(crate) fn render_json(self) -> Diagnostic {
        let path = render(&self.path, true);
        Diagnostic {
            message: self.message,
            path: (!path.is_empty()).then_some(path),
            location: None,
        }
    }
}

/// Where in a source file a diagnostic points.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    /// The file name as given to the loader.
    pub file: String,
    /// 1-based line.
    pub line: usize,
    /// 1-based column, in characters.
    pub column: usize,
}

/// One problem in a catalog: a message and, when known, the path of the
/// offending field and its location in the source file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// What is wrong.
    pub message: String,
    /// Path of the offending field, when one is to blame.
    pub path: Option<String>,
    /// `FILE:LINE:COL` of the offending text, for catalogs read from a file.
    pub location: Option<Location>,
}

impl Diagnostic {
    pub(crate) fn message_only(message: String) -> Diagnostic {
        Diagnostic {
            message,
            path: None,
            location: None,
        }
    }
}

impl fmt::Display for Diagnostic {
    /// `FILE:LINE:COL: message` when located, `path: message` otherwise.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.location, &self.path) {
            (Some(l), _) => write!(f, "{}:{}:{}: {}", l.file, l.line, l.column, self.message),
            (None, Some(p)) => write!(f, "{p}: {}", self.message),
            (None, None) => f.write_str(&self.message),
        }
    }
}

/// A catalog that could not be loaded, with every problem found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CatalogError {
    code: ErrorCode,
    diagnostics: Vec<Diagnostic>,
}

impl CatalogError {
    pub(crate) fn new(diagnostics: Vec<Diagnostic>) -> CatalogError {
        CatalogError {
            code: ErrorCode::InvalidCatalog,
            diagnostics,
        }
    }

    /// An `io` error: the catalog could not be read.
    pub fn io(message: String) -> CatalogError {
        CatalogError {
            code: ErrorCode::Io,
            diagnostics: vec![Diagnostic::message_only(message)],
        }
    }

    pub(crate) fn fingerprint_mismatch(stated: &str, actual: &str) -> CatalogError {
        CatalogError {
            code: ErrorCode::FingerprintMismatch,
            diagnostics: vec![Diagnostic {
                message: format!(
                    "stated fingerprint {} does not match the content ({actual})",
                    echo(stated)
                ),
                path: Some("fingerprint".into()),
                location: None,
            }],
        }
    }

    /// `invalid_catalog`, `fingerprint_mismatch` or `io`.
    pub fn code(&self) -> ErrorCode {
        self.code
    }

    /// Every problem found, in source order where known.
    pub fn diagnostics(&self) -> &[Diagnostic] {
        &self.diagnostics
    }
}

impl fmt::Display for CatalogError {
    /// One diagnostic per line.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, d) in self.diagnostics.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            write!(f, "{d}")?;
        }
        Ok(())
    }
}

impl std::error::Error for CatalogError {}

/// Whether `text` is a lower-case slug: `[a-z0-9][a-z0-9._-]*`.
pub(crate) fn is_slug(text: &str) -> bool {
    let mut bytes = text.bytes();
    matches!(bytes.next(), Some(b'a'..=b'z' | b'0'..=b'9'))
        && bytes.all(|b| matches!(b, b'a'..=b'z' | b'0'..=b'9' | b'.' | b'_' | b'-'))
}

#[cfg(test)]
thread_local! {
    /// How many times this thread ran [`validate`]: tests check that a
    /// load validates once.
    pub(crate) static RUNS: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// A wallet policy's text (a path or a message) with its field names as the
/// catalog's format writes them: as is for JSON (`camel`), `snake_case` for
/// TOML. Only TOML builds (`native`) have anything to translate; the browser
/// build leaves the string searcher out.
fn snake_policy_names(text: String, camel: bool) -> String {
    #[cfg(feature = "native")]
    if !camel {
        return text
            .replace("burnOrder", "burn_order")
            .replace("perSeat", "per_seat");
    }
    let _ = camel;
    text
}

/// Runs every semantic check and returns all findings (empty when valid).
/// `camel` tells the format the findings will be shown in: schema fields
/// are `camelCase` in JSON (`true`) and `snake_case` in TOML. Paths render
/// either way; messages that must name a field say it in words ("default
/// resolution"), except those of the wallet policy, which are in JSON's
/// names and are translated here for TOML.
pub(crate) fn validate(spec: &CatalogSpec, camel: bool) -> Vec<Finding> {
    #[cfg(test)]
    RUNS.with(|runs| runs.set(runs.get() + 1));
    let mut out = Vec::new();
    let mut report = |path: Path, message: String| out.push(Finding { path, message });

    if spec.id.trim().is_empty() {
        report(
            vec![Seg::Field("id")],
            "catalog id must not be empty".into(),
        );
    }
    if spec.version.trim().is_empty() {
        report(
            vec![Seg::Field("version")],
            "catalog version must not be empty".into(),
        );
    }
    if spec.unit.trim().is_empty() {
        report(vec![Seg::Field("unit")], "unit must not be empty".into());
    }
    if spec
        .unit_singular
        .as_ref()
        .is_some_and(|s| s.trim().is_empty())
    {
        report(
            vec![Seg::Field("unit_singular")],
            "the unit's singular must not be empty".into(),
        );
    }
    if spec.decimals > MAX_DECIMALS {
        report(
            vec![Seg::Field("decimals")],
            format!(
                "decimals must be at most {MAX_DECIMALS}, found {}",
                spec.decimals
            ),
        );
    }
    if spec.tiers.is_empty() {
        report(
            vec![Seg::Field("tiers")],
            "tiers must list at least one tier".into(),
        );
    }
    for (i, tier) in spec.tiers.iter().enumerate() {
        let path = vec![Seg::Field("tiers"), Seg::Index(i)];
        if !is_slug(tier) {
            report(
                path,
                format!("tier {} must be a lower-case slug", echo(tier)),
            );
        } else if spec.tiers.iter().take(i).any(|t| t == tier) {
            report(path, format!("duplicate tier {}", echo(tier)));
        }
    }
    if let Err(e) = spec.wallet.validate() {
        // The policy names its fields as JSON does (`burnOrder[1]`); in
        // TOML they are `snake_case`. Its path joins the catalog's, so the
        // TOML reader locates it at the value.
        let names = |text: String| snake_policy_names(text, camel);
        let mut path = vec![Seg::Field("wallet")];
        if let Some(at) = e.path {
            path.push(Seg::Key(names(at)));
        }
        let message = names(e.message);
        report(path, message);
    }
    if spec.products.is_empty() {
        report(
            vec![Seg::Field("products")],
            "the catalog has no products".into(),
        );
    }
    let first = first_with_same_id(&spec.products);
    for (i, product) in spec.products.iter().enumerate() {
        let at =
            |field: &'static str| vec![Seg::Field("products"), Seg::Index(i), Seg::Field(field)];
        if let Some(&Some(j)) = first.get(i) {
            report(
                at("id"),
                format!(
                    "duplicate product id {} (first at products[{j}])",
                    echo(&product.id)
                ),
            );
        }
        check_product(spec, product, i, &mut report);
    }
    #[cfg(feature = "plans")]
    plans::check(spec, &mut report);
    out
}

/// For each product, the index of the first product with the same id
/// when that is an earlier one. Natively sorted, not hashed (hashing would
/// add SipHash and hashbrown to the browser build), and not a scan of the
/// earlier products, which is quadratic: 50,000 products took 90 s. The
/// browser build keeps the scan ([`first_with_same_id_scan`]): one more
/// sort instance there cost 405 bytes of its 64 KiB gzip budget, and the
/// catalogs a page loads come from its own server, already checked by it.
#[cfg(feature = "native")]
fn first_with_same_id(products: &[Product]) -> Vec<Option<usize>> {
    let mut order: Vec<usize> = (0..products.len()).collect();
    let id = |i: usize| products.get(i).map(|p| &*p.id);
    // Ties broken by position, so the order is total and each run of one
    // id starts with its first occurrence.
    crate::sort_unique_by(&mut order, |&a, &b| (id(a), a) < (id(b), b));
    let mut first = vec![None; products.len()];
    let mut run: Option<usize> = None;
    for pair in order.windows(2) {
        if let [a, b] = *pair {
            if id(a) == id(b) {
                let start = *run.get_or_insert(a);
                if let Some(slot) = first.get_mut(b) {
                    *slot = Some(start);
                }
            } else {
                run = None;
            }
        }
    }
    first
}

/// What [`first_with_same_id`] answers, by scanning the earlier products
/// (quadratic; the browser build's choice, see there).
#[cfg(any(not(feature = "native"), test))]
fn first_with_same_id_scan(products: &[Product]) -> Vec<Option<usize>> {
    products
        .iter()
        .enumerate()
        .map(|(i, product)| products.iter().take(i).position(|p| p.id == product.id))
        .collect()
}

#[cfg(not(feature = "native"))]
use first_with_same_id_scan as first_with_same_id;

fn check_product(spec: &CatalogSpec, p: &Product, i: usize, report: &mut impl FnMut(Path, String)) {
    let at = |fields: &[Seg]| {
        let mut path = vec![Seg::Field("products"), Seg::Index(i)];
        path.extend_from_slice(fields);
        path
    };
    let field = |name: &'static str| at(&[Seg::Field(name)]);

    match p.id.split_once('/') {
        Some((studio, slug)) if is_slug(slug) => {
            if studio != p.studio.as_str() {
                report(
                    field("id"),
                    format!(
                        "product id {} must start with its studio, \"{}/\"",
                        echo(&p.id),
                        p.studio.as_str()
                    ),
                );
            }
        }
        _ => report(
            field("id"),
            format!(
                "product id {} must look like \"<studio>/<slug>\" (video/veo-3)",
                echo(&p.id)
            ),
        ),
    }
    if p.name.trim().is_empty() {
        report(field("name"), "name must not be empty".into());
    }
    if !spec.tiers.iter().any(|t| **t == *p.tier) {
        report(
            field("tier"),
            format!(
                "tier {} is not one of the catalog's tiers ({})",
                echo(&p.tier),
                crate::error::list(spec.tiers.iter().map(|t| &**t))
            ),
        );
    }
    if p.price > MAX_AMOUNT {
        report(
            field("price"),
            format!("price must be at most {MAX_AMOUNT}"),
        );
    }
    if p.minimum > MAX_AMOUNT {
        report(
            field("minimum"),
            format!("minimum must be at most {MAX_AMOUNT}"),
        );
    }
    if !(0..=6).any(|e| 10u64.pow(e) == p.per) {
        report(
            field("per"),
            format!("per must be 1, 10, 100 … 1000000, found {}", p.per),
        );
    }
    match (p.meter.quantity_field(), &p.quantity) {
        (Some(_), None) => report(
            field("quantity"),
            format!("a per-{} product needs quantity limits", p.meter.as_str()),
        ),
        (None, Some(_)) => report(
            field("quantity"),
            format!(
                "quantity does not apply to a per-{} product (use outputs)",
                p.meter.as_str()
            ),
        ),
        (Some(name), Some(q)) => {
            if q.min > q.max {
                report(
                    field("quantity"),
                    format!("{name}: min {} is above max {}", q.min, q.max),
                );
            }
            if q.max > MAX_AMOUNT {
                report(
                    field("quantity"),
                    format!("{name}: max must be at most {MAX_AMOUNT}"),
                );
            }
            if let Some(d) = q.default {
                if d < q.min || d > q.max {
                    report(
                        field("quantity"),
                        format!("{name}: default {d} is outside {}..={}", q.min, q.max),
                    );
                } else if q.step > 0 && (d - q.min) % q.step != 0 {
                    report(
                        field("quantity"),
                        format!(
                            "{name}: default {d} is not min {} plus a multiple of step {}",
                            q.min, q.step
                        ),
                    );
                }
            }
            if q.step == 0 {
                report(
                    field("quantity"),
                    format!("{name}: step must be at least 1"),
                );
            } else if q.min <= q.max && (q.max - q.min) % q.step != 0 {
                report(
                    field("quantity"),
                    format!(
                        "{name}: max {} is not min {} plus a multiple of step {}",
                        q.max, q.min, q.step
                    ),
                );
            }
        }
        (None, None) => {}
    }
    if p.outputs.max == 0 || p.outputs.max > MAX_OUTPUTS {
        report(
            field("outputs"),
            format!(
                "outputs.max must be 1..={MAX_OUTPUTS}, found {}",
                p.outputs.max
            ),
        );
    } else if p.outputs.default == 0 || p.outputs.default > p.outputs.max {
        report(
            field("outputs"),
            format!(
                "outputs.default {} is outside 1..={}",
                p.outputs.default, p.outputs.max
            ),
        );
    }
    for key in p.resolutions.keys() {
        if key.is_empty() || key.len() > 32 {
            report(
                field("resolutions"),
                format!("resolution name {} must be 1–32 bytes", echo(key)),
            );
        }
    }
    match (&p.default_resolution, p.resolutions.is_empty()) {
        (Some(d), false) if !p.resolutions.contains_key(d.as_str()) => report(
            field("default_resolution"),
            format!(
                "default resolution {} is not listed in resolutions ({})",
                echo(d),
                spec.list_resolutions(p)
            ),
        ),
        (Some(_), true) => report(
            field("default_resolution"),
            "a default resolution is set but the product lists no resolutions".into(),
        ),
        (None, false) => report(
            field("resolutions"),
            "a product with resolutions needs a default resolution".into(),
        ),
        _ => {}
    }
    for (name, option) in &p.options {
        let opt = |f: &'static str| {
            at(&[
                Seg::Field("options"),
                Seg::Key(name.to_string()),
                Seg::Field(f),
            ])
        };
        if !is_slug(name) || name.len() > 32 {
            report(
                at(&[Seg::Field("options"), Seg::Key(name.to_string())]),
                format!(
                    "option name {} must be a lower-case slug of at most 32 bytes",
                    echo(name)
                ),
            );
        }
        if option.values.is_empty() {
            report(
                opt("values"),
                format!("option {} has no values", echo(name)),
            );
        } else if !option.values.contains_key(option.default.as_str()) {
            report(
                opt("default"),
                format!(
                    "default {} of option {} is not one of its values ({})",
                    echo(&option.default),
                    echo(name),
                    list_keys(&option.values)
                ),
            );
        }
        for value in option.values.keys() {
            if value.is_empty() || value.len() > 32 {
                report(
                    opt("values"),
                    format!("option value {} must be 1–32 bytes", echo(value)),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::tests::sample_spec;

    fn messages(spec: &CatalogSpec) -> Vec<String> {
        validate(spec, false)
            .into_iter()
            .map(|f| format!("{}: {}", render(&f.path, false), f.message))
            .collect()
    }

    #[test]
    fn a_duplicate_id_names_its_first_occurrence_among_many_products() {
        let mut spec = sample_spec();
        let template = spec.products[0].clone();
        spec.products = (0..20_000)
            .map(|i| {
                let mut p = template.clone();
                // Ids 0..9999 twice over, and "image/p7" a third time.
                p.id = format!("image/p{}", if i == 19_999 { 7 } else { i % 10_000 }).into();
                p
            })
            .collect();
        let first = first_with_same_id(&spec.products);
        // The browser build's scan answers the same (on fewer products: it
        // is quadratic).
        // Every tenth product: 2,000 of them, each id twice, 1,000 apart.
        let prefix: Vec<Product> = spec.products.iter().step_by(10).cloned().collect();
        let answer = first_with_same_id(&prefix);
        assert_eq!(answer.iter().filter(|f| f.is_some()).count(), 1_000);
        assert_eq!(first_with_same_id_scan(&prefix), answer);
        let mut reversed = prefix.clone();
        reversed.reverse();
        assert_eq!(
            first_with_same_id_scan(&reversed),
            first_with_same_id(&reversed)
        );
        assert_eq!(first[7], None);
        assert_eq!(first[10_007], Some(7));
        assert_eq!(first[19_999], Some(7));
        assert_eq!(first[12_345], Some(2_345));
        assert_eq!(first.iter().filter(|f| f.is_some()).count(), 10_000);
        let found = messages(&spec);
        assert!(
            found.iter().any(|m| m
                == "products[19999].id: duplicate product id \"image/p7\" (first at products[7])"),
            "{:?}",
            found.iter().take(3).collect::<Vec<_>>()
        );
    }

    #[test]
    fn the_sample_catalog_is_valid() {
        assert_eq!(messages(&sample_spec()), Vec::<String>::new());
    }

    #[test]
    fn every_problem_is_reported_not_just_the_first() {
        let mut spec = sample_spec();
        spec.products[0].default_resolution = Some("4k".into());
        spec.products[1].id = "video/clip".into();
        spec.products[1].tier = "ultra".into();
        spec.products[1].per = 3;
        let found = messages(&spec);
        assert_eq!(found.len(), 5, "{found:#?}");
        assert!(found[0].starts_with("products[0].default_resolution: default resolution \"4k\""));
        assert!(
            found
                .iter()
                .any(|m| m.starts_with("products[1].id: duplicate product id"))
        );
        assert!(found.iter().any(|m| {
            m.starts_with("products[1].id: product id \"video/clip\" must start with its studio")
        }));
        assert!(found.iter().any(|m| m.starts_with("products[1].tier:")));
        assert!(found.iter().any(|m| m.starts_with("products[1].per:")));
    }

    #[test]
    fn empty_product_list_is_an_error() {
        let mut spec = sample_spec();
        spec.products.clear();
        assert_eq!(messages(&spec), ["products: the catalog has no products"]);
    }

    #[test]
    fn quantity_limits_must_fit_the_meter() {
        let mut spec = sample_spec();
        spec.products[0].quantity = None;
        spec.products[1].quantity = Some(crate::catalog::QuantityLimits {
            min: 1,
            max: 2,
            default: None,
            step: 1,
        });
        let found = messages(&spec);
        assert_eq!(found.len(), 2, "{found:#?}");
    }

    #[test]
    fn option_defaults_must_be_listed() {
        let mut spec = sample_spec();
        spec.products[0].options.insert(
            "quality".into(),
            crate::catalog::ProductOption {
                default: "ultra".into(),
                values: [("high".into(), crate::Multiplier::ONE)].into(),
            },
        );
        assert_eq!(
            messages(&spec),
            [
                "products[0].options.quality.default: default \"ultra\" of option \"quality\" is not one of its values (high)"
            ]
        );
    }

    #[test]
    fn paths_render_in_camel_case_for_json() {
        let path = vec![
            Seg::Field("products"),
            Seg::Index(2),
            Seg::Field("default_resolution"),
        ];
        assert_eq!(render(&path, true), "products[2].defaultResolution");
        assert_eq!(render(&path, false), "products[2].default_resolution");
    }

    #[test]
    fn slugs() {
        assert!(is_slug("veo-3"));
        assert!(is_slug("flux.1_pro"));
        assert!(!is_slug("Veo"));
        assert!(!is_slug("-veo"));
        assert!(!is_slug(""));
    }
}
