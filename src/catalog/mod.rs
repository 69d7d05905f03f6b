//! The catalog: products (models and edit operations) with their prices,
//! meters, multipliers and limits, plus the catalog-wide unit, decimals and
//! rounding rule.
//!
//! A [`Catalog`] is always valid: the only ways to get one are
//! `Catalog::from_toml` (native builds, with `FILE:LINE:COL` diagnostics),
//! [`Catalog::from_json_value`] (the canonical JSON form a browser loads) and
//! [`Catalog::new`], and all three run the same semantic checks. TOML and
//! JSON go through one reader (`reader.rs`, with one file a section under
//! `reader/`), which reports every structural
//! mistake at once, each with its path, instead of stopping at the first.
//!
//! Its **fingerprint** is `sha256:` + the hex SHA-256 of the canonical JSON
//! form: object keys sorted, no
//! whitespace, products sorted by id, multipliers as canonical decimal
//! strings. Two parties holding catalogs with the same fingerprint price
//! every request identically.

mod fingerprint;
mod ladder;
#[cfg(feature = "plans")]
mod plan;
mod reader;
#[cfg(feature = "native")]
mod toml_source;
mod validate;

pub use fingerprint::canonical_fnv1a;
#[cfg(feature = "plans")]
pub use plan::{
    Addon, Billing, Cycle, Limits, Pack, PackExpiry, Plan, Seats, currency_decimals, format_money,
};
pub use validate::{CatalogError, Diagnostic};

use crate::money::{Multiplier, Rounding};
use crate::wallet::WalletPolicy;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::Arc;

/// Which studio of the app a product belongs to. Product ids start with it
/// (`video/veo-3`).
#[cfg_attr(feature = "wasm", derive(tsify::Tsify))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Studio {
    /// Still images.
    Image,
    /// Video clips.
    Video,
    /// Music tracks.
    Music,
    /// Speech and voices.
    Voice,
    /// Text (prompts, scripts, drafts).
    Text,
    /// Edit operations on existing media (upscale, inpaint, …).
    Edit,
}

/// Written as its wire name ([`Studio::as_str`]), so the browser build
/// carries one copy of the names.
impl Serialize for Studio {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl Studio {
    /// All studios, in declaration order.
    pub const ALL: [Studio; 6] = [
        Studio::Image,
        Studio::Video,
        Studio::Music,
        Studio::Voice,
        Studio::Text,
        Studio::Edit,
    ];

    /// The wire name (`"video"`).
    pub fn as_str(self) -> &'static str {
        match self {
            Studio::Image => "image",
            Studio::Video => "video",
            Studio::Music => "music",
            Studio::Voice => "voice",
            Studio::Text => "text",
            Studio::Edit => "edit",
        }
    }

    /// Parses a wire name.
    pub fn from_name(name: &str) -> Option<Studio> {
        Studio::ALL.into_iter().find(|s| s.as_str() == name)
    }
}

/// What a product's price is per: the unit that the request's quantity counts.
#[cfg_attr(feature = "wasm", derive(tsify::Tsify))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Meter {
    /// Per generated image (the quantity is the output count).
    Image,
    /// Per second of audio or video (request field `seconds`).
    Second,
    /// Per character of input text (request field `characters`).
    Character,
    /// Per token (request field `tokens`).
    Token,
    /// Per megapixel of output (request field `megapixels`).
    Megapixel,
    /// Per call (the quantity is the output count).
    Call,
}

/// Written as its wire name ([`Meter::as_str`]), so the browser build
/// carries one copy of the names.
impl Serialize for Meter {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl Meter {
    /// All meters, in declaration order.
    pub const ALL: [Meter; 6] = [
        Meter::Image,
        Meter::Second,
        Meter::Character,
        Meter::Token,
        Meter::Megapixel,
        Meter::Call,
    ];

    /// The wire name (`"second"`).
    pub fn as_str(self) -> &'static str {
        match self {
            Meter::Image => "image",
            Meter::Second => "second",
            Meter::Character => "character",
            Meter::Token => "token",
            Meter::Megapixel => "megapixel",
            Meter::Call => "call",
        }
    }

    /// Parses a wire name.
    pub fn from_name(name: &str) -> Option<Meter> {
        Meter::ALL.into_iter().find(|m| m.as_str() == name)
    }

