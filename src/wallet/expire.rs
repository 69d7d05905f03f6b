//! Expiry: [`Wallet::expire`] releases holds past their ttl and records the
//! available credits of grants past their expiry as expired.
//!
//! Every other operation first does the same at its `now` (appending the
//! expire entry before its own, see [`Receipt::expired`]), and balances and
//! previews are computed as if it had been done, so a wallet never spends a
//! credit that has expired nor misses one that a timed-out hold gave back.

#[cfg(doc)]
use super::Receipt;
use super::{
    Entry, ExpireEntry, ExpiredGrant, ExpiredHold, HoldStatus, Millis, Wallet, WalletError,
};
use std::borrow::Cow;

impl Wallet {
    /// Expires, at `now`, every pending hold whose ttl has run out (it is
    /// released: credits go back to their grants, or to `expired` for a
    /// grant past its expiry) and every grant past its expiry that still has
    /// available credits. Appends one expire entry and returns it, or
    /// returns `None` and changes nothing when nothing is due.
    ///
    /// Held credits are not expired while held: a grant past its expiry
    /// keeps its held credits until their hold resolves.
    ///
    /// Errors: `invalid_time`, `time_before_last_entry`.
    pub fn expire(&mut self, now: Millis) -> Result<Option<Entry>, WalletError> {
        super::time::check_time(now, "now")?;
        self.check_now(now)?;
        match self.expiry_entry(now)? {
            Some(entry) => {
                self.apply(entry.clone())?;
                Ok(Some(entry))
            }
            None => Ok(None),
        }
    }

    /// The expire entry due at `now`, if anything is due.
    pub(crate) fn expiry_entry(&self, now: Millis) -> Result<Option<Entry>, WalletError> {
        let mut holds = Vec::new();
        for hold in self.holds.values() {
            if hold.status == HoldStatus::Pending && hold.expires_at <= now {
                holds.push(ExpiredHold {
                    hold: hold.id.clone(),
                    lines: self.resolution_lines(&hold.id, 0, now)?,
                });
            }
        }
        let grants: Vec<ExpiredGrant> = self
            .grants
            .values()
            .filter(|g| g.available > 0 && g.grant.is_expired_at(now))
            .map(|g| ExpiredGrant {
                grant: g.grant.id.clone(),
                amount: g.available,
            })
            .collect();
        if holds.is_empty() && grants.is_empty() {
            return Ok(None);
        }
        Ok(Some(Entry::Expire(ExpireEntry {
            seq: self.next_seq(),
            at: now,
            holds,
            grants,
        })))
    }

    /// The wallet as it is at `now`: itself when nothing is due, else a
    /// copy with the due expire entry applied. Checks `now` first.
    pub(crate) fn view(&self, now: Millis) -> Result<Cow<'_, Wallet>, WalletError> {
        super::time::check_time(now, "now")?;
        self.check_now(now)?;
        match self.expiry_entry(now)? {
            None => Ok(Cow::Borrowed(self)),
            Some(entry) => {
                let mut next = self.clone();
                next.apply(entry)?;
                Ok(Cow::Owned(next))
            }
        }
    }
}
