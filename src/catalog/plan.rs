//! Plans, top-up packs and add-ons: what a user can subscribe to and buy,
//! the credits each grants, and what each plan lets them generate.
//!
//! Money here is real money, in **minor units** (cents) of the catalog's
//! `currency`; credits are the catalog's unit. Both are integers.
//!
//! A plan's grants name allowances of the catalog's `[wallet]` section, so
//! the wallet that refills a plan and the planner that sizes one read the
//! same amounts. Gating ([`Limits`]) narrows what the products allow; a
//! request the plan does not allow is still priced, and the quote says why
//! it is denied ([`crate::plan`]).

use crate::catalog::Studio;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// How often a plan is billed.
#[cfg_attr(feature = "wasm", derive(tsify::Tsify))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Cycle {
    /// Billed every month.
    Monthly,
    /// Billed once a year, up front.
    Annual,
}

impl Cycle {
    /// The wire name (`"monthly"`).
    pub fn as_str(self) -> &'static str {
        match self {
            Cycle::Monthly => "monthly",
            Cycle::Annual => "annual",
        }
    }

    /// Parses a wire name.
    pub fn from_name(name: &str) -> Option<Cycle> {
        match name {
            "monthly" => Some(Cycle::Monthly),
            "annual" => Some(Cycle::Annual),
            _ => None,
        }
    }

    /// Months one billing period lasts (1 or 12).
    pub fn months(self) -> u64 {
        match self {
            Cycle::Monthly => 1,
            Cycle::Annual => 12,
        }
    }
}

/// One way to pay for a plan: the cycle, the price per cycle, and the
/// allowances granted each cycle on top of the plan's own `grants` (an
/// annual plan grants the year's credits up front).
#[cfg_attr(feature = "wasm", derive(tsify::Tsify))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Billing {
    /// Monthly or annual.
    pub cycle: Cycle,
    /// Price per cycle in minor units of the catalog's currency (per seat
    /// for a per-seat plan).
    pub price: u64,
    /// Allowance ids (of the `[wallet]` section) granted each cycle.
    pub grants: Vec<String>,
}

/// Seat bounds of a per-seat plan: the price and per-seat allowances are
/// multiplied by the seat count.
#[cfg_attr(feature = "wasm", derive(tsify::Tsify))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Seats {
    /// Fewest seats the plan is sold with (at least 1).
    pub min: u64,
    /// Most seats.
    pub max: u64,
}

/// What a plan lets its users generate. Every field narrows what the
/// products themselves allow; an absent field narrows nothing.
#[cfg_attr(feature = "wasm", derive(tsify::Tsify))]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Limits {
    /// Tiers the plan may use (`None`: every tier).
    pub tiers: Option<Vec<String>>,
    /// Products the plan may use (`None`: every product of an allowed tier).
    pub products: Option<Vec<String>>,
    /// Highest resolution per studio, a name on the catalog's ladder for
    /// that studio (`resolutions`).
    #[cfg_attr(feature = "wasm", tsify(type = "Partial<Record<Studio, string>>"))]
    pub max_resolution: BTreeMap<Studio, String>,
    /// Longest duration, in seconds, for per-second products.
    pub max_seconds: Option<u64>,
    /// Most outputs (images, clips, variants) in one item.
    pub max_outputs: Option<u64>,
    /// Allowed values by option name; options not listed allow every value.
    pub options: BTreeMap<String, Vec<String>>,
}

/// A subscription plan: its prices, the credits it grants, the packs and
/// add-ons its users may buy, and what it lets them generate.
#[cfg_attr(feature = "wasm", derive(tsify::Tsify))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Plan {
    /// Unique id (`"pro"`), a lower-case slug.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Ways to pay, at most one per cycle. Empty for a free plan (and for
    /// a custom one, priced by contract).
    pub billing: Vec<Billing>,
    /// Allowance ids granted whatever the billing cycle (sign-up credits,
    /// a daily free allowance).
    pub grants: Vec<String>,
    /// Seat bounds for a per-seat plan; `None` for a single-user plan.
    pub seats: Option<Seats>,
    /// Pack ids this plan's users may buy.
    pub packs: Vec<String>,
    /// Percent off pack prices for this plan (0–100), rounded to the
    /// nearest minor unit, halves up.
    pub pack_discount: u64,
    /// Add-on ids this plan's users may buy.
    pub addons: Vec<String>,
    /// What the plan allows.
    pub limits: Limits,
    /// Priced and granted by contract (an enterprise plan): never
    /// recommended by price, offered only when no listed plan fits.
    pub custom: bool,
    /// Offered to users. An unlisted plan (a lapsed or read-only account)
    /// is never recommended or offered as an upgrade.
    pub listed: bool,
}

/// When the credits of a top-up pack expire.
#[cfg_attr(feature = "wasm", derive(tsify::Tsify))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PackExpiry {
    /// Never.
    Never,
    /// At the end of the billing cycle it was bought in.
    CycleEnd,
}

