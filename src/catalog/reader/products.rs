//! Reading `[[products]]`: each product's studio, tier, meter, price,
//! limits, resolutions and options with their multipliers.

use super::{Entry, Kind, Loader, Tree, join};
use crate::catalog::{Meter, OutputLimits, Product, ProductOption, QuantityLimits, Studio};
use crate::money::Multiplier;
use std::collections::BTreeMap;
use std::ops::Range;
use std::sync::Arc;

impl<T: Tree> Loader<T> {
    pub(super) fn product(
        &mut self,
        t: &[Entry<'_, T>],
        span: Range<usize>,
        path: &str,
    ) -> Product {
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