    /// The request field that carries this meter's quantity, or `None` for
    /// meters counted by outputs alone (`image`, `call`).
    pub fn quantity_field(self) -> Option<&'static str> {
        match self {
            Meter::Second => Some("seconds"),
            Meter::Character => Some("characters"),
            Meter::Token => Some("tokens"),
            Meter::Megapixel => Some("megapixels"),
            Meter::Image | Meter::Call => None,
        }
    }
}

/// Bounds (inclusive) and default for a product's metered quantity: seconds
/// for a per-second product, characters for a per-character one, and so on.
#[cfg_attr(feature = "wasm", derive(tsify::Tsify))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct QuantityLimits {
    /// Smallest accepted quantity.
    pub min: u64,
    /// Largest accepted quantity.
    pub max: u64,
    /// Quantity used when the request gives none; `None` makes it required.
    pub default: Option<u64>,
    /// Accepted quantities are `min`, `min + step`, … up to `max` (1 = any
    /// whole number; 5 with 5 … 10 = "5 s or 10 s clips").
    pub step: u64,
}

/// How many outputs (images, clips, variants) one request may ask for.
#[cfg_attr(feature = "wasm", derive(tsify::Tsify))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct OutputLimits {
    /// Largest accepted output count (at least 1).
    pub max: u64,
    /// Output count when the request gives none.
    pub default: u64,
}

impl Default for OutputLimits {
    fn default() -> Self {
        OutputLimits { max: 1, default: 1 }
    }
}

/// A named setting (quality, audio, fps …) whose values each carry a
/// multiplier.
#[cfg_attr(feature = "wasm", derive(tsify::Tsify))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ProductOption {
    /// The value used when the request does not set this option.
    pub default: String,
    /// Each allowed value and its multiplier.
    #[cfg_attr(feature = "wasm", tsify(type = "Record<string, Multiplier>"))]
    pub values: BTreeMap<Arc<str>, Multiplier>,
}

/// A product: a generation model or an edit operation, and how it is priced.
///
/// A line's exact amount is
/// `price × quantity × outputs × Π multipliers ÷ per`, rounded once by the
/// catalog's rule, then raised to `minimum` if below it.
#[cfg_attr(feature = "wasm", derive(tsify::Tsify))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Product {
    /// Unique id, `<studio>/<slug>` (`video/veo-3`).
    #[cfg_attr(feature = "wasm", tsify(type = "string"))]
    pub id: Arc<str>,
    /// Display name.
    pub name: String,
    /// The studio the product belongs to.
    pub studio: Studio,
    /// The product's tier; one of the catalog's `tiers`.
    #[cfg_attr(feature = "wasm", tsify(type = "string"))]
    pub tier: Arc<str>,
    /// What the price is per.
    pub meter: Meter,
    /// Price in smallest units for `per` metered units. May be 0.
    pub price: u64,
    /// How many metered units `price` buys: 1, 10, 100 … 1,000,000
    /// (a power of ten, so exact amounts are finite decimals).
    pub per: u64,
    /// Minimum charge for one line, in smallest units (0 for none).
    pub minimum: u64,
    /// Limits of the metered quantity; `None` for `image` and `call` meters.
    pub quantity: Option<QuantityLimits>,
    /// Output count limits.
    pub outputs: OutputLimits,
    /// Offered resolutions and their multipliers; empty when the product has
    /// no resolution setting.
    #[cfg_attr(feature = "wasm", tsify(type = "Record<string, Multiplier>"))]
    pub resolutions: BTreeMap<Arc<str>, Multiplier>,
    /// Resolution used when the request gives none; set exactly when
    /// `resolutions` is non-empty.
    pub default_resolution: Option<String>,
    /// Named options and their values' multipliers.
    #[cfg_attr(feature = "wasm", tsify(type = "Record<string, ProductOption>"))]
    pub options: BTreeMap<Arc<str>, ProductOption>,
}

/// Identity of the catalog a quote was priced with.
#[cfg_attr(feature = "wasm", derive(tsify::Tsify))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CatalogRef {
    /// Catalog id.
    pub id: String,
    /// Catalog version.
    pub version: String,
    /// `sha256:<hex>` of the canonical JSON form.
    pub fingerprint: String,
}

