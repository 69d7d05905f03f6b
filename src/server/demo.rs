//! `genprice serve --demo`: the studio page and the npm package served as
//! static files, demo accounts created at start, and two routes under
//! `/demo/…` that play the studio backend's part for the page (mint its
//! session token; "run" a generation: charge, wait, then settle or
//! release). Everything else is the real API: a generation's charge,
//! settle and release are the same service jobs as `POST …/charges`,
//! `…/settle` and `…/release` under the secret key.
//!
//! These routes need no key — that is the demo: the server is its own
//! backend. They act only on the demo accounts created at start.
//!
//! A third route, `/demo/pack`, is the studio's checkout: it "takes the
//! payment" and credits the pack through the same job as `POST …/packs`.
//! The page's chart library is served from the npm dev dependencies next
//! to the page's directory (`node_modules/uplot/dist` at `/vendor/uplot/`),
//! never from a CDN.

use super::auth::DEFAULT_SESSION_MS;
use super::http::{ApiError, json_body, reply};
use super::{App, now_ms};
use crate::catalog::Catalog;
use crate::service::charges::{object, only_fields};
use crate::service::{Caller, Code, Reply, ServiceError, accounts, charges, grants};
use axum::Router;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, Response};
use axum::routing::post;
use serde_json::{Value, json};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tower_http::services::ServeDir;

/// How the demo runs.
#[derive(Debug, Clone)]
pub struct Demo {
    /// The studio page's directory, served at `/`.
    pub www: PathBuf,
    /// The npm package's directory (`pkg/`), served at `/pkg/`.
    pub pkg: PathBuf,
    /// How long a generation "runs": `None` picks 1–3 s at random each
    /// time; `Some` fixes it (tests).
    pub delay: Option<Duration>,
}

/// The demo state the routes share.
struct DemoState {
    app: Arc<App>,
    accounts: Vec<String>,
    delay: Option<Duration>,
}

type Shared = State<Arc<DemoState>>;
type Answer = Result<Response<Body>, ApiError>;

/// The demo accounts for a catalog: `demo-<plan>` on its first free plan
/// (listed, no billing, no seats) and its first paid plan (listed, billed,
/// single-user), as `(account, plan)` pairs.
pub fn demo_accounts(catalog: &Catalog) -> Vec<(String, String)> {
    let single = |p: &&crate::catalog::Plan| p.listed && !p.custom && p.seats.is_none();
    let free = catalog
        .spec()
        .plans
        .iter()
        .filter(single)
        .find(|p| p.billing.is_empty());
    let paid = catalog
        .spec()
        .plans
        .iter()
        .filter(single)
        .find(|p| !p.billing.is_empty());
    free.into_iter()
        .chain(paid)
        .map(|p| (format!("demo-{}", p.id), p.id.clone()))
        .collect()
}

/// Creates the demo accounts that do not exist yet (an existing one is
/// kept as it is); returns their ids.
pub async fn create_accounts(app: &App) -> Result<Vec<String>, String> {
    let mut ids = Vec::new();
    for (id, plan) in demo_accounts(&app.service.catalog()) {
        let now = now_ms();
        let body = json!({"id": id, "plan": plan});
        let answer = app
            .service
            .write(&Caller::Backend, None, now, move |tx, catalog| {
                accounts::create(tx, catalog, &body, now)
            })
            .await;
        let existed = answer.status == 409 && answer.body.contains("\"account_exists\"");
        if answer.status != 201 && !existed {
            return Err(format!(
                "cannot create the demo account {id}: {}",
                answer.body
            ));
        }
        tracing::info!(account = %id, %plan, existed, "demo account");
        ids.push(id);
    }
    Ok(ids)
}

/// The demo routes and the static files: `/demo/session`,
/// `/demo/generate`, `/pkg/…` and, for any other path the API does not
/// answer, `www/`.
pub fn router(app: Arc<App>, demo: &Demo, accounts: Vec<String>) -> Router {
    if !demo.www.join("index.html").is_file() {
        tracing::warn!(www = %demo.www.display(), "demo: no index.html there: / will be 404 (pass --www)");
    }
    if !demo.pkg.join("web/genprice_bg.wasm").is_file() {
        tracing::warn!(pkg = %demo.pkg.display(), "demo: the package is not built there: run scripts/build-pkg.sh (or pass --pkg)");
    }
    let state = Arc::new(DemoState {
        app,
        accounts,
        delay: demo.delay,
    });
    let vendor = vendor_dir(&demo.www);
    Router::new()
        .route("/demo/session", post(session))
        .route("/demo/generate", post(generate))
        .route("/demo/pack", post(buy_pack))
        .with_state(state)
        .nest_service("/pkg", ServeDir::new(&demo.pkg))
        .nest_service("/vendor/uplot", ServeDir::new(vendor))
        .fallback_service(ServeDir::new(&demo.www))
}

/// uPlot's files: `node_modules/uplot/dist` beside the page's directory
/// (the repository's npm dev dependencies, installed by `npm ci`).
fn vendor_dir(www: &std::path::Path) -> PathBuf {
    let root = match www.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let dir = root.join("node_modules").join("uplot").join("dist");
    if !dir.join("uPlot.esm.js").is_file() {
        tracing::warn!(dir = %dir.display(), "demo: uPlot is not installed there (npm ci): the Credits page draws no charts");
    }
    dir
}

/// The body's `account`, which must be a demo account.
fn demo_account(
    state: &DemoState,
    map: &serde_json::Map<String, Value>,
) -> Result<String, ApiError> {
    let account = match map.get("account") {
        Some(Value::String(a)) => a.clone(),
        _ => {
            return Err(ApiError(
                ServiceError::new(
                    Code::Core(crate::ErrorCode::MissingField),
                    "name the demo account (a string)",
                )
                .at("account"),
            ));
        }
    };
    if state.accounts.contains(&account) {
        Ok(account)
    } else {
        Err(ApiError(crate::service::unknown_account(&account)))
    }
}

