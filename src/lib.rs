//! # genprice
//!
//! One exact credit cost model for AI-generation studios. The same code
//! prices a generation in the browser (compiled to WebAssembly) and on the
//! server, so the preview on a *Generate* button and the charge are the same
//! number by construction.
//!
//! ```
//! use genprice::{Catalog, Request, quote};
//!
//! let catalog = Catalog::from_toml(include_str!("../pricing.toml"), "pricing.toml")?;
//! let request = Request::from_json_str(
//!     r#"{"product":"video/veo-3","seconds":8,"resolution":"1080p","options":{"audio":"on"}}"#,
//! )?;
//! let q = quote(&catalog, &request)?;
//! println!("{} ({} lines)", q.display, q.lines.len());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! * [`catalog`]: products, prices, multipliers, limits; validation and the
//!   fingerprint.
//! * [`request`]: the request contract, shared by the CLI, the npm package
//!   and the tests.
//! * [`quote`](mod@quote): the pricing itself.
//! * [`money`]: integer amounts, exact multipliers, rounding.
//! * [`error`]: stable error codes.
//! * [`plan`]: plans at work — entitlements, the upgrade offer, the
//!   insufficient-credits answer.
//! * [`wallet`]: the credit wallet — grants, burn order, holds, expiry,
//!   refills — as a ledger of entries folded into state.
//!
//! Nothing here does I/O or reads a clock, except the TOML file helpers
//! behind the default `native` feature.

pub mod catalog;
pub mod error;
pub mod money;
#[cfg(feature = "plans")]
pub mod plan;
pub mod quote;
pub mod request;
pub mod wallet;

/// The README's Rust example is compiled and run as a doc test.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;

pub use catalog::{Catalog, CatalogError, CatalogRef, CatalogSpec, Meter, Product, Studio};
pub use error::{ErrorCode, QuoteError};
pub use money::{MAX_AMOUNT, Multiplier, Rounding};
pub use quote::{Factor, Line, Quote, QuoteResult, quote};
pub use request::{Item, ItemSpec, MAX_ITEMS, Request, RequestSpec};
pub use wallet::{Wallet, WalletError, WalletPolicy};

#[cfg(feature = "wasm")]
pub mod wasm;

#[cfg(feature = "server")]
pub mod server;
#[cfg(feature = "server")]
pub mod service;
#[cfg(feature = "server")]
pub mod store;

/// Sorts `items` by `less`, a strict order under which **no two of them
/// are equal** (product ids of a valid catalog, option names of a request),
/// so any sort gives the one same result and stability is moot. A heapsort:
/// O(n log n) comparisons and swaps, in place, and small in wasm, where
/// `slice::sort_by` would add about 3.5 KB gzip to the browser build (its
/// machinery, once per element type) and the insertion sort this replaces
/// was O(n²) on a catalog listed in reverse.
pub(crate) fn sort_unique_by<T>(items: &mut [T], mut less: impl FnMut(&T, &T) -> bool) {
    let n = items.len();
    for node in (0..n / 2).rev() {
        sift_down(items, node, n, &mut less);
    }
    for end in (1..n).rev() {
        items.swap(0, end);
        sift_down(items, 0, end, &mut less);
    }
}

/// Moves the item at `node` down the max-heap held in `items[..end]`.
fn sift_down<T>(
    items: &mut [T],
    mut node: usize,
    end: usize,
    less: &mut impl FnMut(&T, &T) -> bool,
) {
    let mut before = |items: &[T], i: usize, j: usize| match (items.get(i), items.get(j)) {
        (Some(a), Some(b)) => less(a, b),
        _ => false,
    };
    loop {
        let mut child = node.saturating_mul(2).saturating_add(1);
        if child >= end {
            return;
        }
        if child + 1 < end && before(items, child, child + 1) {
            child += 1;
        }
        if !before(items, node, child) {
            return;
        }
        items.swap(node, child);
        node = child;
    }
}

/// A stable sort by `less` in O(n log n), for lists whose items may tie
/// (plans by price, packs by total): the positions are sorted with ties
/// broken by position, which makes the order total, then the items are
/// moved to their places.
#[cfg(feature = "plans")]
pub(crate) fn sort_small_by<T>(items: &mut [T], mut less: impl FnMut(&T, &T) -> bool) {
    let mut order: Vec<usize> = (0..items.len()).collect();
    sort_unique_by(&mut order, |&i, &j| match (items.get(i), items.get(j)) {
        (Some(a), Some(b)) => less(a, b) || (i < j && !less(b, a)),
        _ => false,
    });
    permute(items, order);
}

