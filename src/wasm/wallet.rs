//! `Wallet` for JavaScript (feature `wallet-wasm`): the credit wallet of
//! [`crate::wallet`], for previews in the browser ("this uses 40 free + 60
//! subscription credits, leaving 312") and for a Node service. Conversion
//! only: every rule lives in the core.

use super::convert::{error, json_value, millis, to_js, whole};
use crate::error::ErrorCode;
use crate::wallet::{Command, Entry, Wallet, WalletError, WalletPolicy};
use js_sys::Reflect;
use serde::de::DeserializeOwned;
use wasm_bindgen::prelude::*;

/// A credit wallet: an append-only ledger folded into balances.
///
/// ```js
/// import { Wallet } from "genprice/wallet";
/// const wallet = new Wallet(policy, entriesFromServer);
/// const preview = wallet.preview(q.total, Date.now());   // allocations per grant, balance after
/// ```
#[wasm_bindgen(js_name = Wallet)]
pub struct WalletHandle {
    wallet: Wallet,
}

#[wasm_bindgen(js_class = Wallet)]
impl WalletHandle {
    /// A wallet with `policy` (burn order, refill allowances; default when
    /// omitted), rebuilt from ledger `entries` when given. Throws an `Error`
    /// with `code` (`invalid_policy`, `invalid_ledger` …) and the error's
    /// details as properties.
    #[wasm_bindgen(constructor)]
    pub fn new(
        #[wasm_bindgen(unchecked_param_type = "WalletPolicy | undefined")] policy: &JsValue,
        #[wasm_bindgen(unchecked_param_type = "Entry[] | undefined")] entries: &JsValue,
    ) -> Result<WalletHandle, JsValue> {
        super::install_panic_hook();
        let policy: WalletPolicy = if policy.is_undefined() || policy.is_null() {
            WalletPolicy::default()
        } else {
            from_js(policy, "policy")?
        };
        let entries: Vec<Entry> = if entries.is_undefined() || entries.is_null() {
            Vec::new()
        } else {
            from_js(entries, "entries")?
        };
        let wallet = Wallet::from_entries(policy, entries).map_err(|e| wallet_error(&e))?;
        Ok(WalletHandle { wallet })
    }

    /// Applies one command (`{ op: "grant" | "hold" | "settle" | "release" |
    /// "expire" | "refill" | "balance" | "preview", … }`) at time `now`
    /// (Unix milliseconds) and returns its answer. A refused command changes
    /// nothing and throws an `Error` with `code` and details
    /// (`insufficient_credits` carries `requested`, `available`, `shortfall`).
    #[wasm_bindgen(unchecked_return_type = "Answer")]
    pub fn execute(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "Command")] command: &JsValue,
        now: f64,
    ) -> Result<JsValue, JsValue> {
        let command: Command = from_js(command, "command")?;
        let answer = self
            .wallet
            .execute(&command, millis(now, "now")?)
            .map_err(|e| wallet_error(&e))?;
        to_js(&answer)
    }

    /// The balance at `now`: available, held, per grant and per source, next expiry.
    #[wasm_bindgen(unchecked_return_type = "Balance")]
    pub fn balance(&self, now: f64) -> Result<JsValue, JsValue> {
        let balance = self
            .wallet
            .balance(millis(now, "now")?)
            .map_err(|e| wallet_error(&e))?;
        to_js(&balance)
    }

    /// Which grants `amount` would draw from at `now`, and the balance after,
    /// without changing anything.
    #[wasm_bindgen(unchecked_return_type = "Preview")]
    pub fn preview(&self, amount: f64, now: f64) -> Result<JsValue, JsValue> {
        let amount = whole(amount, "amount")?;
        let preview = self
            .wallet
            .preview(amount, millis(now, "now")?)
            .map_err(|e| wallet_error(&e))?;
        to_js(&preview)
    }

    /// The ledger: every entry, oldest first.
    #[wasm_bindgen(unchecked_return_type = "Entry[]")]
    pub fn entries(&self) -> Result<JsValue, JsValue> {
        to_js(&self.wallet.entries().to_vec())
    }
}

fn from_js<T: DeserializeOwned>(value: &JsValue, what: &str) -> Result<T, JsValue> {
    let value = json_value(value)?;
    serde_json::from_value(value).map_err(|e| {
        error(
            ErrorCode::InvalidRequest,
            &format!("{what}: {e}"),
            Some(what),
        )
    })
}

/// A wallet error as an `Error` with `code`, `message` and every detail
/// (`requested`, `available`, `shortfall`, `hold`, `grant`, `line`, `path`)
/// as properties.
fn wallet_error(e: &WalletError) -> JsValue {
    let js = error(e.code, &e.message, e.path.as_deref());
    let numbers = [
        ("requested", e.requested),
        ("available", e.available),
        ("shortfall", e.shortfall),
        ("line", e.line),
    ];
    for (key, value) in numbers {
        if let Some(v) = value {
            let _ = Reflect::set(&js, &key.into(), &JsValue::from_f64(v as f64));
        }
    }
    for (key, value) in [("hold", &e.hold), ("grant", &e.grant)] {
        if let Some(v) = value {
            let _ = Reflect::set(&js, &key.into(), &v.into());
        }
    }
    js
}
