//! The wallet against its reference model, operation by operation.
//!
//! The bytes are decoded into a sequence of grant, hold, settle, release,
//! expire, refill, preview, balance and retry operations at times that
//! mostly go forward (sometimes stand still, now and then go back), and
//! run by `tests/wallet_model` (the same oracle as the property test
//! `tests/wallet_properties.rs`): against the wallet, a replica fed its
//! entries, a wallet rebuilt from snapshots and the model. Every answer and
//! every figure must agree, and credits must be conserved after each step.
#![no_main]

#[path = "../../tests/wallet_model/mod.rs"]
mod wallet_model;

use genprice::wallet::{GrantSource, Millis};
use libfuzzer_sys::fuzz_target;
use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use wallet_model::{ALLOWANCES, Id, Op, TAGS, run_case};

/// At most this many operations per input, so one run stays short.
const MAX_STEPS: usize = 64;

/// Reads the bytes front to back; past the end every read is zero.
struct Bytes<'a>(&'a [u8]);

impl Bytes<'_> {
    fn u8(&mut self) -> u8 {
        match self.0.split_first() {
            Some((b, rest)) => {
                self.0 = rest;
                *b
            }
            None => 0,
        }
    }

    fn u16(&mut self) -> u16 {
        u16::from(self.u8()) << 8 | u16::from(self.u8())
    }

    /// A number in `0..n`.
    fn below(&mut self, n: u64) -> u64 {
        u64::from(self.u16()) % n
    }

    fn id(&mut self) -> Id {
        match self.u8() % 5 {
            4 => Id::Recent(usize::from(self.u8() % 4)),
            _ => Id::Fresh,
        }
    }

    fn millis(&mut self, n: u64) -> Millis {
        Millis::try_from(self.below(n)).unwrap_or(0)
    }

    fn op(&mut self) -> Op {
        match self.u8() % 11 {
            0 | 1 => Op::Grant {
                id: self.id(),
                source: usize::from(self.u8()) % GrantSource::ALL.len(),
                amount: self.below(1000),
                back: self.millis(2000),
                future: self.u8().is_multiple_of(10),
                life: match self.u8() % 10 {
                    0..=6 => Some(1 + self.millis(6000)),
                    _ => None,
                },
                priority: u32::from(self.u8() % 3),
            },
            2..=4 => Op::Hold {
                id: self.id(),
                amount: self.below(500),
                ttl: match self.u8() % 5 {
                    0 => 1 + self.millis(300),
                    _ => 300 + self.millis(20_000),
                },
                tag: usize::from(self.u8()) % TAGS.len(),
            },
            5 => Op::Settle {
                back: usize::from(self.u8() % 4),
                percent: match self.u8() % 4 {
                    0 => 100,
                    _ => self.below(111),
                },
            },
            6 => Op::Release {
                back: usize::from(self.u8() % 4),
            },
            7 => match self.u8() % 3 {
                0 => Op::Expire,
                1 => Op::Balance,
                _ => Op::Preview {
                    amount: self.below(800),
                },
            },
            8 => Op::Refill {
                allowance: usize::from(self.u8()) % ALLOWANCES.len(),
                period: i64::from(self.u8() % 8),
                seats: u64::from(self.u8() % 4),
            },
            _ => Op::Retry,
        }
    }

    /// A time step: mostly forward, sometimes none, now and then back.
    fn dt(&mut self) -> Millis {
        match self.u8() % 17 {
            0..=2 => 0,
            3..=12 => 1 + self.millis(99),
            13..=15 => 100 + self.millis(1400),
            _ => -1 - self.millis(300),
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let mut bytes = Bytes(data);
    let ordered = bytes.u8() % 2 == 1;
    let start = bytes.millis(5000);
    let mut steps = Vec::new();
    while !bytes.0.is_empty() && steps.len() < MAX_STEPS {
        let dt = bytes.dt();
        steps.push((dt, bytes.op()));
    }
    let ops = Cell::new(0);
    let outcomes = RefCell::new(BTreeMap::new());
    if let Err(e) = run_case(ordered, start, &steps, &ops, &outcomes) {
        panic!("{e}\nsteps: {steps:#?}");
    }
});
