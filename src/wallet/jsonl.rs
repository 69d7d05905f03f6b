//! The ledger as JSON Lines: one [`Entry`] per line, the form `genprice
//! wallet` keeps on disk and the form a store can export. Reading and
//! writing text only; opening, locking and syncing files is the caller's.
//!
//! A ledger file is written by appending whole lines, each ending in
//! `\n`. So a last line without its `\n` that is not a whole entry was cut
//! short by a crash mid-append: [`read_ledger`] reports it as
//! `ledger_torn` with its line number, and never drops or repairs it. Any
//! other line that is not an entry, or an entry that does not follow from
//! the ones before, is `invalid_ledger` with its line number.

use super::{Entry, Wallet, WalletError, WalletPolicy};
use crate::error::ErrorCode;

/// Folds the JSON Lines ledger `bytes` into a wallet under `policy`. Blank
/// lines are skipped.
///
/// Errors: `invalid_policy`; `invalid_ledger` (with `line`, 1-based) for a
/// line that is not an entry or does not follow; `ledger_torn` (with
/// `line`) for a last line cut short.
///
/// ```
/// use genprice::wallet::{read_ledger, ledger_line, Grant, GrantSource, Metadata, Wallet};
///
/// let mut wallet = Wallet::default();
/// let grant = Grant { id: "welcome".into(), source: GrantSource::Signup, amount: 200,
///     effective_at: 0, expires_at: None, priority: 0 };
/// let receipt = wallet.grant(&grant, &Metadata::default(), 0)?;
/// let text = ledger_line(&receipt.entry)?;
/// let again = read_ledger(Default::default(), text.as_bytes())?;
/// assert_eq!(again.balance(0)?.available, 200);
///
/// let torn = &text.as_bytes()[..text.len() - 5];
/// let error = read_ledger(Default::default(), torn).unwrap_err();
/// assert_eq!(error.code.as_str(), "ledger_torn");
/// assert_eq!(error.line, Some(1));
/// # Ok::<(), genprice::wallet::WalletError>(())
/// ```
pub fn read_ledger(policy: WalletPolicy, bytes: &[u8]) -> Result<Wallet, WalletError> {
    let mut fold = LedgerFold::new(policy)?;
    let mut lines = bytes.split(|b| *b == b'\n').peekable();
    while let Some(line) = lines.next() {
        // The piece after the last `\n` is the only one without its own `\n`.
        fold.line(line, lines.peek().is_some())?;
    }
    Ok(fold.finish())
}

/// A ledger folded one line at a time, for a reader that streams a file
/// instead of holding it whole: the same checks and errors as
/// [`read_ledger`], which is this over a slice.
///
/// ```
/// use genprice::wallet::{LedgerFold, ledger_line, Grant, GrantSource, Metadata, Wallet};
///
/// let mut wallet = Wallet::default();
/// let grant = Grant { id: "welcome".into(), source: GrantSource::Signup, amount: 200,
///     effective_at: 0, expires_at: None, priority: 0 };
/// let line = ledger_line(&wallet.grant(&grant, &Metadata::default(), 0)?.entry)?;
///
/// let mut fold = LedgerFold::new(Default::default())?;
/// fold.line(line.trim_end().as_bytes(), true)?;
/// assert_eq!(fold.finish().balance(0)?.available, 200);
/// # Ok::<(), genprice::wallet::WalletError>(())
/// ```
#[derive(Debug)]
pub struct LedgerFold {
    wallet: Wallet,
    number: u64,
}

impl LedgerFold {
    /// An empty fold under `policy`. Errors: `invalid_policy`.
    pub fn new(policy: WalletPolicy) -> Result<LedgerFold, WalletError> {
        Ok(LedgerFold {
            wallet: Wallet::new(policy)?,
            number: 0,
        })
    }

    /// Folds the next line, given without its `\n`. `terminated` says
    /// whether it had one: only a file's last line may lack it, and such a
    /// line that is not a whole entry is `ledger_torn`. A blank line is
    /// skipped.
    ///
    /// Errors: `invalid_ledger` or `ledger_torn`, with `line` (1-based).
    pub fn line(&mut self, line: &[u8], terminated: bool) -> Result<(), WalletError> {
        self.number = self.number.saturating_add(1);
        let number = self.number;
        if line.iter().all(u8::is_ascii_whitespace) {
            return Ok(());
        }
        let entry: Entry = match serde_json::from_slice(line) {
            Ok(entry) => entry,
            Err(e) if !terminated => {
                return Err(WalletError::new(
                    ErrorCode::LedgerTorn,
                    format!(
                        "line {number} is cut short (no newline, not a whole entry: {e}); \
                         a write was interrupted. Nothing was dropped or repaired: restore \
                         the line or remove it by hand"
                    ),
                )
                .with_line(number));
            }
            Err(e) => {
                return Err(WalletError::ledger(format!("line {number}: {e}")).with_line(number));
            }
        };
        self.wallet.apply(entry).map_err(|e| {
            WalletError::ledger(format!("line {number}: {}", e.message)).with_line(number)
        })
    }