/// Rearranges `items` so that position `k` holds what was at `order[k]`,
/// following each cycle of the permutation (n swaps at most).
#[cfg(feature = "plans")]
fn permute<T>(items: &mut [T], mut order: Vec<usize>) {
    for start in 0..order.len() {
        let mut at = start;
        while let Some(slot) = order.get_mut(at) {
            let from = std::mem::replace(slot, at);
            if from == start || from == at {
                break;
            }
            items.swap(at, from);
            at = from;
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    #[cfg(feature = "plans")]
    fn sort_small_by_is_a_stable_sort() {
        let mut items = [(3, 'a'), (1, 'b'), (3, 'c'), (2, 'd'), (1, 'e'), (0, 'f')];
        super::sort_small_by(&mut items, |a, b| a.0 < b.0);
        assert_eq!(
            items,
            [(0, 'f'), (1, 'b'), (1, 'e'), (2, 'd'), (3, 'a'), (3, 'c')]
        );
        let mut empty: [u8; 0] = [];
        super::sort_small_by(&mut empty, |a, b| a < b);
    }

    type Pair = (u32, usize);
    /// A sort under test.
    type Sort = fn(&mut [Pair], &mut dyn FnMut(&Pair, &Pair) -> bool);

    /// Sorts `input` with `sort` by its first field, checks the result is
    /// `sort_by`'s (stable) and that `less` was called at most
    /// 4 n (log2 n + 1) times: a heapsort compares at most twice a level
    /// while building and while extracting, and the stable sort calls
    /// `less` at most twice a comparison.
    fn check(input: &[(u32, usize)], sort: Sort) {
        let mut want = input.to_vec();
        want.sort_by_key(|p| p.0);
        let mut got = input.to_vec();
        let mut comparisons = 0usize;
        sort(&mut got, &mut |a, b| {
            comparisons += 1;
            a.0 < b.0
        });
        assert_eq!(got, want, "{input:?}");
        let n = input.len();
        let bound = 4 * n * (usize::BITS - n.leading_zeros()) as usize;
        assert!(comparisons <= bound, "{comparisons} > {bound} for n = {n}");
    }

    fn permutations(n: usize, prefix: &mut Vec<usize>, out: &mut dyn FnMut(&[usize])) {
        if prefix.len() == n {
            return out(prefix);
        }
        for i in 0..n {
            if !prefix.contains(&i) {
                prefix.push(i);
                permutations(n, prefix, out);
                prefix.pop();
            }
        }
    }

    /// Issue 9, item 4: the insertion sort was O(n²) on reversed input.
    /// Without ties, on every permutation of up to 7 items and on 10,000
    /// reversed, sorted and shuffled ones, the heapsort is right in
    /// O(n log n) comparisons.
    #[test]
    fn sort_unique_by_sorts_in_n_log_n() {
        let sort: Sort = |items, less| super::sort_unique_by(items, less);
        for n in 0..=7 {
            permutations(n, &mut Vec::new(), &mut |p| {
                let input: Vec<(u32, usize)> =
                    p.iter().enumerate().map(|(i, &k)| (k as u32, i)).collect();
                check(&input, sort);
            });
        }
        let n = 10_000;
        check(
            &(0..n).rev().map(|i| (i as u32, i)).collect::<Vec<_>>(),
            sort,
        );
        check(&(0..n).map(|i| (i as u32, i)).collect::<Vec<_>>(), sort);
        check(
            &(0..n)
                .map(|i| ((i * 7919 % n) as u32, i))
                .collect::<Vec<_>>(),
            sort,
        );
    }

    /// Issue 9, item 4: with ties, the stable sort keeps equal items in
    /// their order, in O(n log n) comparisons (each position comparison
    /// calls `less` at most twice).
    #[test]
    #[cfg(feature = "plans")]
    fn sort_small_by_is_stable_and_n_log_n() {
        let sort: Sort = |items, less| super::sort_small_by(items, less);
        let check = |input: &[(u32, usize)]| check(input, sort);
        fn permutations(n: usize, prefix: &mut Vec<usize>, out: &mut dyn FnMut(&[usize])) {
            if prefix.len() == n {
                return out(prefix);
            }
            for i in 0..n {
                if !prefix.contains(&i) {
                    prefix.push(i);
                    permutations(n, prefix, out);
                    prefix.pop();
                }
            }
        }
        for n in 0..=7 {
            permutations(n, &mut Vec::new(), &mut |p| {
                // Keys with ties (k / 2), tagged by position to see stability.
                let input: Vec<(u32, usize)> = p
                    .iter()
                    .enumerate()
                    .map(|(i, &k)| (k as u32 / 2, i))
                    .collect();
                check(&input);
            });
        }
        let n = 10_000;
        check(&(0..n).rev().map(|i| (i as u32 / 3, i)).collect::<Vec<_>>());
        check(&(0..n).map(|i| (i as u32, i)).collect::<Vec<_>>());
        check(&(0..n).map(|i| (7, i)).collect::<Vec<_>>());
        check(
            &(0..n)
                .map(|i| ((i * 7919 % 1000) as u32, i))
                .collect::<Vec<_>>(),
        );
    }
}