/// The catalog's content, without its fingerprint: what [`Catalog::new`]
/// takes and what the fingerprint hashes.
#[cfg_attr(feature = "wasm", derive(tsify::Tsify))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CatalogSpec {
    /// Catalog id (`"genprice-studio"`).
    pub id: String,
    /// Catalog version (`"2026.11.1"`).
    pub version: String,
    /// Name of the unit shown after amounts (`"credits"`): the plural, and
    /// the name quotes carry as `unit`.
    pub unit: String,
    /// The unit's singular (`"credit"`), shown after an amount of exactly
    /// one whole unit (`1 credit`; `1.00 credits` keeps the plural, as
    /// English does). `None` (omitted from the canonical JSON, so a catalog
    /// that does not name one keeps its fingerprint): [`unit`](Self::unit)
    /// is shown after every amount.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "wasm", tsify(optional))]
    pub unit_singular: Option<String>,
    /// Decimal places of the unit: amounts are integers of 10^-decimals units.
    pub decimals: u8,
    /// The one rounding rule, applied once per line.
    pub rounding: Rounding,
    /// Tier names, cheapest first.
    pub tiers: Vec<String>,
    /// The products.
    pub products: Vec<Product>,
    /// How a wallet spends and refills credits under this catalog: the burn
    /// order by source and the allowances a refill grants (the `[wallet]`
    /// section; empty by default).
    pub wallet: WalletPolicy,
    /// ISO 4217 code of the money plans and packs are priced in (`"USD"`);
    /// their prices are minor units (cents) of it.
    #[cfg(feature = "plans")]
    pub currency: String,
    /// Resolution names per studio, lowest first: the ladder a plan's
    /// `maxResolution` is measured on. Every resolution a product of that
    /// studio offers must be on it.
    #[cfg(feature = "plans")]
    #[cfg_attr(feature = "wasm", tsify(type = "Partial<Record<Studio, string[]>>"))]
    pub resolutions: BTreeMap<Studio, Vec<String>>,
    /// Subscription plans, in the order a pricing page lists them.
    #[cfg(feature = "plans")]
    pub plans: Vec<Plan>,
    /// Top-up packs.
    #[cfg(feature = "plans")]
    pub packs: Vec<Pack>,
    /// Recurring add-ons.
    #[cfg(feature = "plans")]
    pub addons: Vec<Addon>,
    /// Without the `plans` feature (the slim browser engine): `currency`,
    /// `resolutions`, `plans`, `packs` and `addons` exactly as given, kept
    /// so the fingerprint covers them; they are read and checked only by
    /// builds with plans.
    #[cfg(not(feature = "plans"))]
    #[serde(flatten)]
    #[cfg_attr(feature = "wasm", tsify(type = "Record<string, unknown>"))]
    pub commerce: BTreeMap<String, serde_json::Value>,
}

impl CatalogSpec {
    /// An amount for people: its decimals, a space, and the unit's name in
    /// the number's form — `"1 credit"` (with a singular), `"0 credits"`,
    /// `"12.50 credits"`. Quotes' `display` and the estimator's texts are
    /// written with it.
    pub fn show_amount(&self, amount: u64) -> String {
        let unit = match &self.unit_singular {
            Some(one) if amount == 1 && self.decimals == 0 => one,
            _ => &self.unit,
        };
        let mut text = crate::money::format_amount(amount, self.decimals);
        text.push(' ');
        text.push_str(unit);
        text
    }
}

/// A validated catalog with its fingerprint. Products are sorted by id.
#[cfg_attr(feature = "wasm", derive(tsify::Tsify))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Catalog {
    #[serde(flatten)]
    spec: CatalogSpec,
    fingerprint: String,
    /// Shared by every quote, so pricing does not copy three strings.
    #[serde(skip)]
    reference: Arc<CatalogRef>,
}

/// Largest `decimals` a catalog may declare.
pub const MAX_DECIMALS: u8 = 6;

impl Catalog {
    /// Validates `spec` and computes its fingerprint. Products are sorted by
    /// id. Fails with every problem found, each with a path.
    pub fn new(spec: CatalogSpec) -> Result<Catalog, CatalogError> {
        let diagnostics = validate::validate(&spec, true);
        if !diagnostics.is_empty() {
            return Err(CatalogError::new(
                diagnostics.into_iter().map(|d| d.render_json()).collect(),
            ));
        }
        Catalog::validated(spec, None)
    }

    /// Sorts and fingerprints a `spec` that `validate::validate` found no
    /// fault in: the loaders validate once themselves (to locate what they
    /// find in their own format), then call this, not [`Catalog::new`].
    /// `known`: the fingerprint, when a build already computed it (the
    /// bundled catalog, see [`Catalog::from_json_value_known`]).
    pub(crate) fn validated(
        mut spec: CatalogSpec,
        known: Option<String>,
    ) -> Result<Catalog, CatalogError> {
        // Ids are unique in a validated catalog: no ties to keep in order.
        crate::sort_unique_by(&mut spec.products, |a, b| a.id < b.id);
        let fingerprint = match known {
            Some(fingerprint) => fingerprint,
            None => fingerprint::fingerprint(&spec)?,
        };
        let reference = Arc::new(CatalogRef {
            id: spec.id.clone(),
            version: spec.version.clone(),
            fingerprint: fingerprint.clone(),
        });
        Ok(Catalog {
            spec,
            fingerprint,
            reference,
        })
    }

