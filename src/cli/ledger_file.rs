//! The wallet's ledger file, safe to share between processes.
//!
//! Every `genprice wallet` run holds an exclusive lock on the ledger
//! (`File::lock`, an advisory `flock` on Unix) from before it reads the
//! ledger until after its appended entries are on disk (`sync_data`), so
//! two processes on one ledger take turns: each folds every entry the
//! other appended before it writes its own. A reader (`genprice quote
//! --ledger`) takes a shared lock, so it never sees half an append.
//!
//! The lock is released when the file is closed, including when the
//! process dies, so a crash never leaves the ledger locked. A crash in the
//! middle of an append can leave a torn last line; the next read reports
//! it as `ledger_torn` (see [`genprice::wallet::read_ledger`]).
//!
//! The file is read a line at a time ([`LedgerFold`]), so it is never held
//! whole; the wallet it folds to keeps every entry, so a file over the
//! reader's limit (`--max-ledger-bytes`, [`DEFAULT_MAX_BYTES`] by default) is
//! refused with `ledger_too_large` before a byte of it is read.
#![allow(
    clippy::result_large_err,
    reason = "WalletError keeps its details as typed fields, as in src/wallet"
)]

use genprice::ErrorCode;
use genprice::wallet::{Entry, LedgerFold, Wallet, WalletError, WalletPolicy, ledger_line};
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

/// The largest ledger file read by default: 256 MiB, about 1.6 million
/// entries of 160 bytes, which fold to a wallet of about 1.15 GB (700 bytes
/// an entry; see the README's limits).
pub const DEFAULT_MAX_BYTES: u64 = 256 << 20;

/// An open ledger file under a lock, released on drop.
pub struct LedgerFile {
    file: File,
    path: PathBuf,
}

fn io_error(path: &Path, what: &str, e: &std::io::Error) -> WalletError {
    WalletError::new(
        ErrorCode::Io,
        format!("{}: cannot {what}: {e}", path.display()),
    )
}

impl LedgerFile {
    /// Opens the ledger for an operation, creating it if absent, and waits
    /// for the exclusive lock.
    pub fn open_exclusive(path: &Path) -> Result<LedgerFile, WalletError> {
        let file = OpenOptions::new()
            .read(true)
            .append(true)
            .create(true)
            .open(path)
            .map_err(|e| io_error(path, "open ledger", &e))?;
        file.lock().map_err(|e| io_error(path, "lock ledger", &e))?;
        Ok(LedgerFile {
            file,
            path: path.to_path_buf(),
        })
    }

    /// Opens an existing ledger to read it, and waits for a shared lock.
    pub fn open_shared(path: &Path) -> Result<LedgerFile, WalletError> {
        let file = File::open(path).map_err(|e| io_error(path, "open ledger", &e))?;
        file.lock_shared()
            .map_err(|e| io_error(path, "lock ledger", &e))?;
        Ok(LedgerFile {
            file,
            path: path.to_path_buf(),
        })
    }

    /// Folds the ledger into a wallet under `policy`, reading it a line at
    /// a time through the locked handle. A file over `max_bytes` is
    /// `ledger_too_large`. An error names the file and carries the line.
    pub fn fold(&mut self, policy: WalletPolicy, max_bytes: u64) -> Result<Wallet, WalletError> {
        let read_error = |e: &std::io::Error| io_error(&self.path, "read ledger", e);
        let size = self.file.metadata().map_err(|e| read_error(&e))?.len();
        if size > max_bytes {
            return Err(WalletError::new(
                ErrorCode::LedgerTooLarge,
                format!(
                    "{}: the ledger is {size} bytes, over the limit of {max_bytes} \
                     (--max-ledger-bytes): the wallet it folds to keeps every entry in memory",
                    self.path.display()
                ),
            ));
        }
        let named = |e: WalletError| WalletError {
            message: format!("{}: {}", self.path.display(), e.message),
            ..e
        };
        let mut fold = LedgerFold::new(policy).map_err(named)?;
        self.file
            .seek(SeekFrom::Start(0))
            .map_err(|e| read_error(&e))?;
        // The size was checked; take() keeps to it even if a writer that
        // ignores the lock appends meanwhile.
        let mut reader = BufReader::with_capacity(1 << 16, (&self.file).take(max_bytes));
        let mut line = Vec::new();
        loop {
            line.clear();
            if reader
                .read_until(b'\n', &mut line)
                .map_err(|e| read_error(&e))?
                == 0
            {
                break;
            }
            let terminated = line.pop_if(|b| *b == b'\n').is_some();
            fold.line(&line, terminated).map_err(named)?;
        }
        Ok(fold.finish())
    }

    /// Appends `entries`, one line each, and syncs them to disk before
    /// returning. A last line left without its newline by an older writer
    /// (or by hand) gets one first, so the new entry starts a line.
    pub fn append(&mut self, entries: &[&Entry]) -> Result<(), WalletError> {
        if entries.is_empty() {
            return Ok(());
        }
        let mut text = String::new();
        let size = self
            .file
            .seek(SeekFrom::End(0))
            .map_err(|e| io_error(&self.path, "read ledger", &e))?;
        if size > 0 {
            let mut last = [0u8; 1];
            self.file
                .seek(SeekFrom::End(-1))
                .and_then(|_| self.file.read_exact(&mut last))
                .map_err(|e| io_error(&self.path, "read ledger", &e))?;
            if last != *b"\n" {
                text.push('\n');
            }
        }
        for entry in entries {
            text.push_str(&ledger_line(entry)?);
        }
        self.file
            .write_all(text.as_bytes())
            .and_then(|()| self.file.sync_data())
            .map_err(|e| io_error(&self.path, "append to ledger", &e))
    }
}