/// `POST /demo/session` with `{account}`: a session token for a demo
/// account, as the studio's backend would mint one for its signed-in user.
async fn session(State(state): Shared, headers: HeaderMap, body: Body) -> Answer {
    let (value, _) = json_body(&headers, body).await?;
    let map = object(&value, "a demo session")?;
    only_fields(map, &["account"], "")?;
    let account = demo_account(&state, map)?;
    let expires_at = now_ms() + DEFAULT_SESSION_MS;
    let token = state.app.keys.session(&account, expires_at)?;
    Ok(reply(Reply::ok(
        201,
        &json!({"token": token, "account": account, "expiresAt": expires_at}),
    )))
}

/// `POST /demo/generate` with `{account, request, expect, fail?}`: charges
/// as `POST …/charges` does and answers with that reply at once; when the
/// charge was made, a task "runs" the generation for 1–3 s, then settles
/// it, or releases it when `fail` is true. The page polls
/// `GET /v1/accounts/{id}/charges/{cid}` with its session token.
async fn generate(State(state): Shared, headers: HeaderMap, body: Body) -> Answer {
    let (value, _) = json_body(&headers, body).await?;
    let map = object(&value, "a demo generation")?;
    only_fields(map, &["account", "request", "expect", "fail"], "")?;
    let account = demo_account(&state, map)?;
    let fail = match map.get("fail") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(_) => {
            return Err(ApiError(
                ServiceError::new(
                    Code::Core(crate::ErrorCode::InvalidRequest),
                    "fail is true or false",
                )
                .at("fail"),
            ));
        }
    };
    let mut charge = serde_json::Map::new();
    for field in ["request", "expect"] {
        if let Some(v) = map.get(field) {
            charge.insert(field.to_string(), v.clone());
        }
    }
    charge.insert(
        "metadata".to_string(),
        json!({"summary": "demo generation"}),
    );
    let charge = Value::Object(charge);
    let now = now_ms();
    let id = account.clone();
    let answer = state
        .app
        .service
        .write(&Caller::Backend, None, now, move |tx, catalog| {
            charges::create(tx, catalog, &id, &charge, now)
        })
        .await;
    if answer.status == 201 {
        let made: Value = serde_json::from_str(&answer.body).unwrap_or(Value::Null);
        if let Some(cid) = made.get("id").and_then(Value::as_str) {
            let delay = state.delay.unwrap_or_else(random_delay);
            tokio::spawn(finish(
                Arc::clone(&state.app),
                account,
                cid.to_string(),
                fail,
                delay,
            ));
        }
    }
    Ok(reply(answer))
}

/// `POST /demo/pack` with `{account, pack}`: the studio's checkout. The
/// "payment" is a fresh id (`demo_pay_…`) and the pack is credited through
/// the same job as `POST …/packs`; the answer is that route's (201 with
/// the grant, or its refusal: `unknown_pack`, `pack_not_in_plan` …).
async fn buy_pack(State(state): Shared, headers: HeaderMap, body: Body) -> Answer {
    let (value, _) = json_body(&headers, body).await?;
    let map = object(&value, "a demo pack purchase")?;
    only_fields(map, &["account", "pack"], "")?;
    let account = demo_account(&state, map)?;
    let mut purchase = serde_json::Map::new();
    if let Some(pack) = map.get("pack") {
        purchase.insert("pack".to_string(), pack.clone());
    }
    purchase.insert("paymentId".to_string(), Value::String(payment_id()));
    let purchase = Value::Object(purchase);
    let now = now_ms();
    let answer = state
        .app
        .service
        .write(&Caller::Backend, None, now, move |tx, catalog| {
            grants::pack(tx, catalog, &account, &purchase, now)
        })
        .await;
    Ok(reply(answer))
}

/// A fresh payment id: `demo_pay_` and 16 random hex digits.
fn payment_id() -> String {
    let mut bytes = [0u8; 8];
    let n = match getrandom::fill(&mut bytes) {
        Ok(()) => u64::from_le_bytes(bytes),
        Err(_) => now_ms().unsigned_abs(),
    };
    format!("demo_pay_{n:016x}")
}

/// 1–3 s, uniformly to the millisecond.
fn random_delay() -> Duration {
    let mut bytes = [0u8; 2];
    let spread = match getrandom::fill(&mut bytes) {
        Ok(()) => u64::from(u16::from_le_bytes(bytes)) % 2001,
        Err(_) => 1000,
    };
    Duration::from_millis(1000 + spread)
}

/// After `delay`, settles the charge (or releases it when `fail`), through
/// the same service jobs as the settle and release routes.
async fn finish(app: Arc<App>, account: String, cid: String, fail: bool, delay: Duration) {
    tokio::time::sleep(delay).await;
    let now = now_ms();
    let (who, charge) = (account.clone(), cid.clone());
    let answer = app
        .service
        .write(&Caller::Backend, None, now, move |tx, catalog| {
            if fail {
                let why = json!({"reason": "demo: the generation failed"});
                charges::release(tx, catalog, &who, &charge, &why, now)
            } else {
                charges::settle(tx, catalog, &who, &charge, &json!({}), now)
            }
        })
        .await;
    if answer.status == 200 {
        tracing::info!(%account, charge = %cid, fail, "demo generation finished");
    } else {
        tracing::warn!(%account, charge = %cid, fail, answer = %answer.body, "demo generation could not finish");
    }
}