    /// Builds a catalog from its canonical JSON form (the output of
    /// `genprice catalog`), reporting every mistake with its `camelCase`
    /// path. When the value states a `fingerprint`, it must match the
    /// content, otherwise the error code is `fingerprint_mismatch`.
    pub fn from_json_value(value: serde_json::Value) -> Result<Catalog, CatalogError> {
        reader::load_json(&value, false)
    }

    /// [`Catalog::from_json_value`] for a build that knows one catalog: the
    /// browser engine's bundled catalog, which the build validated and
    /// fingerprinted, and whose canonical JSON text (fingerprint included)
    /// has the FNV-1a hash `known` ([`canonical_fnv1a`]). A `value` whose
    /// canonical text has that hash is only read, not validated or
    /// fingerprinted again; anything else, an edited copy included, is
    /// loaded as `from_json_value` loads it.
    ///
    /// FNV-1a guards against edits, not forgers: one who can edit the
    /// bundled catalog can edit the module that holds `known` as well.
    pub fn from_json_value_known(
        value: serde_json::Value,
        known: u64,
    ) -> Result<Catalog, CatalogError> {
        reader::load_json(&value, canonical_fnv1a(&value) == Some(known))
    }

    /// Parses the canonical JSON text of a catalog; see
    /// [`Catalog::from_json_value`]. Text that is not JSON is reported with
    /// serde_json's message.
    pub fn from_json_str(text: &str) -> Result<Catalog, CatalogError> {
        let value: serde_json::Value = serde_json::from_str(text).map_err(|e| {
            CatalogError::new(vec![Diagnostic::message_only(format!("catalog: {e}"))])
        })?;
        reader::load_json(&value, false)
    }

    /// Parses and validates a TOML catalog. `file` names the source in
    /// diagnostics (`pricing.toml:12:9: price must not be negative`).
    #[cfg(feature = "native")]
    pub fn from_toml(text: &str, file: &str) -> Result<Catalog, CatalogError> {
        toml_source::load(text, file)
    }

    /// The catalog's content.
    pub fn spec(&self) -> &CatalogSpec {
        &self.spec
    }

    /// Catalog id.
    pub fn id(&self) -> &str {
        &self.spec.id
    }

    /// Catalog version.
    pub fn version(&self) -> &str {
        &self.spec.version
    }

    /// `sha256:<hex>` of the canonical JSON form.
    pub fn fingerprint(&self) -> &str {
        &self.fingerprint
    }

    /// Id, version and fingerprint, as quotes carry them.
    pub fn reference(&self) -> Arc<CatalogRef> {
        Arc::clone(&self.reference)
    }

    /// Products, sorted by id.
    pub fn products(&self) -> &[Product] {
        &self.spec.products
    }

    /// The product with this id.
    pub fn product(&self, id: &str) -> Option<&Product> {
        let products = &self.spec.products;
        products
            .binary_search_by(|p| (*p.id).cmp(id))
            .ok()
            .and_then(|i| products.get(i))
    }

    /// The plan with this id.
    #[cfg(feature = "plans")]
    pub fn plan(&self, id: &str) -> Option<&Plan> {
        self.spec.plans.iter().find(|p| p.id == id)
    }

    /// The pack with this id.
    #[cfg(feature = "plans")]
    pub fn pack(&self, id: &str) -> Option<&Pack> {
        self.spec.packs.iter().find(|p| p.id == id)
    }

    /// The add-on with this id.
    #[cfg(feature = "plans")]
    pub fn addon(&self, id: &str) -> Option<&Addon> {
        self.spec.addons.iter().find(|a| a.id == id)
    }

