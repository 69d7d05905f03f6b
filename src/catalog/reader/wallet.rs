//! Reading the `[wallet]` section: the burn order and the allowances a
//! refill grants.

use super::{Entry, Kind, Loader, Tree, describe, index, join};
use crate::error::echo;
use crate::wallet::{Allowance, Every, GrantSource, Rollover, WalletPolicy};
use std::ops::Range;

impl<T: Tree> Loader<T> {
    /// The `[wallet]` section: the burn order by source and the allowances a
    /// refill grants (see [`WalletPolicy`]); its rules are checked with the
    /// rest of the catalog by `validate`.
    pub(super) fn wallet(&mut self, t: &[Entry<'_, T>], path: &str) -> WalletPolicy {
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
}
