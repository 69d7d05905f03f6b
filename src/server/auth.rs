//! Who may call: the studio's backend with the *secret key*, a browser
//! with a short-lived *session token* for one account.
//!
//! - The secret key comes from `GENPRICE_SECRET_KEY`, or is generated on
//!   the first start and printed once. Only its SHA-256 is stored (in the
//!   database's meta table); a presented key is hashed and compared in
//!   constant time. No key is ever logged.
//! - A session token is `gps_st_<payload>.<mac>`: the payload names the
//!   account and the expiry, the MAC is HMAC-SHA256 under a signing key
//!   generated on the first start and kept in the database, so every
//!   instance on one database accepts the tokens of the others. Tokens are
//!   checked with a constant-time MAC comparison and expire by themselves.

use crate::service::{Caller, Code, ServiceError};
use crate::store::{StoreError, Tx};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, KeyInit, Mac};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// Prefix of a secret key.
pub const SECRET_PREFIX: &str = "gps_sk_";
/// Prefix of a session token.
pub const SESSION_PREFIX: &str = "gps_st_";
/// A session's default lifetime: 15 minutes.
pub const DEFAULT_SESSION_MS: i64 = 900_000;
/// The longest a session may last: 24 hours.
pub const MAX_SESSION_MS: i64 = 86_400_000;

/// The keys a running service checks against.
#[derive(Clone)]
pub struct Keys {
    secret_hash: [u8; 32],
    signing: Vec<u8>,
}

/// What the first start generated and must show once.
pub struct Started {
    /// The keys.
    pub keys: Keys,
    /// A secret key generated now (print it once), if one was.
    pub generated: Option<String>,
}

fn random(n: usize) -> Result<Vec<u8>, StoreError> {
    let mut bytes = vec![0u8; n];
    getrandom::fill(&mut bytes).map_err(|e| StoreError::new(format!("no randomness: {e}")))?;
    Ok(bytes)
}

fn sha256(text: &[u8]) -> [u8; 32] {
    let digest = Sha256::digest(text);
    let mut out = [0u8; 32];
    out.copy_from_slice(&digest);
    out
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(text: &str) -> Option<[u8; 32]> {
    let mut out = [0u8; 32];
    if text.len() != 64 {
        return None;
    }
    for (i, slot) in out.iter_mut().enumerate() {
        *slot = u8::from_str_radix(text.get(2 * i..2 * i + 2)?, 16).ok()?;
    }
    Some(out)
}

/// Sets up the keys in the store's meta table (run once at start, in a
/// write job): the secret key's hash (from `env_key` when given, else the
/// stored one, else a new key), and the session signing key.
pub fn start(tx: &mut dyn Tx, env_key: Option<&str>) -> Result<Started, StoreError> {
    let mut generated = None;
    let secret_hash = match (env_key, tx.meta("secret_key_sha256")?) {
        (Some(key), _) => {
            let hash = sha256(key.as_bytes());
            tx.set_meta("secret_key_sha256", &hex(&hash))?;
            hash
        }
        (None, Some(stored)) => unhex(&stored)
            .ok_or_else(|| StoreError::new("the stored secret key hash is corrupt"))?,
        (None, None) => {
            let key = format!("{SECRET_PREFIX}{}", URL_SAFE_NO_PAD.encode(random(32)?));
            let hash = sha256(key.as_bytes());
            tx.set_meta("secret_key_sha256", &hex(&hash))?;
            generated = Some(key);
            hash
        }
    };
    let signing = match tx.meta("session_signing_key")? {
        Some(stored) => URL_SAFE_NO_PAD
            .decode(stored)
            .map_err(|_| StoreError::new("the stored session signing key is corrupt"))?,
        None => {
            let key = random(32)?;
            tx.set_meta("session_signing_key", &URL_SAFE_NO_PAD.encode(&key))?;
            key
        }
    };
    Ok(Started {
        keys: Keys {
            secret_hash,
            signing,
        },
        generated,
    })
}

impl Keys {
    fn mac(&self, payload: &str) -> Result<Hmac<Sha256>, ServiceError> {
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(&self.signing)
            .map_err(|_| ServiceError::new(Code::Internal, "bad signing key"))?;
        mac.update(payload.as_bytes());
        Ok(mac)
    }

    /// A session token for `account`, valid until `expires_at` (Unix ms).
    pub fn session(&self, account: &str, expires_at: i64) -> Result<String, ServiceError> {
        let payload = format!("{account}|{expires_at}");
        let mac = self.mac(&payload)?.finalize().into_bytes();
        Ok(format!(
            "{SESSION_PREFIX}{}.{}",
            URL_SAFE_NO_PAD.encode(payload.as_bytes()),
            URL_SAFE_NO_PAD.encode(mac)
        ))
    }

    /// Who the `Authorization` header's bearer is, at `now`.
    pub fn caller(&self, authorization: Option<&str>, now: i64) -> Result<Caller, ServiceError> {
        let unauthorized = |why: &str| ServiceError::new(Code::Unauthorized, why.to_string());
        let header = authorization.ok_or_else(|| {
            unauthorized("send Authorization: Bearer <secret key or session token>")
        })?;
        let token = header
            .strip_prefix("Bearer ")
            .or_else(|| header.strip_prefix("bearer "))
            .ok_or_else(|| unauthorized("the Authorization header must be \"Bearer <token>\""))?
            .trim();
        if token.starts_with(SECRET_PREFIX) || !token.starts_with(SESSION_PREFIX) {
            let presented = sha256(token.as_bytes());
            return if bool::from(presented.ct_eq(&self.secret_hash)) {
                Ok(Caller::Backend)
            } else {
                Err(unauthorized("unknown key"))
            };
        }
        let rest = token.get(SESSION_PREFIX.len()..).unwrap_or("");
        let (payload, mac) = rest
            .split_once('.')
            .ok_or_else(|| unauthorized("malformed session token"))?;
        let payload = URL_SAFE_NO_PAD
            .decode(payload)
            .ok()
            .and_then(|p| String::from_utf8(p).ok())
            .ok_or_else(|| unauthorized("malformed session token"))?;
        let mac = URL_SAFE_NO_PAD
            .decode(mac)
            .map_err(|_| unauthorized("malformed session token"))?;
        self.mac(&payload)?
            .verify_slice(&mac)
            .map_err(|_| unauthorized("invalid session token"))?;
        let (account, expires) = payload
            .rsplit_once('|')
            .ok_or_else(|| unauthorized("malformed session token"))?;
        let expires: i64 = expires
            .parse()
            .map_err(|_| unauthorized("malformed session token"))?;
        if expires <= now {
            return Err(unauthorized("the session token has expired"));
        }
        Ok(Caller::Session {
            account: account.to_string(),
        })
    }
}

/// What a caller wants to do with an account's path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Read it (balance, ledger, usage, a charge) or quote for it.
    Read,
    /// Change it (charges, settles, grants …).
    Write,
}