    /// The canonical JSON text, fingerprint included: what a browser loads.
    ///
    /// A catalog that was built (its fingerprint is the hash of this very
    /// text) always has one; should it still fail to serialize, the error is
    /// `invalid_catalog` with serde_json's reason, never an empty text.
    pub fn to_canonical_json(&self) -> Result<String, CatalogError> {
        fingerprint::canonical_json_with(&self.spec, Some(&self.fingerprint))
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) fn sample_spec() -> CatalogSpec {
        let m = |s: &str| Multiplier::parse(s).unwrap();
        CatalogSpec {
            id: "test".into(),
            version: "1".into(),
            unit: "credits".into(),
            unit_singular: None,
            decimals: 0,
            rounding: Rounding::Up,
            tiers: vec!["basic".into(), "pro".into()],
            wallet: WalletPolicy::default(),
            #[cfg(feature = "plans")]
            currency: "USD".into(),
            #[cfg(feature = "plans")]
            resolutions: BTreeMap::new(),
            #[cfg(feature = "plans")]
            plans: vec![],
            #[cfg(feature = "plans")]
            packs: vec![],
            #[cfg(feature = "plans")]
            addons: vec![],
            #[cfg(not(feature = "plans"))]
            commerce: BTreeMap::new(),
            products: vec![
                Product {
                    id: "video/clip".into(),
                    name: "Clip".into(),
                    studio: Studio::Video,
                    tier: "pro".into(),
                    meter: Meter::Second,
                    price: 10,
                    per: 1,
                    minimum: 0,
                    quantity: Some(QuantityLimits {
                        min: 1,
                        max: 10,
                        default: Some(5),
                        step: 1,
                    }),
                    outputs: OutputLimits { max: 2, default: 1 },
                    resolutions: [("720p".into(), m("1")), ("1080p".into(), m("1.5"))].into(),
                    default_resolution: Some("720p".into()),
                    options: BTreeMap::new(),
                },
                Product {
                    id: "image/basic".into(),
                    name: "Basic".into(),
                    studio: Studio::Image,
                    tier: "basic".into(),
                    meter: Meter::Image,
                    price: 0,
                    per: 1,
                    minimum: 0,
                    quantity: None,
                    outputs: OutputLimits { max: 4, default: 1 },
                    resolutions: BTreeMap::new(),
                    default_resolution: None,
                    options: BTreeMap::new(),
                },
            ],
        }
    }

    #[test]
    fn new_sorts_products_and_looks_them_up() {
        let catalog = Catalog::new(sample_spec()).unwrap();
        let ids: Vec<_> = catalog.products().iter().map(|p| &*p.id).collect();
        assert_eq!(ids, ["image/basic", "video/clip"]);
        assert_eq!(catalog.product("video/clip").unwrap().price, 10);
        assert!(catalog.product("video/nope").is_none());
        assert!(catalog.fingerprint().starts_with("sha256:"));
    }

    #[test]
    fn json_round_trip_keeps_the_fingerprint() {
        let catalog = Catalog::new(sample_spec()).unwrap();
        let json: serde_json::Value =
            serde_json::from_str(&catalog.to_canonical_json().unwrap()).unwrap();
        let back = Catalog::from_json_value(json).unwrap();
        assert_eq!(back, catalog);
    }

    /// Issue 9, item 5: the canonical text is a `Result`, never `""`.
    #[test]
    fn canonical_json_is_the_text_the_fingerprint_hashes() {
        let catalog = Catalog::new(sample_spec()).unwrap();
        let text = catalog.to_canonical_json().unwrap();
        let mut value: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(value["fingerprint"], catalog.fingerprint());
        value.as_object_mut().unwrap().remove("fingerprint");
        let content = fingerprint::canonical_json(&value).unwrap();
        assert_eq!(
            fingerprint::fingerprint(catalog.spec()).unwrap(),
            catalog.fingerprint()
        );
        assert_eq!(
            content,
            fingerprint::canonical_json(catalog.spec()).unwrap()
        );
    }

    #[test]
    fn json_with_a_wrong_fingerprint_is_refused() {
        let catalog = Catalog::new(sample_spec()).unwrap();
        let mut json: serde_json::Value =
            serde_json::from_str(&catalog.to_canonical_json().unwrap()).unwrap();
        json["products"][0]["price"] = 1.into();
        let err = Catalog::from_json_value(json).unwrap_err();
        assert_eq!(err.code(), crate::ErrorCode::FingerprintMismatch);
    }