    /// The wallet the lines so far fold to.
    pub fn finish(self) -> Wallet {
        self.wallet
    }
}

/// One entry as a ledger line: its JSON and a `\n`.
///
/// Errors: `io` if the entry cannot be serialized (it always can).
pub fn ledger_line(entry: &Entry) -> Result<String, WalletError> {
    let mut line =
        serde_json::to_string(entry).map_err(|e| WalletError::new(ErrorCode::Io, e.to_string()))?;
    line.push('\n');
    Ok(line)
}

#[cfg(test)]
mod tests {
    use super::{LedgerFold, ledger_line, read_ledger};
    use crate::error::ErrorCode;
    use crate::wallet::{Grant, GrantSource, HoldRequest, Metadata, Wallet};

    fn ledger() -> String {
        let mut wallet = Wallet::default();
        let grant = Grant {
            id: "g".into(),
            source: GrantSource::Promo,
            amount: 50,
            effective_at: 0,
            expires_at: None,
            priority: 0,
        };
        let mut text = String::new();
        let receipt = wallet.grant(&grant, &Metadata::default(), 0).unwrap();
        text.push_str(&ledger_line(&receipt.entry).unwrap());
        let hold = HoldRequest {
            id: "h".into(),
            amount: 20,
            ttl: 1_000,
            metadata: Metadata::default(),
        };
        let receipt = wallet.hold(&hold, 10).unwrap();
        text.push_str(&ledger_line(&receipt.entry).unwrap());
        text
    }

    #[test]
    fn a_whole_ledger_folds_and_blank_lines_are_skipped() {
        let text = ledger().replace('\n', "\n\n");
        let wallet = read_ledger(Default::default(), text.as_bytes()).unwrap();
        assert_eq!(wallet.balance(10).unwrap().available, 30);
        assert_eq!(wallet.balance(10).unwrap().held, 20);
    }

    #[test]
    fn a_last_entry_without_its_newline_is_still_whole() {
        let text = ledger();
        let trimmed = text.trim_end();
        let wallet = read_ledger(Default::default(), trimmed.as_bytes()).unwrap();
        assert_eq!(wallet.balance(10).unwrap().held, 20);
    }

    #[test]
    fn a_torn_last_line_is_reported_with_its_line_never_dropped() {
        let text = ledger();
        for cut in [2, 7, 30] {
            let torn = text.get(..text.len() - cut).unwrap();
            let error = read_ledger(Default::default(), torn.as_bytes()).unwrap_err();
            assert_eq!(error.code, ErrorCode::LedgerTorn, "cut {cut}: {error}");
            assert_eq!(error.line, Some(2));
        }
    }

    /// The line-at-a-time fold gives what the whole-slice read gives,
    /// wallet or error, for whole, trimmed, torn and broken ledgers.
    #[test]
    fn folding_line_by_line_is_reading_the_whole() {
        let text = ledger();
        let cases = [
            text.clone(),
            text.trim_end().to_string(),
            text[..text.len() - 7].to_string(),
            text.replacen('{', "{x", 1),
            text.replace('\n', "\n\n"),
        ];
        for case in cases {
            let mut fold = LedgerFold::new(Default::default()).unwrap();
            let mut rest = case.as_bytes();
            let streamed = loop {
                let (line, terminated) = match rest.iter().position(|b| *b == b'\n') {
                    Some(at) => (&rest[..at], true),
                    None => (rest, false),
                };
                if let Err(e) = fold.line(line, terminated) {
                    break Err(e);
                }
                if !terminated {
                    break Ok(fold.finish());
                }
                rest = &rest[line.len() + 1..];
            };
            assert_eq!(
                streamed,
                read_ledger(Default::default(), case.as_bytes()),
                "{case}"
            );
        }
    }

    #[test]
    fn a_bad_line_in_the_middle_is_invalid_ledger_not_torn() {
        let text = ledger();
        let broken = text.replacen("{", "{x", 1);
        let error = read_ledger(Default::default(), broken.as_bytes()).unwrap_err();
        assert_eq!(error.code, ErrorCode::InvalidLedger);
        assert_eq!(error.line, Some(1));
        // A whole line that ends in its newline but is not JSON is not torn.
        let error = read_ledger(Default::default(), b"{\"seq\":\n").unwrap_err();
        assert_eq!(error.code, ErrorCode::InvalidLedger);
    }
}
