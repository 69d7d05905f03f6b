//! [`Pricer`]: one product with its resolution and options fixed, priced
//! again and again for a quantity and an output count (a slider's preview).
//!
//! A pricer made from `base` answers `total(quantity, outputs)` with exactly
//! what [`total`](super::total) (and so [`quote`](super::quote)) answers for
//! `base` with its metered field (`seconds`, `characters` …) set to
//! `quantity` and its `outputs` set to `outputs`, errors included: the same
//! checks run in the same order. What does not depend on the two numbers
//! (the product, a quantity field that does not apply, the resolution and
//! the options) is looked up once, when the pricer is made.
//!
//! A pricer keeps its own copy of the product, so it goes on pricing with
//! the catalog it was made with; [`Pricer::catalog`] says which one.

use super::{Factor, amount, check_quantity, factors, find_product, stray_quantities};
use crate::catalog::{Catalog, CatalogRef, Product};
use crate::error::{ErrorCode, QuoteError};
use crate::money::Rounding;
use crate::request::Item;
use std::sync::Arc;

/// A product with its resolution and options fixed (see the module docs).
#[derive(Debug, Clone)]
pub struct Pricer {
    product: Product,
    rounding: Rounding,
    catalog: Arc<CatalogRef>,
    /// A quantity field of the base that does not apply to the product.
    stray: Result<(), QuoteError>,
    /// The resolution's and options' multipliers, or why they have none.
    factors: Result<Vec<Factor>, QuoteError>,
}

/// The product's pricing terms without its resolutions and options (the
/// pricer holds their multipliers as factors) and without its name: what
/// a call reads, copied without cloning maps.
fn terms(product: &Product) -> Product {
    Product {
        id: Arc::clone(&product.id),
        name: String::new(),
        studio: product.studio,
        tier: Arc::clone(&product.tier),
        meter: product.meter,
        price: product.price,
        per: product.per,
        minimum: product.minimum,
        quantity: product.quantity.clone(),
        outputs: product.outputs.clone(),
        resolutions: Default::default(),
        default_resolution: None,
        options: Default::default(),
    }
}

/// Error paths of a single-item request have no prefix.
fn path(field: &str) -> String {
    field.to_string()
}

impl Pricer {
    /// A pricer for `base`'s product, resolution and options; `base`'s
    /// metered quantity and outputs are replaced by each call's. Fails only
    /// with `unknown_product` (every other problem of `base` is reported by
    /// each call, where `quote` reports it).
    pub fn new(catalog: &Catalog, base: &Item) -> Result<Pricer, QuoteError> {
        let product = find_product(catalog, base, &path)?;
        Ok(Pricer {
            stray: stray_quantities(product, base, &path),
            factors: factors(catalog, product, base, &path),
            product: terms(product),
            rounding: catalog.spec().rounding,
            catalog: catalog.reference(),
        })
    }

    /// The catalog this pricer was made with (its id, version and fingerprint).
    pub fn catalog(&self) -> &CatalogRef {
        &self.catalog
    }

    /// The product priced: its id and pricing terms (without its name,
    /// resolutions and options, which the pricer has already applied).
    pub fn product(&self) -> &Product {
        &self.product
    }

    /// The total for `quantity` (the value of the product's metered field;
    /// `None` leaves it absent, so the product's default applies) and
    /// `outputs` (`None`: the product's default). A product without a
    /// metered quantity (per image, per call) prices a quantity of 1, so it
    /// takes `None` or `Some(1)`; anything else is `unsupported_field` at
    /// `quantity`.
    pub fn total(&self, quantity: Option<u64>, outputs: Option<u64>) -> Result<u64, QuoteError> {
        if let Err(e) = &self.stray {
            return Err(e.clone());
        }
        if self.product.meter.quantity_field().is_none() && quantity.is_some_and(|q| q != 1) {
            return Err(QuoteError::at(
                ErrorCode::UnsupportedField,
                "quantity",
                format!(
                    "{} is priced per {}: its quantity is 1",
                    self.product.id,
                    self.product.meter.as_str()
                ),
            ));
        }
        let quantity = check_quantity(&self.product, quantity, &path)?;
        let outputs = outputs.unwrap_or(self.product.outputs.default);
        let amount = amount(
            self.rounding,
            &self.product,
            quantity,
            outputs,
            self.factors.as_deref(),
            &path,
        )?;
        Ok(amount.amount)
    }
}