impl PackExpiry {
    /// Parses a wire name.
    pub fn from_name(name: &str) -> Option<PackExpiry> {
        match name {
            "never" => Some(PackExpiry::Never),
            "cycle_end" => Some(PackExpiry::CycleEnd),
            _ => None,
        }
    }
}

/// A one-time top-up pack of credits.
#[cfg_attr(feature = "wasm", derive(tsify::Tsify))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Pack {
    /// Unique id, a lower-case slug.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Credits the pack grants, in smallest units.
    pub credits: u64,
    /// List price in minor units of the catalog's currency (a plan's
    /// `packDiscount` takes a percentage off).
    pub price: u64,
    /// When its credits expire.
    pub expires: PackExpiry,
}

/// Recurring add-on units bought on top of a plan: each unit grants the
/// named allowance's amount every cycle, and expires with the cycle.
#[cfg_attr(feature = "wasm", derive(tsify::Tsify))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Addon {
    /// Unique id, a lower-case slug.
    pub id: String,
    /// Display name.
    pub name: String,
    /// The `[wallet]` allowance one unit grants (source `addon`, per seat:
    /// the refill's seat count is the unit count).
    pub allowance: String,
    /// Price of one unit per month, in minor units.
    pub price: u64,
}

/// Decimal places of a currency's minor unit (ISO 4217): 0 for the yen,
/// the won and other currencies without a minor unit, 3 for the Gulf
/// dinars, 2 for everything else.
pub fn currency_decimals(code: &str) -> u8 {
    const NONE: [&str; 16] = [
        "BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF", "UGX", "UYI", "VND",
        "VUV", "XAF", "XOF",
    ];
    const THREE: [&str; 7] = ["BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"];
    if NONE.contains(&code) {
        0
    } else if THREE.contains(&code) {
        3
    } else {
        2
    }
}

/// Minor units as people read them: `2000` USD is `"20.00 USD"`, `2000`
/// JPY is `"2000 JPY"`.
pub fn format_money(minor: u64, currency: &str) -> String {
    let mut text = crate::money::format_amount(minor, currency_decimals(currency));
    text.push(' ');
    text.push_str(currency);
    text
}

impl Plan {
    /// The billing option for `cycle`.
    pub fn billing(&self, cycle: Cycle) -> Option<&Billing> {
        self.billing.iter().find(|b| b.cycle == cycle)
    }

    /// Whether the plan is free: not custom, and no billing option with a
    /// price above zero (listed or not).
    pub fn is_free(&self) -> bool {
        !self.custom && self.billing.iter().all(|b| b.price == 0)
    }

    /// Seats the plan is priced with when the caller names none: the
    /// minimum for a per-seat plan, otherwise 1.
    pub fn default_seats(&self) -> u64 {
        self.seats.as_ref().map_or(1, |s| s.min)
    }

    /// The price of `pack` for this plan's users: the list price less
    /// `packDiscount` percent, rounded to the nearest minor unit, halves up.
    pub fn pack_price(&self, pack: &Pack) -> u64 {
        let percent = u128::from(100u64.saturating_sub(self.pack_discount.min(100)));
        let cents = u128::from(pack.price) * percent;
        u64::try_from((cents + 50) / 100).unwrap_or(u64::MAX)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(discount: u64) -> Plan {
        Plan {
            id: "p".into(),
            name: "P".into(),
            billing: vec![],
            grants: vec![],
            seats: None,
            packs: vec![],
            pack_discount: discount,
            addons: vec![],
            limits: Limits::default(),
            custom: false,
            listed: true,
        }
    }

    #[test]
    fn pack_discount_rounds_half_up_to_a_minor_unit() {
        let pack = Pack {
            id: "k".into(),
            name: "K".into(),
            credits: 100,
            price: 999,
            expires: PackExpiry::Never,
        };
        assert_eq!(plan(0).pack_price(&pack), 999);
        assert_eq!(plan(20).pack_price(&pack), 799); // 799.2
        assert_eq!(plan(50).pack_price(&pack), 500); // 499.5 → 500
        assert_eq!(plan(100).pack_price(&pack), 0);
    }

    #[test]
    fn money_shows_each_currency_with_its_minor_unit() {
        assert_eq!(format_money(2000, "USD"), "20.00 USD");
        assert_eq!(format_money(5, "EUR"), "0.05 EUR");
        assert_eq!(format_money(2000, "JPY"), "2000 JPY");
        assert_eq!(format_money(2500, "KWD"), "2.500 KWD");
    }

    #[test]
    fn cycles_have_wire_names_and_lengths() {
        for cycle in [Cycle::Monthly, Cycle::Annual] {
            assert_eq!(Cycle::from_name(cycle.as_str()), Some(cycle));
        }
        assert_eq!(Cycle::Annual.months(), 12);
        assert!(plan(0).is_free());
    }
}
