//! Semantic checks of the commercial sections: currency, resolution
//! ladders, plans, packs and add-ons. Every reference (an allowance, a
//! pack, a tier, a product, a resolution, an option value) must resolve.

use super::{Path, Seg, is_slug};
use crate::catalog::{CatalogSpec, Plan};
use crate::error::echo;
use crate::money::MAX_AMOUNT;
use crate::wallet::{Every, GrantSource};

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
                    "allowance {} must have source \"addon\" and be granted per seat (one seat per unit)",
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
    if let Some(seats) = &plan.seats
        && (seats.min == 0 || seats.min > seats.max || seats.max > MAX_AMOUNT)
    {
        report(
            field("seats"),
            format!(
                "seats must satisfy 1 ≤ min ≤ max ≤ 2^53 − 1, found min {} and max {}",
                seats.min, seats.max
            ),
        );
    }
    // At the most seats, a year of the plan and a month of its credits must
    // stay within 2^53 − 1, so no offer or estimate has to saturate.
    let most_seats = plan.seats.as_ref().map_or(1, |s| s.max.max(1));
    for (b, billing) in plan.billing.iter().enumerate() {
        let yearly = u128::from(billing.price)
            * u128::from(most_seats)
            * u128::from(12 / billing.cycle.months());
        if billing.price <= MAX_AMOUNT && yearly > u128::from(MAX_AMOUNT) {
            report(
                at(&[Seg::Field("billing"), Seg::Index(b), Seg::Field("price")]),
                format!(
                    "price {} × {most_seats} seats a year is above 2^53 − 1",
                    billing.price
                ),
            );
        }
    }
    // Every allowance the plan can grant, counted once a month at its
    // most seats (a daily one 30 times): offers add them up.
    let mut month: u128 = 0;
    let mut seen: Vec<&str> = Vec::new();
    let ids = plan
        .grants
        .iter()
        .chain(plan.billing.iter().flat_map(|b| b.grants.iter()));
    for allowance in ids.filter_map(|id| spec.wallet.allowance(id)) {
        if seen.contains(&allowance.id.as_str()) {
            continue;
        }
        seen.push(&allowance.id);
        let seats = if allowance.per_seat { most_seats } else { 1 };
        let days = if allowance.period() == Every::Day {
            30
        } else {
            1
        };
        month += u128::from(allowance.amount.min(MAX_AMOUNT)) * u128::from(seats) * days;
    }
    if month > u128::from(MAX_AMOUNT) {
        report(
            field("grants"),
            format!(
                "a month of the plan's allowances at {most_seats} seats (daily ones × 30) is {month}, above 2^53 − 1"
            ),
        );
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
                "the pack discount is a percentage, 0 … 100, found {}",
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
                    "a max resolution for {} needs a ladder: resolutions.{} = [lowest, …, highest]",
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
            "max outputs must be at least 1".into(),
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

// Built from TOML catalogs: native builds only (the wasm lint run compiles
// the tests without the TOML reader).
#[cfg(test)]
#[cfg(feature = "native")]
mod tests {
    use super::check;
    use crate::catalog::validate::render;
    use crate::catalog::{Billing, Catalog, CatalogSpec, Cycle, Seats, Studio};
    use crate::money::MAX_AMOUNT;

    /// A valid catalog: two products, a video ladder, three allowances,
    /// two plans, a pack and an add-on. Each test breaks one thing.
    const GOOD: &str = r#"
id = "t"
version = "1"
rounding = "up"
tiers = ["basic", "pro"]
currency = "EUR"

[[products]]
id = "image/art"
name = "Art"
studio = "image"
tier = "pro"
meter = "image"
price = 5
options.style = { default = "none", values = { none = 1, noir = 1.5 } }

[[products]]
id = "video/clip"
name = "Clip"
studio = "video"
tier = "basic"
meter = "second"
price = 10
quantity = { min = 1, max = 10, default = 5 }
resolutions = { "720p" = 1, "1080p" = 2 }
default_resolution = "720p"

[resolutions]
video = ["480p", "720p", "1080p"]

[wallet]
[[wallet.allowances]]
id = "daily"
source = "daily"
amount = 10

[[wallet.allowances]]
id = "monthly"
source = "monthly"
amount = 100

[[wallet.allowances]]
id = "extra"
source = "addon"
amount = 50
per_seat = true

[[plans]]
id = "free"
name = "Free"
grants = ["daily"]
limits = { tiers = ["basic"], max_resolution = { video = "720p" }, max_outputs = 1 }

[[plans]]
id = "pro"
name = "Pro"
billing = [{ cycle = "monthly", price = 900, grants = ["monthly"] }]
packs = ["small"]
pack_discount = 100
addons = ["more"]
limits = { products = ["image/art", "video/clip"], options = { style = ["none"] } }

[[packs]]
id = "small"
name = "Small"
credits = 100
price = 500

[[addons]]
id = "more"
name = "More"
allowance = "extra"
price = 300
"#;

    fn good() -> CatalogSpec {
        Catalog::from_toml(GOOD, "c.toml").unwrap().spec().clone()
    }

    /// `path: message` for each finding, TOML (`snake_case`) paths.
    fn findings(spec: &CatalogSpec) -> Vec<String> {
        let mut out = Vec::new();
        check(spec, &mut |path, message| {
            out.push(format!("{}: {message}", render(&path, false)));
        });
        out
    }

    #[test]
    fn the_good_catalog_and_pricing_toml_have_no_findings() {
        assert_eq!(findings(&good()), Vec::<String>::new());
        let pricing = Catalog::from_toml(include_str!("../../../pricing.toml"), "p").unwrap();
        assert_eq!(findings(pricing.spec()), Vec::<String>::new());
    }

    #[test]
    fn currency_is_three_upper_case_letters() {
        for bad in ["eur", "EURO", "E1R", ""] {
            let mut spec = good();
            spec.currency = bad.into();
            assert_eq!(
                findings(&spec),
                [format!(
                    "currency: currency \"{bad}\" must be an ISO 4217 code like \"USD\""
                )]
            );
        }
    }

    #[test]
    fn ladders_list_each_resolution_once_and_every_product_resolution() {
        let mut spec = good();
        // 1080p (offered by video/clip) missing, 720p twice.
        spec.resolutions.insert(
            Studio::Video,
            vec!["720p".into(), "480p".into(), "720p".into()],
        );
        assert_eq!(
            findings(&spec),
            [
                "resolutions.video[2]: resolution \"720p\" is listed twice",
                "products[1].resolutions.1080p: resolution \"1080p\" is not on the video ladder in `resolutions`",
            ]
        );
    }

    #[test]
    fn plan_ids_are_unique_slugs_and_names_are_not_blank() {
        let mut spec = good();
        spec.plans[1].id = "free".into();
        spec.plans[0].name = "  ".into();
        assert_eq!(
            findings(&spec),
            [
                "plans[0].name: name must not be empty",
                "plans[1].id: duplicate plan id \"free\"",
            ]
        );
        let mut spec = good();
        spec.plans[0].id = "Free".into();
        assert_eq!(
            findings(&spec),
            ["plans[0].id: plan id \"Free\" must be a lower-case slug"]
        );
    }

    #[test]
    fn grants_name_wallet_allowances_that_are_not_add_ons() {
        let mut spec = good();
        spec.plans[0].grants = vec!["daily".into(), "weekly".into(), "extra".into()];
        spec.plans[1].billing[0].grants.push("yearly".into());
        assert_eq!(
            findings(&spec),
            [
                "plans[0].grants[1]: no allowance \"weekly\" in [wallet] allowances",
                "plans[0].grants[2]: allowance \"extra\" is an add-on; list its add-on in `addons` instead",
                "plans[1].billing[0].grants[1]: no allowance \"yearly\" in [wallet] allowances",
            ]
        );
    }

    #[test]
    fn billing_lists_each_cycle_once_at_a_bounded_price() {
        let mut spec = good();
        spec.plans[1].billing.push(Billing {
            cycle: Cycle::Monthly,
            price: MAX_AMOUNT + 1,
            grants: vec![],
        });
        assert_eq!(
            findings(&spec),
            [
                "plans[1].billing[1].cycle: billing cycle monthly is listed twice",
                // 2^53 = 9007199254740992.
                "plans[1].billing[1].price: price must be at most 2^53 − 1, found 9007199254740992",
            ]
        );
    }

    #[test]
    fn seats_satisfy_one_at_least_min_at_most_max() {
        for (min, max, ok) in [(1, 1, true), (2, 50, true), (0, 5, false), (6, 5, false)] {
            let mut spec = good();
            spec.plans[1].seats = Some(Seats { min, max });
            let expected: Vec<String> = if ok {
                vec![]
            } else {
                vec![format!(
                    "plans[1].seats: seats must satisfy 1 ≤ min ≤ max ≤ 2^53 − 1, found min {min} and max {max}"
                )]
            };
            assert_eq!(findings(&spec), expected, "min {min}, max {max}");
        }
    }

    #[test]
    fn a_year_at_the_most_seats_stays_within_2_pow_53() {
        // 2^53 − 1 is 9,007,199,254,740,991. A monthly price of 10^14 at
        // 8 seats is 8 × 10^14 × 12 = 9.6 × 10^15 a year: above it. At
        // 7 seats, 8.4 × 10^15: within.
        for (seats, over) in [(7, false), (8, true)] {
            let mut spec = good();
            spec.plans[1].seats = Some(Seats { min: 1, max: seats });
            spec.plans[1].billing[0].price = 100_000_000_000_000;
            let found = findings(&spec);
            assert_eq!(
                found.iter().any(|f| f.contains("a year is above 2^53 − 1")),
                over,
                "{seats} seats: {found:?}"
            );
        }
    }

    #[test]
    fn a_month_of_all_the_plan_grants_stays_within_2_pow_53() {
        // Two allowances of 5 × 10^15 each: each fits, together 10^16 is
        // above 2^53 − 1 (about 9.007 × 10^15).
        let mut spec = good();
        let id = spec.plans[1].billing[0].grants[0].clone();
        let twin = {
            let mut a = spec.wallet.allowance(&id).unwrap().clone();
            a.id = "twin".into();
            a
        };
        spec.wallet.allowances.push(twin);
        for a in spec.wallet.allowances.iter_mut() {
            if a.id == id || a.id == "twin" {
                a.amount = 5_000_000_000_000_000;
                a.per_seat = false;
            }
        }
        assert!(
            findings(&spec)
                .iter()
                .all(|f| !f.contains("a month of the plan"))
        );
        spec.plans[1].grants.push("twin".into());
        let found = findings(&spec);
        assert!(
            found
                .iter()
                .any(|f| f.starts_with("plans[1].grants: a month of the plan's allowances")),
            "{found:?}"
        );
    }

    #[test]
    fn packs_and_add_ons_of_a_plan_exist_and_the_discount_is_a_percentage() {
        let mut spec = good();
        spec.plans[1].packs.push("huge".into());
        spec.plans[1].addons.insert(0, "less".into());
        spec.plans[1].pack_discount = 101; // 100 is allowed (GOOD has it)
        assert_eq!(
            findings(&spec),
            [
                "plans[1].packs[1]: no pack \"huge\" in [[packs]]",
                "plans[1].pack_discount: the pack discount is a percentage, 0 … 100, found 101",
                "plans[1].addons[0]: no add-on \"less\" in [[addons]]",
            ]
        );
    }

    #[test]
    fn limits_name_tiers_products_ladder_resolutions_and_offered_options() {
        let mut spec = good();
        let free = &mut spec.plans[0].limits;
        free.tiers = Some(vec!["basic".into(), "gold".into()]);
        free.products = Some(vec!["video/clip".into(), "video/none".into()]);
        free.max_resolution.insert(Studio::Video, "4k".into());
        // No image ladder in GOOD.
        free.max_resolution.insert(Studio::Image, "2k".into());
        free.max_outputs = Some(0);
        free.options.insert("fps".into(), vec!["60".into()]);
        free.options
            .insert("style".into(), vec!["none".into(), "neon".into()]);
        assert_eq!(
            findings(&spec),
            [
                "plans[0].limits.tiers[1]: unknown tier \"gold\"",
                "plans[0].limits.products[1]: unknown product \"video/none\"",
                // Studios in declaration order: image before video.
                "plans[0].limits.max_resolution.image: a max resolution for image needs a ladder: resolutions.image = [lowest, …, highest]",
                "plans[0].limits.max_resolution.video: resolution \"4k\" is not on the video ladder",
                "plans[0].limits.max_outputs: max outputs must be at least 1",
                "plans[0].limits.options.fps: no product has an option \"fps\"",
                "plans[0].limits.options.style[1]: no product offers style = \"neon\"",
            ]
        );
    }

    #[test]
    fn packs_are_unique_slugs_with_credits_and_a_bounded_price() {
        let mut spec = good();
        let mut copy = spec.packs[0].clone();
        copy.name = String::new();
        copy.credits = 0;
        copy.price = MAX_AMOUNT + 1;
        spec.packs.push(copy);
        let mut big = spec.packs[0].clone();
        big.id = "Big Pack".into();
        big.credits = MAX_AMOUNT + 1;
        spec.packs.push(big);
        assert_eq!(
            findings(&spec),
            [
                "packs[1].id: duplicate pack id \"small\"",
                "packs[1].name: name must not be empty",
                "packs[1].credits: credits must be 1 … 2^53 − 1, found 0",
                "packs[1].price: price must be at most 2^53 − 1, found 9007199254740992",
                "packs[2].id: pack id \"Big Pack\" must be a lower-case slug",
                "packs[2].credits: credits must be 1 … 2^53 − 1, found 9007199254740992",
            ]
        );
    }

    #[test]
    fn an_add_on_grants_a_per_seat_add_on_allowance() {
        let mut spec = good();
        let mut second = spec.addons[0].clone();
        second.allowance = "monthly".into(); // source monthly
        spec.addons.push(second);
        let mut third = spec.addons[0].clone();
        third.id = "third".into();
        third.allowance = "bonus".into(); // not in [wallet]
        spec.addons.push(third);
        assert_eq!(
            findings(&spec),
            [
                "addons[1].id: duplicate add-on id \"more\"",
                "addons[1].allowance: allowance \"monthly\" must have source \"addon\" and be granted per seat (one seat per unit)",
                "addons[2].allowance: no allowance \"bonus\" in [wallet] allowances",
            ]
        );
        // Source addon but one amount for every unit: refused too.
        let mut spec = good();
        spec.wallet.allowances[2].per_seat = false;
        assert_eq!(
            findings(&spec),
            [
                "addons[0].allowance: allowance \"extra\" must have source \"addon\" and be granted per seat (one seat per unit)"
            ]
        );
    }
}
