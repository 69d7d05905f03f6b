//! Reading the commercial sections of a catalog: `currency`, the
//! per-studio resolution ladders, `[[plans]]`, `[[packs]]` and
//! `[[addons]]`. Same rules as the rest of the reader: every mistake is
//! reported with its path, and a wrong value gets a neutral stand-in so
//! reading goes on.

use super::{Entry, Kind, Loader, Tree, describe, index, join};
use crate::catalog::{Addon, Billing, Cycle, Limits, Pack, PackExpiry, Plan, Seats, Studio};
use std::collections::BTreeMap;
use std::ops::Range;

const STUDIOS: &str = "image, video, music, voice, text or edit";

impl<T: Tree> Loader<T> {
    /// Each table of the array at `name` (an array of tables in TOML),
    /// read by `read`. Absent: empty.
    pub(super) fn tables<R>(
        &mut self,
        root: &[Entry<'_, T>],
        span: &Range<usize>,
        name: &'static str,
        mut read: impl FnMut(&mut Self, &[Entry<'_, T>], Range<usize>, &str) -> R,
    ) -> Vec<R> {
        let mut out = Vec::new();
        let Some(value) = self.defaulted(root, span, "", name) else {
            return out;
        };
        match value.kind() {
            Kind::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    let path = index(name, i);
                    self.record(&path, item.span());
                    if let Some((table, item_span)) = self.table(Some(item), &path) {
                        out.push(read(self, &table, item_span, &path));
                    }
                }
            }
            other => {
                let expected = if T::JSON {
                    "an array of objects".to_string()
                } else {
                    format!("an array of tables ([[{name}]])")
                };
                self.error(
                    value.span(),
                    name,
                    format!("expected {expected}, found {}", describe(&other)),
                );
            }
        }
        out
    }

    /// A required string field.
    fn text(
        &mut self,
        t: &[Entry<'_, T>],
        span: &Range<usize>,
        path: &str,
        name: &'static str,
    ) -> String {
        let value = self.required(t, span, path, name);
        self.string(value, &join(path, Self::key(name)))
            .unwrap_or_default()
    }

    /// A non-negative integer field, `default` when TOML leaves it out.
    fn uint_or(
        &mut self,
        t: &[Entry<'_, T>],
        span: &Range<usize>,
        path: &str,
        name: &'static str,
        default: u64,
    ) -> u64 {
        let value = self.defaulted(t, span, path, name);
        match value {
            Some(_) => self
                .uint(value, &join(path, Self::key(name)))
                .unwrap_or(default),
            None => default,
        }
    }

    /// A boolean field, `default` when TOML leaves it out.
    fn bool_or(
        &mut self,
        t: &[Entry<'_, T>],
        span: &Range<usize>,
        path: &str,
        name: &'static str,
        default: bool,
    ) -> bool {
        let field = join(path, Self::key(name));
        match self
            .defaulted(t, span, path, name)
            .map(|v| (v.span(), v.kind()))
        {
            None => default,
            Some((_, Kind::Bool(b))) => b,
            Some((s, other)) => {
                self.error(
                    s,
                    &field,
                    format!("expected a boolean, found {}", describe(&other)),
                );
                default
            }
        }
    }

    /// A list of strings, empty when TOML leaves it out.
    fn list_or_empty(
        &mut self,
        t: &[Entry<'_, T>],
        span: &Range<usize>,
        path: &str,
        name: &'static str,
    ) -> Vec<String> {
        let value = self.defaulted(t, span, path, name);
        self.string_list(value, &join(path, Self::key(name)))
    }

    /// The per-studio resolution ladders: `{ video = ["480p", "720p"] }`.
    pub(super) fn ladders(&mut self, value: Option<&T>) -> BTreeMap<Studio, Vec<String>> {
        let mut out = BTreeMap::new();
        let Some((t, _)) = self.table(value, "resolutions") else {
            return out;
        };
        for entry in &t {
            let path = join("resolutions", entry.key);
            self.record(&path, entry.value.span());
            let names = self.string_list(Some(entry.value), &path);
            match Studio::from_name(entry.key) {
                Some(studio) => {
                    out.insert(studio, names);
                }
                None => self.error(
                    entry.key_span.clone(),
                    &path,
                    format!(
                        "unknown studio {} (expected {STUDIOS})",
                        crate::error::echo(entry.key)
                    ),
                ),
            }
        }
        out
    }

    /// One `[[plans]]` table.
    pub(super) fn plan(&mut self, t: &[Entry<'_, T>], span: Range<usize>, path: &str) -> Plan {
        const KEYS: &[&str] = &[
            "id",
            "name",
            "billing",
            "grants",
            "seats",
            "packs",
            "pack_discount",
            "addons",
            "limits",
            "custom",
            "listed",
        ];
        self.check_keys(t, path, KEYS);
        let id = self.text(t, &span, path, "id");
        let name = self.text(t, &span, path, "name");
        let billing_path = join(path, "billing");
        let mut billing = Vec::new();
        if let Some(value) = self.defaulted(t, &span, path, "billing") {
            match value.kind() {
                Kind::Array(items) => {
                    for (i, item) in items.iter().enumerate() {
                        let bp = index(&billing_path, i);
                        self.record(&bp, item.span());
                        if let Some((b, b_span)) = self.table(Some(item), &bp) {
                            billing.push(self.billing(&b, b_span, &bp));
                        }
                    }
                }
                other => self.error(
                    value.span(),
                    &billing_path,
                    format!(
                        "expected an array of billing options, found {}",
                        describe(&other)
                    ),
                ),
            }
        }
        let grants = self.list_or_empty(t, &span, path, "grants");
        let seats_path = join(path, "seats");
        let seats_value = self.get(t, path, "seats");
        let seats = match self.table(seats_value, &seats_path) {
            Some((s, s_span)) => {
                self.check_keys(&s, &seats_path, &["min", "max"]);
                let min = self.uint_or(&s, &s_span, &seats_path, "min", 1);
                let max = self.required(&s, &s_span, &seats_path, "max");
                let max = self.uint(max, &join(&seats_path, "max")).unwrap_or(min);
                Some(Seats { min, max })
            }
            None => None,
        };
        let packs = self.list_or_empty(t, &span, path, "packs");
        let pack_discount = self.uint_or(t, &span, path, "pack_discount", 0);
        let addons = self.list_or_empty(t, &span, path, "addons");
        let limits_path = join(path, "limits");
        let limits_value = self.defaulted(t, &span, path, "limits");
        let limits = match self.table(limits_value, &limits_path) {
            Some((l, l_span)) => self.limits(&l, l_span, &limits_path),
            None => Limits::default(),
        };
        let custom = self.bool_or(t, &span, path, "custom", false);
        let listed = self.bool_or(t, &span, path, "listed", true);
        Plan {
            id,
            name,
            billing,
            grants,
            seats,
            packs,
            pack_discount,
            addons,
            limits,
            custom,
            listed,
        }
    }

    fn billing(&mut self, t: &[Entry<'_, T>], span: Range<usize>, path: &str) -> Billing {
        self.check_keys(t, path, &["cycle", "price", "grants"]);
        let cycle = self.required(t, &span, path, "cycle");
        let cycle = self.named(
            cycle,
            &join(path, "cycle"),
            Cycle::from_name,
            "unknown cycle",
            "monthly or annual",
        );
        let price = self.required(t, &span, path, "price");
        let price = self.uint(price, &join(path, "price")).unwrap_or(0);
        let grants = self.list_or_empty(t, &span, path, "grants");
        Billing {
            cycle: cycle.unwrap_or(Cycle::Monthly),
            price,
            grants,
        }
    }

    fn limits(&mut self, t: &[Entry<'_, T>], span: Range<usize>, path: &str) -> Limits {
        self.check_keys(
            t,
            path,
            &[
                "tiers",
                "products",
                "max_resolution",
                "max_seconds",
                "max_outputs",
                "options",
            ],
        );
        let tiers = self.get(t, path, "tiers");
        let tiers = tiers.map(|v| self.string_list(Some(v), &join(path, "tiers")));
        let products = self.get(t, path, "products");
        let products = products.map(|v| self.string_list(Some(v), &join(path, "products")));
        let mut max_resolution = BTreeMap::new();
        let mr_path = join(path, Self::key("max_resolution"));
        let mr_value = self.defaulted(t, &span, path, "max_resolution");
        if let Some((m, _)) = self.table(mr_value, &mr_path) {
            for entry in &m {
                let ep = join(&mr_path, entry.key);
                self.record(&ep, entry.value.span());
                let name = self.string(Some(entry.value), &ep);
                match (Studio::from_name(entry.key), name) {
                    (Some(studio), Some(name)) => {
                        max_resolution.insert(studio, name);
                    }
                    (None, _) => self.error(
                        entry.key_span.clone(),
                        &ep,
                        format!(
                            "unknown studio {} (expected {STUDIOS})",
                            crate::error::echo(entry.key)
                        ),
                    ),
                    _ => {}
                }
            }
        }
        let max_seconds = self.get(t, path, "max_seconds");
        let max_seconds = self.uint(max_seconds, &join(path, Self::key("max_seconds")));
        let max_outputs = self.get(t, path, "max_outputs");
        let max_outputs = self.uint(max_outputs, &join(path, Self::key("max_outputs")));
        let mut options = BTreeMap::new();
        let op_path = join(path, "options");
        let op_value = self.defaulted(t, &span, path, "options");
        if let Some((o, _)) = self.table(op_value, &op_path) {
            for entry in &o {
                let ep = join(&op_path, entry.key);
                self.record(&ep, entry.value.span());
                let values = self.string_list(Some(entry.value), &ep);
                options.insert(entry.key.to_string(), values);
            }
        }
        Limits {
            tiers,
            products,
            max_resolution,
            max_seconds,
            max_outputs,
            options,
        }
    }

    /// One `[[packs]]` table.
    pub(super) fn pack(&mut self, t: &[Entry<'_, T>], span: Range<usize>, path: &str) -> Pack {
        self.check_keys(t, path, &["id", "name", "credits", "price", "expires"]);
        let id = self.text(t, &span, path, "id");
        let name = self.text(t, &span, path, "name");
        let credits = self.required(t, &span, path, "credits");
        let credits = self.uint(credits, &join(path, "credits")).unwrap_or(0);
        let price = self.required(t, &span, path, "price");
        let price = self.uint(price, &join(path, "price")).unwrap_or(0);
        let expires = match self.defaulted(t, &span, path, "expires") {
            None => None,
            some => self.named(
                some,
                &join(path, "expires"),
                PackExpiry::from_name,
                "unknown expiry",
                "never or cycle_end",
            ),
        };
        Pack {
            id,
            name,
            credits,
            price,
            expires: expires.unwrap_or(PackExpiry::Never),
        }
    }

    /// One `[[addons]]` table.
    pub(super) fn addon(&mut self, t: &[Entry<'_, T>], span: Range<usize>, path: &str) -> Addon {
        self.check_keys(t, path, &["id", "name", "allowance", "price"]);
        let id = self.text(t, &span, path, "id");
        let name = self.text(t, &span, path, "name");
        let allowance = self.text(t, &span, path, "allowance");
        let price = self.required(t, &span, path, "price");
        let price = self.uint(price, &join(path, "price")).unwrap_or(0);
        Addon {
            id,
            name,
            allowance,
            price,
        }
    }
}

// Built from TOML catalogs: native builds only (the wasm lint run compiles
// the tests without the TOML reader).
#[cfg(test)]
#[cfg(feature = "native")]
mod tests;
