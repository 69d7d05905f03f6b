//! Semantic checks of the commercial sections: currency, resolution
//! ladders, plans, packs and add-ons. Every reference (an allowance, a
//! pack, a tier, a product, a resolution, an option value) must resolve.

use super::{Path, Seg, is_slug};
use crate::catalog::{CatalogSpec, Plan};
use crate::error::echo;
use crate::money::MAX_AMOUNT;
use crate::wallet::GrantSource;

/// Reports every problem of the commercial sections.
pub(super) fn check(spec: &CatalogSpec, report: &mut impl FnMut(Path, String)) {
    let currency = spec.currency.as_bytes();
    if currency.len() != 3 || !currency.iter().all(u8::is_ascii_uppercase) {
        report(
            vec![Seg::Field("currency")],
            format!(
                "currency {} must be an ISO 4217 code like \"USD\"",
                echo(&spec.currency)
            ),
        );
    }
    for (studio, ladder) in &spec.resolutions {
        let at = |i: usize| {
            vec![
                Seg::Field("resolutions"),
                Seg::Key(studio.as_str().into()),
                Seg::Index(i),
            ]
        };
        for (i, name) in ladder.iter().enumerate() {
            if ladder.iter().take(i).any(|n| n == name) {
                report(at(i), format!("resolution {} is listed twice", echo(name)));
            }
        }
        for (p, product) in spec.products.iter().enumerate() {
            if product.studio != *studio {
                continue;
            }
            for name in product.resolutions.keys() {
                if !ladder.iter().any(|n| **n == **name) {
                    report(
                        vec![
                            Seg::Field("products"),
                            Seg::Index(p),
                            Seg::Field("resolutions"),
                            Seg::Key(name.to_string()),
                        ],
                        format!(
                            "resolution {} is not on the {} ladder in `resolutions`",
                            echo(name),
                            studio.as_str()
                        ),
                    );
                }
            }
        }
    }
    for (i, plan) in spec.plans.iter().enumerate() {
        if spec.plans.iter().take(i).any(|p| p.id == plan.id) {
            report(
                vec![Seg::Field("plans"), Seg::Index(i), Seg::Field("id")],
                format!("duplicate plan id {}", echo(&plan.id)),
            );
        }
        check_plan(spec, plan, i, report);
    }
    for (i, pack) in spec.packs.iter().enumerate() {
        let at = |field| vec![Seg::Field("packs"), Seg::Index(i), Seg::Field(field)];
        check_id(&pack.id, "pack", at("id"), report);
        if spec.packs.iter().take(i).any(|p| p.id == pack.id) {
            report(at("id"), format!("duplicate pack id {}", echo(&pack.id)));
        }
        if pack.name.trim().is_empty() {
            report(at("name"), "name must not be empty".into());
        }
        if pack.credits == 0 || pack.credits > MAX_AMOUNT {
            report(
                at("credits"),
                format!("credits must be 1 … 2^53 − 1, found {}", pack.credits),
            );
        }
        check_money(pack.price, at("price"), report);
    }
    for (i, addon) in spec.addons.iter().enumerate() {
        let at = |field| vec![Seg::Field("addons"), Seg::Index(i), Seg::Field(field)];
        check_id(&addon.id, "add-on", at("id"), report);
        if spec.addons.iter().take(i).any(|a| a.id == addon.id) {
            report(at("id"), format!("duplicate add-on id {}", echo(&addon.id)));
        }
        if addon.name.trim().is_empty() {
            report(at("name"), "name must not be empty".into());
        }
        match spec.wallet.allowance(&addon.allowance) {
            None => report(
                at("allowance"),
                format!(
                    "no allowance {} in [wallet] allowances",
                    echo(&addon.allowance)
                ),
            ),
            Some(a) if a.source != GrantSource::Addon || !a.per_seat => report(
                at("allowance"),
                format!(
                    "allowance {} must have source \"addon\" and per_seat = true (one seat per unit)",
                    echo(&addon.allowance)
                ),
            ),
            Some(_) => {}
        }
        check_money(addon.price, at("price"), report);
    }
}

fn check_id(id: &str, what: &str, path: Path, report: &mut impl FnMut(Path, String)) {
    if !is_slug(id) {
        report(
            path,
            format!("{what} id {} must be a lower-case slug", echo(id)),
        );
    }
}

fn check_money(amount: u64, path: Path, report: &mut impl FnMut(Path, String)) {
    if amount > MAX_AMOUNT {
        report(
            path,
            format!("price must be at most 2^53 − 1, found {amount}"),
        );
    }
}

