//! Helpers shared by the `tests/scenario_*.rs` files: loading an example
//! catalog, pricing a request, the calendar, and short forms of the wallet
//! operations a studio makes (refill a period, buy a pack, start a
//! generation, read a balance by source).
//!
//! Each scenario file includes this module, and uses only part of it;
//! the CLI test files use [`cli`].
#![allow(dead_code)]
#![allow(
    clippy::result_large_err,
    reason = "WalletError keeps its details as typed fields, as in src/wallet"
)]

pub mod cli;

use genprice::plan::{CreditCheck, Entitlement, PackOffer, PlanOffer, QuoteOptions, quote_for};
use genprice::wallet::{
    Balance, Grant, GrantSource, HoldRequest, Metadata, Millis, Receipt, Refill, Wallet,
    WalletError,
};
use genprice::{Catalog, Request, quote};
use std::path::PathBuf;

/// One hour, in ms.
pub const HOUR: Millis = 3_600_000;
/// One day, in ms.
pub const DAY: Millis = 24 * HOUR;
/// 2026-11-01T00:00:00Z, the day every scenario starts.
pub const T0: Millis = 1_793_491_200_000;
/// How long a generation's hold lasts before it times out (10 minutes).
pub const TTL: Millis = 600_000;

/// Midnight (UTC) starting day `n` of the scenario (day 0 = 2026-11-01).
pub fn day(n: i64) -> Millis {
    T0 + n * DAY
}

/// `hour` o'clock on day `n`.
pub fn at(n: i64, hour: i64) -> Millis {
    day(n) + hour * HOUR
}

/// The example catalog `examples/NAME.toml`.
pub fn catalog(name: &str) -> Catalog {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("examples")
        .join(format!("{name}.toml"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    Catalog::from_toml(&text, &path.display().to_string())
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// A request from its JSON text.
pub fn request(json: &str) -> Request {
    Request::from_json_str(json).unwrap_or_else(|e| panic!("{json}: {e:?}"))
}

/// The quoted total of a request, in credits.
pub fn price(catalog: &Catalog, json: &str) -> u64 {
    quote(catalog, &request(json))
        .unwrap_or_else(|e| panic!("{json}: {e:?}"))
        .total
}

/// What a *Generate* button learns for a user on `plan` with `balance`
/// credits available: the plan's verdict (with the upgrade) and the
/// credit check (with the packs and plans that would cover a shortfall).
pub fn check_on(
    catalog: &Catalog,
    json: &str,
    plan: &str,
    balance: u64,
) -> (Entitlement, CreditCheck) {
    let options = QuoteOptions {
        plan: Some(plan.into()),
        balance: Some(balance),
    };
    let q =
        quote_for(catalog, &request(json), &options).unwrap_or_else(|e| panic!("{json}: {e:?}"));
    (q.entitlement.unwrap(), q.credits.unwrap())
}

/// The ids of offered plans, in offer order.
pub fn plan_ids(plans: &[PlanOffer]) -> Vec<&str> {
    plans.iter().map(|p| p.id.as_str()).collect()
}

/// Offered packs as `(id, quantity, total price)`, in offer order.
pub fn pack_totals(packs: &[PackOffer]) -> Vec<(&str, u64, u64)> {
    packs
        .iter()
        .map(|p| (p.id.as_str(), p.quantity, p.total))
        .collect()
}

/// An empty wallet with the catalog's `[wallet]` policy.
pub fn wallet(catalog: &Catalog) -> Wallet {
    Wallet::new(catalog.spec().wallet.clone()).unwrap()
}

/// Refills `allowance` for the period `[start, end)` named `period`, with
/// `seats` seats (units, for an add-on), at `now`.
pub fn refill(
    wallet: &mut Wallet,
    allowance: &str,
    period: &str,
    (start, end): (Millis, Millis),
    seats: u64,
    now: Millis,
) -> Receipt {
    let refill = Refill {
        allowance: allowance.into(),
        period: period.into(),
        start,
        end,
        seats,
    };
    wallet
        .refill(&refill, now)
        .unwrap_or_else(|e| panic!("refill {allowance}/{period}: {e:?}"))
}

/// Buys `quantity` of the catalog's pack `pack`: one top-up grant
/// `id`, effective at `now`, expiring at `expires_at` (`None`: never).
pub fn buy_pack(
    wallet: &mut Wallet,
    catalog: &Catalog,
    id: &str,
    pack: &str,
    expires_at: Option<Millis>,
    now: Millis,
) -> u64 {
    let credits = catalog
        .pack(pack)
        .unwrap_or_else(|| panic!("no pack {pack}"))
        .credits;
    let grant = Grant {
        id: id.into(),
        source: GrantSource::Topup,
        amount: credits,
        effective_at: now,
        expires_at,
        priority: 0,
    };
    let metadata = Metadata {
        reference: Some(format!("pack {pack}")),
        ..Metadata::default()
    };
    wallet.grant(&grant, &metadata, now).unwrap();
    credits
}

/// Starts a generation: prices `json` and holds its total as hold `id`.
/// Returns the amount held, or the wallet's refusal.
pub fn start(
    wallet: &mut Wallet,
    catalog: &Catalog,
    id: &str,
    json: &str,
    now: Millis,
) -> Result<u64, WalletError> {
    let q = quote(catalog, &request(json)).unwrap_or_else(|e| panic!("{json}: {e:?}"));
    let first = q.lines.first().expect("a line");
    let hold = HoldRequest {
        id: id.into(),
        amount: q.total,
        ttl: TTL,
        metadata: Metadata {
            studio: Some(first.studio.as_str().into()),
            product: Some(first.product.to_string()),
            summary: Some(json.into()),
            reference: None,
        },
    };
    wallet.hold(&hold, now)?;
    Ok(q.total)
}

/// Starts a generation and settles it in full (it succeeded a minute
/// later). Returns the amount charged.
pub fn generate(wallet: &mut Wallet, catalog: &Catalog, id: &str, json: &str, now: Millis) -> u64 {
    let amount = start(wallet, catalog, id, json, now).unwrap_or_else(|e| panic!("{id}: {e:?}"));
    wallet.settle(id, amount, now + 60_000).unwrap();
    amount
}

/// The balance at `now`.
pub fn balance(wallet: &Wallet, now: Millis) -> Balance {
    wallet.balance(now).unwrap()
}

/// Credits spendable at `now`.
pub fn available(wallet: &Wallet, now: Millis) -> u64 {
    balance(wallet, now).available
}

/// Credits spendable at `now`, per source that ever granted anything, in
/// source order: `[("daily", 40), ("monthly", 1000)]`.
pub fn by_source(wallet: &Wallet, now: Millis) -> Vec<(&'static str, u64)> {
    balance(wallet, now)
        .sources
        .iter()
        .map(|s| (s.source.as_str(), s.available))
        .collect()
}

/// Checks the ledger replays to the same wallet, and that credits are
/// conserved in total.
pub fn check_ledger(wallet: &Wallet, now: Millis) {
    let again = Wallet::from_entries(wallet.policy().clone(), wallet.entries().to_vec()).unwrap();
    assert_eq!(&again, wallet, "replaying the ledger gives the same wallet");
    let b = balance(wallet, now);
    assert_eq!(
        b.granted,
        b.available + b.upcoming + b.held + b.spent + b.expired,
        "credits are conserved"
    );
}
