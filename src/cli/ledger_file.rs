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
#![allow(
    clippy::result_large_err,
    reason = "WalletError keeps its details as typed fields, as in src/wallet"
)]

use genprice::ErrorCode;
use genprice::wallet::{Entry, Wallet, WalletError, WalletPolicy, ledger_line, read_ledger};
use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

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

    /// The whole file, read through the locked handle.
    fn bytes(&mut self) -> Result<Vec<u8>, WalletError> {
        let mut bytes = Vec::new();
        self.file
            .seek(SeekFrom::Start(0))
            .and_then(|_| self.file.read_to_end(&mut bytes))
            .map_err(|e| io_error(&self.path, "read ledger", &e))?;
        Ok(bytes)
    }

    /// Folds the ledger into a wallet under `policy`. An error names the
    /// file and carries the line.
    pub fn fold(&mut self, policy: WalletPolicy) -> Result<Wallet, WalletError> {
        let bytes = self.bytes()?;
        read_ledger(policy, &bytes).map_err(|e| WalletError {
            message: format!("{}: {}", self.path.display(), e.message),
            ..e
        })
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