fn check_plan(spec: &CatalogSpec, plan: &Plan, i: usize, report: &mut impl FnMut(Path, String)) {
    let at = |fields: &[Seg]| {
        let mut path = vec![Seg::Field("plans"), Seg::Index(i)];
        path.extend_from_slice(fields);
        path
    };
    let field = |name: &'static str| at(&[Seg::Field(name)]);
    check_id(&plan.id, "plan", field("id"), report);
    if plan.name.trim().is_empty() {
        report(field("name"), "name must not be empty".into());
    }
    let mut grant_lists: Vec<(Path, &Vec<String>)> = vec![(field("grants"), &plan.grants)];
    for (b, billing) in plan.billing.iter().enumerate() {
        let bf = |name: &'static str| at(&[Seg::Field("billing"), Seg::Index(b), Seg::Field(name)]);
        if plan
            .billing
            .iter()
            .take(b)
            .any(|o| o.cycle == billing.cycle)
        {
            report(
                bf("cycle"),
                format!("billing cycle {} is listed twice", billing.cycle.as_str()),
            );
        }
        check_money(billing.price, bf("price"), report);
        grant_lists.push((bf("grants"), &billing.grants));
    }
    for (path, list) in grant_lists {
        for (g, id) in list.iter().enumerate() {
            let mut item = path.clone();
            item.push(Seg::Index(g));
            match spec.wallet.allowance(id) {
                None => report(
                    item,
                    format!("no allowance {} in [wallet] allowances", echo(id)),
                ),
                Some(a) if a.source == GrantSource::Addon => report(
                    item,
                    format!(
                        "allowance {} is an add-on; list its add-on in `addons` instead",
                        echo(id)
                    ),
                ),
                Some(_) => {}
            }
        }
    }
    if let Some(seats) = &plan.seats {
        if seats.min == 0 || seats.min > seats.max || seats.max > MAX_AMOUNT {
            report(
                field("seats"),
                format!(
                    "seats must satisfy 1 ≤ min ≤ max ≤ 2^53 − 1, found min {} and max {}",
                    seats.min, seats.max
                ),
            );
        }
    }
    for (k, id) in plan.packs.iter().enumerate() {
        if !spec.packs.iter().any(|p| p.id == *id) {
            report(
                at(&[Seg::Field("packs"), Seg::Index(k)]),
                format!("no pack {} in [[packs]]", echo(id)),
            );
        }
    }
    if plan.pack_discount > 100 {
        report(
            field("pack_discount"),
            format!(
                "pack_discount is a percentage, 0 … 100, found {}",
                plan.pack_discount
            ),
        );
    }
    for (k, id) in plan.addons.iter().enumerate() {
        if !spec.addons.iter().any(|a| a.id == *id) {
            report(
                at(&[Seg::Field("addons"), Seg::Index(k)]),
                format!("no add-on {} in [[addons]]", echo(id)),
            );
        }
    }
    let limit = |name: &'static str| at(&[Seg::Field("limits"), Seg::Field(name)]);
    let limits = &plan.limits;
    for (k, tier) in limits.tiers.iter().flatten().enumerate() {
        if !spec.tiers.iter().any(|t| t == tier) {
            let mut path = limit("tiers");
            path.push(Seg::Index(k));
            report(path, format!("unknown tier {}", echo(tier)));
        }
    }
    for (k, id) in limits.products.iter().flatten().enumerate() {
        if !spec.products.iter().any(|p| *p.id == **id) {
            let mut path = limit("products");
            path.push(Seg::Index(k));
            report(path, format!("unknown product {}", echo(id)));
        }
    }
    for (studio, name) in &limits.max_resolution {
        let mut path = limit("max_resolution");
        path.push(Seg::Key(studio.as_str().into()));
        match spec.resolutions.get(studio) {
            None => report(
                path,
                format!(
                    "max_resolution for {} needs a ladder: resolutions.{} = [lowest, …, highest]",
                    studio.as_str(),
                    studio.as_str()
                ),
            ),
            Some(ladder) if !ladder.iter().any(|n| n == name) => report(
                path,
                format!(
                    "resolution {} is not on the {} ladder",
                    echo(name),
                    studio.as_str()
                ),
            ),
            Some(_) => {}
        }
    }
    if limits.max_outputs == Some(0) {
        report(
            limit("max_outputs"),
            "max_outputs must be at least 1".into(),
        );
    }
    for (name, values) in &limits.options {
        let mut path = limit("options");
        path.push(Seg::Key(name.clone()));
        let offered = spec
            .products
            .iter()
            .filter_map(|p| p.options.get(name.as_str()))
            .collect::<Vec<_>>();
        if offered.is_empty() {
            report(path, format!("no product has an option {}", echo(name)));
            continue;
        }
        for (k, value) in values.iter().enumerate() {
            if !offered
                .iter()
                .any(|o| o.values.contains_key(value.as_str()))
            {
                let mut item = path.clone();
                item.push(Seg::Index(k));
                report(
                    item,
                    format!("no product offers {} = {}", name, echo(value)),
                );
            }
        }
    }
}