    /// Issue 9, item 4: every way of loading a catalog validates it once.
    #[test]
    fn each_load_validates_once() {
        let runs = || validate::RUNS.with(std::cell::Cell::get);
        let count = |load: &dyn Fn() -> Catalog| {
            let before = runs();
            load();
            runs() - before
        };
        let catalog = Catalog::new(sample_spec()).unwrap();
        let json: serde_json::Value =
            serde_json::from_str(&catalog.to_canonical_json().unwrap()).unwrap();
        assert_eq!(count(&|| Catalog::new(sample_spec()).unwrap()), 1);
        assert_eq!(
            count(&|| Catalog::from_json_value(json.clone()).unwrap()),
            1
        );
        #[cfg(feature = "native")]
        assert_eq!(
            count(&|| {
                Catalog::from_toml(include_str!("../../pricing.toml"), "pricing.toml").unwrap()
            }),
            1
        );
    }

    /// Issue 11, item 3: a catalog whose canonical text has the known hash
    /// (the bundled one) is only read; an edited copy is checked in full,
    /// whether or not its fingerprint was recomputed.
    #[test]
    fn a_known_catalog_is_only_read_and_an_edited_one_is_checked() {
        use sha2::Digest as _;
        let runs = || validate::RUNS.with(std::cell::Cell::get);
        let catalog = Catalog::new(sample_spec()).unwrap();
        let text = catalog.to_canonical_json().unwrap();
        let json: serde_json::Value = serde_json::from_str(&text).unwrap();
        let known = canonical_fnv1a(&json).unwrap();
        let fnv = text.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
        });
        assert_eq!(known, fnv, "the hash of the text `genprice catalog` prints");

        let before = runs();
        assert_eq!(
            Catalog::from_json_value_known(json.clone(), known).unwrap(),
            catalog
        );
        assert_eq!(runs(), before, "not validated again");

        let mut edited = json.clone();
        edited["products"][1]["price"] = 11.into();
        let error = Catalog::from_json_value_known(edited, known).unwrap_err();
        assert_eq!(error.code(), crate::ErrorCode::FingerprintMismatch);

        // Forged: invalid, with a fingerprint that matches its content.
        let mut forged = json;
        forged["products"][1]["per"] = 7.into();
        forged.as_object_mut().unwrap().remove("fingerprint");
        let digest = sha2::Sha256::digest(fingerprint::canonical_json(&forged).unwrap());
        let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
        forged["fingerprint"] = format!("sha256:{hex}").into();
        let before = runs();
        let error = Catalog::from_json_value_known(forged, known).unwrap_err();
        assert_eq!(runs(), before + 1, "validated");
        assert_eq!(error.code(), crate::ErrorCode::InvalidCatalog, "{error}");
    }

    /// Issue 9, item 4: "1 credits". The catalog names the singular; an
    /// amount of exactly one whole unit takes it, every other the plural.
    #[test]
    fn amounts_show_the_unit_in_the_number_s_form() {
        let mut spec = sample_spec();
        assert_eq!(spec.show_amount(1), "1 credits", "no singular named");
        spec.unit_singular = Some("credit".into());
        let shown: Vec<String> = [0, 1, 2, 10].map(|a| spec.show_amount(a)).into();
        assert_eq!(shown, ["0 credits", "1 credit", "2 credits", "10 credits"]);
        spec.decimals = 2;
        let shown: Vec<String> = [1, 100, 150].map(|a| spec.show_amount(a)).into();
        assert_eq!(shown, ["0.01 credits", "1.00 credits", "1.50 credits"]);
    }

    /// Without a singular the canonical JSON has no `unitSingular`, so a
    /// catalog that does not name one keeps the fingerprint it had; one
    /// that does round-trips it.
    #[test]
    fn the_singular_is_in_the_canonical_json_only_when_named() {
        let plain = Catalog::new(sample_spec()).unwrap();
        assert!(!plain.to_canonical_json().unwrap().contains("unitSingular"));
        let mut spec = sample_spec();
        spec.unit_singular = Some("credit".into());
        let named = Catalog::new(spec).unwrap();
        let text = named.to_canonical_json().unwrap();
        assert!(text.contains(r#""unitSingular":"credit""#), "{text}");
        assert_ne!(named.fingerprint(), plain.fingerprint());
        let back = Catalog::from_json_str(&text).unwrap();
        assert_eq!(back, named);
        let mut spec = sample_spec();
        spec.unit_singular = Some(" ".into());
        let error = Catalog::new(spec).unwrap_err();
        assert_eq!(
            error.to_string(),
            "unitSingular: the unit's singular must not be empty"
        );
    }

    #[test]
    fn product_order_does_not_change_the_fingerprint() {
        let a = Catalog::new(sample_spec()).unwrap();
        let mut spec = sample_spec();
        spec.products.reverse();
        let b = Catalog::new(spec).unwrap();
        assert_eq!(a.fingerprint(), b.fingerprint());
    }
}
