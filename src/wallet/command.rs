//! One operation, one wire shape: [`Command`] is every wallet operation as
//! a plain JSON object, and [`Answer`] its result. The CLI, the shared test
//! vectors and (later) the JavaScript binding all speak it.

use super::Millis;
use super::{
    Balance, Entry, Grant, HoldRequest, Metadata, Preview, Receipt, Refill, Wallet, WalletError,
};
use serde::{Deserialize, Serialize};

/// A wallet operation, tagged by `op`:
///
/// ```json
/// {"op":"grant","grant":{"id":"pack-1","source":"topup","amount":500,"effectiveAt":0}}
/// {"op":"hold","id":"gen-1","amount":96,"ttl":600000,"metadata":{"product":"image/flux-pro"}}
/// {"op":"settle","hold":"gen-1","amount":72}
/// {"op":"release","hold":"gen-1"}
/// {"op":"expire"}
/// {"op":"refill","allowance":"pro-monthly","period":"2026-11","start":0,"end":2592000000}
/// {"op":"balance"}
/// {"op":"preview","amount":96}
/// ```
#[cfg_attr(feature = "wasm", derive(tsify::Tsify))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "camelCase", deny_unknown_fields)]
pub enum Command {
    /// [`Wallet::grant`].
    Grant {
        /// The grant.
        grant: Grant,
        /// Its metadata.
        #[serde(default)]
        metadata: Metadata,
    },
    /// [`Wallet::hold`].
    Hold(HoldRequest),
    /// [`Wallet::settle`].
    Settle {
        /// The hold.
        hold: String,
        /// Credits to charge.
        amount: u64,
    },
    /// [`Wallet::release`].
    Release {
        /// The hold.
        hold: String,
    },
    /// [`Wallet::expire`]. (An empty struct variant, so that unknown
    /// fields are rejected.)
    Expire {},
    /// [`Wallet::refill`].
    Refill(Refill),
    /// [`Wallet::balance`].
    Balance {},
    /// [`Wallet::preview`].
    Preview {
        /// Credits to spend.
        amount: u64,
    },
}

/// The result of a [`Command`], tagged by `type`.
#[cfg_attr(feature = "wasm", derive(tsify::Tsify))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "camelCase")]
pub enum Answer {
    /// From grant, hold, settle, release and refill.
    Receipt(Receipt),
    /// From expire: the entry appended, or `null` when nothing was due.
    Expire {
        /// The expire entry, if any.
        entry: Option<Entry>,
    },
    /// From balance.
    Balance(Balance),
    /// From preview.
    Preview(Preview),
}

impl Wallet {
    /// Runs one [`Command`] at `now`.
    pub fn execute(&mut self, command: &Command, now: Millis) -> Result<Answer, WalletError> {
        Ok(match command {
            Command::Grant { grant, metadata } => {
                Answer::Receipt(self.grant(grant, metadata, now)?)
            }
            Command::Hold(request) => Answer::Receipt(self.hold(request, now)?),
            Command::Settle { hold, amount } => Answer::Receipt(self.settle(hold, *amount, now)?),
            Command::Release { hold } => Answer::Receipt(self.release(hold, now)?),
            Command::Expire {} => Answer::Expire {
                entry: self.expire(now)?,
            },
            Command::Refill(refill) => Answer::Receipt(self.refill(refill, now)?),
            Command::Balance {} => Answer::Balance(self.balance(now)?),
            Command::Preview { amount } => Answer::Preview(self.preview(*amount, now)?),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_read_their_documented_json() {
        for line in [
            r#"{"op":"grant","grant":{"id":"pack-1","source":"topup","amount":500,"effectiveAt":0}}"#,
            r#"{"op":"hold","id":"gen-1","amount":96,"ttl":600000,"metadata":{"product":"image/flux-pro"}}"#,
            r#"{"op":"settle","hold":"gen-1","amount":72}"#,
            r#"{"op":"release","hold":"gen-1"}"#,
            r#"{"op":"expire"}"#,
            r#"{"op":"refill","allowance":"pro-monthly","period":"2026-11","start":0,"end":2592000000}"#,
            r#"{"op":"balance"}"#,
            r#"{"op":"preview","amount":96}"#,
        ] {
            let command: Command = serde_json::from_str(line).unwrap();
            let back: Command =
                serde_json::from_str(&serde_json::to_string(&command).unwrap()).unwrap();
            assert_eq!(back, command, "{line}");
        }
    }

    #[test]
    fn commands_reject_unknown_fields() {
        for line in [
            r#"{"op":"settle","hold":"gen-1","amount":72,"extra":1}"#,
            r#"{"op":"hold","id":"g","amount":1,"ttl":1,"colour":"red"}"#,
            r#"{"op":"grant","grant":{"id":"p","source":"topup","amount":5,"effectiveAt":0,"x":1}}"#,
            r#"{"op":"expire","now":5}"#,
            r#"{"op":"balance","x":null}"#,
            r#"{"op":"launch"}"#,
        ] {
            assert!(serde_json::from_str::<Command>(line).is_err(), "{line}");
        }
    }
}