#[cfg(test)]
#[cfg(feature = "native")]
mod tests {
    use super::*;
    use crate::quote::{quote, total};
    use crate::request::Request;
    use serde_json::{Value, json};

    fn catalog() -> Catalog {
        Catalog::from_toml(include_str!("../../pricing.toml"), "pricing.toml").unwrap()
    }

    /// `base` with the metered field and outputs set, as a request.
    fn merged(
        base: &Value,
        field: Option<&str>,
        quantity: Option<u64>,
        outputs: Option<u64>,
    ) -> Request {
        let mut map = base.as_object().unwrap().clone();
        if let Some(field) = field {
            // `None` is an absent field, whatever the base said.
            map.insert(field.into(), quantity.map_or(Value::Null, Value::from));
        }
        if let Some(o) = outputs {
            map.insert("outputs".into(), o.into());
        }
        Request::from_json_value(&Value::Object(map)).unwrap()
    }

    #[test]
    fn a_pricer_gives_the_quote_total_for_every_quantity_and_output_count() {
        let catalog = catalog();
        let mut compared = 0;
        for product in catalog.products() {
            let mut bases = vec![json!({ "product": &*product.id })];
            for resolution in product.resolutions.keys().map(|r| &**r).chain(["8k"]) {
                bases.push(json!({ "product": &*product.id, "resolution": resolution }));
            }
            for (name, option) in &product.options {
                for value in option.values.keys().map(|v| &**v).chain(["nope"]) {
                    bases.push(json!({ "product": &*product.id, "options": { &**name: value } }));
                }
            }
            bases.push(json!({ "product": &*product.id, "tokens": 5, "seconds": 5 }));
            if let Some(field) = product.meter.quantity_field() {
                bases.push(json!({ "product": &*product.id, field: 1_000_000 }));
            }
            let field = product.meter.quantity_field();
            let max = product.quantity.as_ref().map_or(3, |l| l.max + 2);
            for base in &bases {
                let item = Request::from_json_value(base).unwrap().items.remove(0);
                let pricer = Pricer::new(&catalog, &item).unwrap();
                let quantities = [
                    None,
                    Some(0),
                    Some(1),
                    Some(2),
                    Some(7),
                    Some(max / 2),
                    Some(max - 1),
                    Some(max),
                    Some(crate::MAX_AMOUNT),
                ];
                for quantity in quantities {
                    let quantity = if field.is_some() {
                        quantity
                    } else {
                        quantity.filter(|q| *q == 1)
                    };
                    for outputs in [
                        None,
                        Some(0),
                        Some(1),
                        Some(2),
                        Some(product.outputs.max),
                        Some(product.outputs.max + 1),
                    ] {
                        let request = merged(base, field, quantity, outputs);
                        let expected = quote(&catalog, &request).map(|q| q.total);
                        assert_eq!(
                            total(&catalog, &request),
                            expected,
                            "{base} {quantity:?} {outputs:?}"
                        );
                        assert_eq!(
                            pricer.total(quantity, outputs),
                            expected,
                            "{base} {quantity:?} {outputs:?}"
                        );
                        compared += 1;
                    }
                }
            }
        }
        assert!(compared > 1000, "{compared}");
    }

    #[test]
    fn a_product_without_a_quantity_takes_only_1() {
        let catalog = catalog();
        let image = catalog
            .products()
            .iter()
            .find(|p| p.meter.quantity_field().is_none())
            .unwrap();
        let pricer = Pricer::new(&catalog, &Item::new(&*image.id)).unwrap();
        assert_eq!(pricer.total(Some(1), Some(1)), pricer.total(None, Some(1)));
        let e = pricer.total(Some(2), Some(1)).unwrap_err();
        assert_eq!(
            (e.code, e.path.as_deref()),
            (ErrorCode::UnsupportedField, Some("quantity"))
        );
    }

    #[test]
    fn an_unknown_product_has_no_pricer_and_the_pricer_names_its_catalog() {
        let catalog = catalog();
        let e = Pricer::new(&catalog, &Item::new("video/nope")).unwrap_err();
        assert_eq!(e.code, ErrorCode::UnknownProduct);
        let product = &catalog.products()[0];
        let pricer = Pricer::new(&catalog, &Item::new(&*product.id)).unwrap();
        assert_eq!(pricer.catalog().fingerprint, catalog.fingerprint());
        assert_eq!(pricer.product().id, product.id);
        assert_eq!(pricer.product().price, product.price);
    }
}