/// Whether `caller` may do `access` on `account`: a session on another
/// account gets `unknown_account` (404: it may not learn the account
/// exists); a session writing gets `forbidden` (403).
pub fn authorize(caller: &Caller, account: &str, access: Access) -> Result<(), ServiceError> {
    match caller {
        Caller::Backend => Ok(()),
        Caller::Session { account: own } if own != account => {
            Err(crate::service::unknown_account(account))
        }
        Caller::Session { .. } => match access {
            Access::Read => Ok(()),
            Access::Write => Err(ServiceError::new(
                Code::Forbidden,
                "a session token may read its account and quote; writes need the secret key",
            )),
        },
    }
}

/// Only the secret key may do this.
pub fn backend_only(caller: &Caller) -> Result<(), ServiceError> {
    match caller {
        Caller::Backend => Ok(()),
        Caller::Session { .. } => Err(ServiceError::new(
            Code::Forbidden,
            "only the secret key may do this",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys() -> Keys {
        Keys {
            secret_hash: sha256(b"gps_sk_test"),
            signing: vec![7; 32],
        }
    }

    #[test]
    fn the_secret_key_and_sessions_are_told_apart_and_checked() {
        let k = keys();
        assert_eq!(
            k.caller(Some("Bearer gps_sk_test"), 0).unwrap(),
            Caller::Backend
        );
        for bad in [
            None,
            Some("gps_sk_test"),
            Some("Bearer gps_sk_tesT"),
            Some("Bearer x"),
        ] {
            assert_eq!(
                k.caller(bad, 0).unwrap_err().code,
                Code::Unauthorized,
                "{bad:?}"
            );
        }
        let token = k.session("u1", 1_000).unwrap();
        let header = format!("Bearer {token}");
        assert_eq!(
            k.caller(Some(&header), 999).unwrap(),
            Caller::Session {
                account: "u1".into()
            }
        );
        assert_eq!(
            k.caller(Some(&header), 1_000).unwrap_err().code,
            Code::Unauthorized
        );
        // A forged payload (another account) fails the MAC.
        let (_, mac) = token.split_once('.').unwrap();
        let forged = format!(
            "Bearer {SESSION_PREFIX}{}.{mac}",
            URL_SAFE_NO_PAD.encode(b"u2|1000")
        );
        assert_eq!(
            k.caller(Some(&forged), 0).unwrap_err().code,
            Code::Unauthorized
        );
        // Another signing key does not accept it.
        let other = Keys {
            signing: vec![8; 32],
            ..keys()
        };
        assert_eq!(
            other.caller(Some(&header), 0).unwrap_err().code,
            Code::Unauthorized
        );
    }

    #[test]
    fn sessions_read_their_account_only_and_never_write() {
        let s = Caller::Session {
            account: "u1".into(),
        };
        assert!(authorize(&s, "u1", Access::Read).is_ok());
        assert_eq!(
            authorize(&s, "u1", Access::Write).unwrap_err().code,
            Code::Forbidden
        );
        assert_eq!(
            authorize(&s, "u2", Access::Read).unwrap_err().code,
            Code::UnknownAccount
        );
        assert_eq!(
            authorize(&s, "u2", Access::Write).unwrap_err().code,
            Code::UnknownAccount
        );
        assert!(authorize(&Caller::Backend, "u2", Access::Write).is_ok());
        assert!(backend_only(&s).is_err());
    }
}
