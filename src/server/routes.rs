//! The handlers: each parses, authorises, calls the service and maps the
//! outcome — nothing more. Statuses come from the error codes
//! ([`crate::service::Code::status`]).

use super::auth::{Access, DEFAULT_SESSION_MS, MAX_SESSION_MS, authorize, backend_only};
use super::http::{ApiError, json_body, reply};
use super::{App, now_ms};
use crate::catalog::Catalog;
use crate::service::charges::{object, only_fields, uint};
use crate::service::{Caller, Code, Idempotency, Reply, ServiceError, accounts, charges, grants};
use crate::store::{StoreError, Tx, UsageBy};
use axum::Router;
use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::header::{AUTHORIZATION, ETAG, IF_NONE_MATCH};
use axum::http::{HeaderMap, HeaderValue, Response, StatusCode, Uri};
use axum::routing::{get, post};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::Arc;

type Shared = State<Arc<App>>;
type Answer = Result<Response<Body>, ApiError>;

/// Every route of the API.
pub fn router(app: Arc<App>) -> Router {
    Router::new()
        .route("/healthz", get(health))
        .route("/v1/openapi.json", get(openapi))
        .route("/v1/catalog", get(catalog))
        .route("/v1/accounts", post(create_account))
        .route("/v1/accounts/{id}", get(get_account))
        .route("/v1/accounts/{id}/sessions", post(create_session))
        .route("/v1/accounts/{id}/quote", post(quote))
        .route("/v1/accounts/{id}/charges", post(create_charge))
        .route("/v1/accounts/{id}/charges/{cid}", get(get_charge))
        .route("/v1/accounts/{id}/charges/{cid}/settle", post(settle))
        .route("/v1/accounts/{id}/charges/{cid}/release", post(release))
        .route("/v1/accounts/{id}/balance", get(balance))
        .route("/v1/accounts/{id}/ledger", get(ledger))
        .route("/v1/accounts/{id}/usage", get(usage))
        .route("/v1/accounts/{id}/grants", post(grant))
        .route("/v1/accounts/{id}/packs", post(pack))
        .route("/v1/accounts/{id}/plan", post(change_plan))
        .with_state(app)
}

fn caller(app: &App, headers: &HeaderMap) -> Result<Caller, ApiError> {
    let authorization = headers.get(AUTHORIZATION).and_then(|v| v.to_str().ok());
    Ok(app.keys.caller(authorization, now_ms())?)
}

fn key(headers: &HeaderMap, uri: &Uri, body: &[u8]) -> Result<Option<Idempotency>, ApiError> {
    let key = headers.get("idempotency-key").and_then(|v| v.to_str().ok());
    Ok(Idempotency::of(key, "POST", uri.path(), body)?)
}

fn store_failed(e: StoreError) -> ApiError {
    ApiError(ServiceError::from(e))
}

/// `GET /healthz`: the process is up and its store answers.
#[utoipa::path(get, path = "/healthz", responses((status = 200, description = "up")))]
pub async fn health(State(app): Shared) -> Answer {
    crate::store::read(app.service.store(), |tx| {
        tx.meta("secret_key_sha256").map(|_| ())
    })
    .await
    .map_err(store_failed)?;
    Ok(reply(Reply::ok(200, &json!({"ok": true}))))
}

/// `GET /v1/openapi.json?view=catalog|generic`: this document. By default
/// (`catalog`) it states what the catalog in force allows (its plans,
/// products, fingerprint); `generic` is the same API without them, for
/// clients that work with any catalog (`genprice/client`'s types).
#[utoipa::path(get, path = "/v1/openapi.json",
    params(("view" = Option<String>, Query, description = "`catalog` (default) or `generic`")),
    responses((status = 200, description = "the OpenAPI 3.1 description of the API")))]
pub async fn openapi(State(app): Shared, Query(query): Query<HashMap<String, String>>) -> Answer {
    only_params(&query, &["view"])?;
    let document = match query.get("view").map(String::as_str) {
        None | Some("catalog") => super::openapi::document(&app.service.catalog()),
        Some("generic") => super::openapi::generic_document(),
        Some(_) => {
            return Err(ApiError(
                ServiceError::new(
                    Code::Core(crate::ErrorCode::InvalidRequest),
                    "view must be catalog or generic",
                )
                .at("view"),
            ));
        }
    };
    Ok(reply(Reply::ok(200, &document)))
}

/// `GET /v1/catalog`: the canonical catalog the browser engine loads;
/// `ETag` is its fingerprint, `If-None-Match` with it answers 304.
#[utoipa::path(get, path = "/v1/catalog", responses(
    (status = 200, description = "the canonical catalog JSON"),
    (status = 304, description = "the client's copy is current")))]
pub async fn catalog(State(app): Shared, headers: HeaderMap) -> Answer {
    let published = app.published();
    let etag = format!("\"{}\"", published.0);
    let matches = headers
        .get(IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag || t.trim() == "*"));
    let mut response = if matches {
        let mut r = Response::new(Body::empty());
        *r.status_mut() = StatusCode::NOT_MODIFIED;
        r
    } else {
        reply(Reply {
            status: 200,
            body: published.1.clone(),
            replayed: false,
        })
    };
    if let Ok(value) = HeaderValue::from_str(&etag) {
        response.headers_mut().insert(ETAG, value);
    }
    Ok(response)
}

/// `POST /v1/accounts` (secret key).
#[utoipa::path(post, path = "/v1/accounts", request_body = super::openapi::CreateAccount,
    responses((status = 201, body = super::openapi::Account), (status = 409, body = super::openapi::Error)))]
pub async fn create_account(
    State(app): Shared,
    headers: HeaderMap,
    uri: Uri,
    body: Body,
) -> Answer {
    let who = caller(&app, &headers)?;
    backend_only(&who)?;
    let (value, bytes) = json_body(&headers, body).await?;
    let key = key(&headers, &uri, &bytes)?;
    let now = now_ms();
    let reply_ = app
        .service
        .write(&who, key, now, move |tx, catalog| {
            accounts::create(tx, catalog, &value, now)
        })
        .await;
    Ok(reply(reply_))
}

/// Runs an account read; when refills are due, applies them as a write
/// and reads again.
async fn read_account(
    app: &App,
    id: String,
    read: impl Fn(
        &mut dyn crate::store::Tx,
        &crate::catalog::Catalog,
        &str,
        i64,
    ) -> accounts::ReadOutcome
    + Send
    + Sync
    + Clone
    + 'static,
) -> Answer {
    for _ in 0..3 {
        let now = now_ms();
        let catalog = app.service.catalog();
        let (account, read_) = (id.clone(), read.clone());
        let answered = crate::store::read(app.service.store(), move |tx| {
            read_(tx, &catalog, &account, now)
        })
        .await
        .map_err(store_failed)?;
        if let Some(answer) = answered {
            return Ok(reply(answer));
        }
        let catalog = app.service.catalog();
        let account = id.clone();
        let refreshed = crate::store::write(app.service.store(), move |tx| {
            accounts::refresh(tx, &catalog, &account, now)
        })
        .await
        .map_err(store_failed)?;
        if let Some(answer) = refreshed {
            return Ok(reply(answer));
        }
    }
    Err(ApiError(ServiceError::new(
        Code::Internal,
        "the account kept changing under the read",
    )))
}

/// `GET /v1/accounts/{id}`: plan, seats, cycle, period, balance.
#[utoipa::path(get, path = "/v1/accounts/{id}", params(("id" = String, Path)),
    responses((status = 200, body = super::openapi::Account), (status = 404, body = super::openapi::Error)))]
pub async fn get_account(State(app): Shared, Path(id): Path<String>, headers: HeaderMap) -> Answer {
    authorize(&caller(&app, &headers)?, &id, Access::Read)?;
    read_account(&app, id, accounts::get).await
}

/// `GET …/balance`: available, held, by source, next expiry.
#[utoipa::path(get, path = "/v1/accounts/{id}/balance", params(("id" = String, Path)),
    responses((status = 200, description = "the balance")))]
pub async fn balance(State(app): Shared, Path(id): Path<String>, headers: HeaderMap) -> Answer {
    authorize(&caller(&app, &headers)?, &id, Access::Read)?;
    read_account(&app, id, accounts::balance).await
}

/// `POST …/quote` with `{request}`: the quote with this account's plan and
/// balance (a session token may do this).
#[utoipa::path(post, path = "/v1/accounts/{id}/quote", params(("id" = String, Path)),
    request_body = super::openapi::QuoteBody, responses((status = 200, description = "the quote")))]
pub async fn quote(
    State(app): Shared,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Answer {
    authorize(&caller(&app, &headers)?, &id, Access::Read)?;
    let (value, _) = json_body(&headers, body).await?;
    let value = Arc::new(value);
    read_account(&app, id, move |tx, catalog, account, now| {
        accounts::quote(tx, catalog, account, &value, now)
    })
    .await
}

/// `POST …/sessions` with `{ttlMs?}` (secret key): a session token for the
/// browser, scoped to this account.
#[utoipa::path(post, path = "/v1/accounts/{id}/sessions", params(("id" = String, Path)),
    request_body = super::openapi::SessionBody, responses((status = 201, body = super::openapi::Session)))]
pub async fn create_session(
    State(app): Shared,
    Path(id): Path<String>,
    headers: HeaderMap,
    uri: Uri,
    body: Body,
) -> Answer {
    let who = caller(&app, &headers)?;
    // A write on the account: another account's path is 404 to a session.
    authorize(&who, &id, Access::Write)?;
    let (value, bytes) = json_body(&headers, body).await?;
    let map = object(&value, "a session")?;
    only_fields(map, &["ttlMs"], "")?;
    let ttl = uint(map, "ttlMs", MAX_SESSION_MS as u64)?
        .and_then(|t| i64::try_from(t).ok())
        .unwrap_or(DEFAULT_SESSION_MS)
        .max(1);
    let key = key(&headers, &uri, &bytes)?;
    let now = now_ms();
    let expires_at = now + ttl;
    let token = app.keys.session(&id, expires_at)?;
    let reply_ = app
        .service
        .write(&who, key, now, move |tx, _| {
            if tx.account(&id)?.is_none() {
                return Ok(Reply::error(&crate::service::unknown_account(&id)));
            }
            Ok(Reply::ok(
                201,
                &json!({"token": token, "account": id, "expiresAt": expires_at}),
            ))
        })
        .await;
    Ok(reply(reply_))
}

/// A write on account `id`: authorise (the secret key), read the JSON body
/// and the idempotency key, and run `op` (given the transaction, the
/// catalog, the account id, the body and `now`) as the service's
/// idempotent write.
async fn account_write(
    app: &App,
    id: String,
    headers: &HeaderMap,
    uri: &Uri,
    body: Body,
    op: impl FnOnce(&mut dyn Tx, &Catalog, &str, &Value, i64) -> Result<Reply, StoreError>
    + Send
    + 'static,
) -> Answer {
    let who = caller(app, headers)?;
    authorize(&who, &id, Access::Write)?;
    let (value, bytes) = json_body(headers, body).await?;
    let key = key(headers, uri, &bytes)?;
    let now = now_ms();
    let answer = app
        .service
        .write(&who, key, now, move |tx, catalog| {
            op(tx, catalog, &id, &value, now)
        })
        .await;
    Ok(reply(answer))
}

/// `POST …/charges`: hold the credits of a priced request.
#[utoipa::path(post, path = "/v1/accounts/{id}/charges", params(("id" = String, Path)),
    request_body = super::openapi::CreateCharge,
    responses((status = 201, body = super::openapi::Charge),
        (status = 402, body = super::openapi::Error, description = "insufficient_credits"),
        (status = 403, body = super::openapi::Error, description = "not_entitled"),
        (status = 409, body = super::openapi::Error, description = "catalog_changed, price_changed")))]
pub async fn create_charge(
    State(app): Shared,
    Path(id): Path<String>,
    headers: HeaderMap,
    uri: Uri,
    body: Body,
) -> Answer {
    account_write(&app, id, &headers, &uri, body, charges::create).await
}

/// `GET …/charges/{cid}`: the charge's state (a pending charge past its
/// ttl is expired first).
#[utoipa::path(get, path = "/v1/accounts/{id}/charges/{cid}", params(("id" = String, Path), ("cid" = String, Path)),
    responses((status = 200, body = super::openapi::Charge), (status = 404, body = super::openapi::Error)))]
pub async fn get_charge(
    State(app): Shared,
    Path((id, cid)): Path<(String, String)>,
    headers: HeaderMap,
) -> Answer {
    authorize(&caller(&app, &headers)?, &id, Access::Read)?;
    for _ in 0..3 {
        let now = now_ms();
        let (account, charge) = (id.clone(), cid.clone());
        let found = crate::store::read(app.service.store(), move |tx| {
            charges::get(tx, &account, &charge, now)
        })
        .await
        .map_err(store_failed)?;
        if let Some(answer) = found {
            return Ok(reply(answer));
        }
        let catalog = app.service.catalog();
        let account = id.clone();
        crate::store::write(app.service.store(), move |tx| {
            charges::expire(tx, &catalog, &account, now)
        })
        .await
        .map_err(store_failed)?;
    }
    Err(ApiError(ServiceError::new(
        Code::Internal,
        "the charge kept changing under the read",
    )))
}

/// `POST …/charges/{cid}/settle` with `{amount?}`.
#[utoipa::path(post, path = "/v1/accounts/{id}/charges/{cid}/settle", params(("id" = String, Path), ("cid" = String, Path)),
    request_body = super::openapi::Settle, responses((status = 200, body = super::openapi::Charge)))]
pub async fn settle(
    State(app): Shared,
    Path((id, cid)): Path<(String, String)>,
    headers: HeaderMap,
    uri: Uri,
    body: Body,
) -> Answer {
    account_write(
        &app,
        id,
        &headers,
        &uri,
        body,
        move |tx, catalog, account, value, now| {
            charges::settle(tx, catalog, account, &cid, value, now)
        },
    )
    .await
}

/// `POST …/charges/{cid}/release` with `{reason?}`.
#[utoipa::path(post, path = "/v1/accounts/{id}/charges/{cid}/release", params(("id" = String, Path), ("cid" = String, Path)),
    request_body = super::openapi::Release, responses((status = 200, body = super::openapi::Charge)))]
pub async fn release(
    State(app): Shared,
    Path((id, cid)): Path<(String, String)>,
    headers: HeaderMap,
    uri: Uri,
    body: Body,
) -> Answer {
    account_write(
        &app,
        id,
        &headers,
        &uri,
        body,
        move |tx, catalog, account, value, now| {
            charges::release(tx, catalog, account, &cid, value, now)
        },
    )
    .await
}

/// A query parameter: an integer from 0 to 2^53 − 1 (a cursor, a limit, a
/// time), or `invalid_request`. Larger numbers are refused, not clamped: no
/// `seq` or time is that large, and the store's integers are 63 bits.
fn query_u64(query: &HashMap<String, String>, name: &str, default: u64) -> Result<u64, ApiError> {
    match query.get(name) {
        None => Ok(default),
        Some(v) => v
            .parse::<u64>()
            .ok()
            .filter(|n| *n <= crate::MAX_AMOUNT)
            .ok_or_else(|| {
                ApiError(
                    ServiceError::new(
                        Code::Core(crate::ErrorCode::InvalidRequest),
                        format!("{name} must be an integer from 0 to 2^53 - 1"),
                    )
                    .at(name),
                )
            }),
    }
}

fn only_params(query: &HashMap<String, String>, allowed: &[&str]) -> Result<(), ApiError> {
    let map: serde_json::Map<String, Value> =
        query.keys().map(|k| (k.clone(), Value::Null)).collect();
    Ok(only_fields(&map, allowed, "")?)
}

/// `GET …/ledger?after=&limit=`: entries after the cursor `after` (a
/// `seq`), at most `limit` (default 100, at most 1000), and `next`.
#[utoipa::path(get, path = "/v1/accounts/{id}/ledger", params(("id" = String, Path),
    ("after" = Option<u64>, Query), ("limit" = Option<u64>, Query)),
    responses((status = 200, body = super::openapi::LedgerPage)))]
pub async fn ledger(
    State(app): Shared,
    Path(id): Path<String>,
    headers: HeaderMap,
    Query(query): Query<HashMap<String, String>>,
) -> Answer {
    authorize(&caller(&app, &headers)?, &id, Access::Read)?;
    only_params(&query, &["after", "limit"])?;
    let after = query_u64(&query, "after", 0)?;
    let limit = query_u64(&query, "limit", 100)?;
    let reply_ = app
        .service
        .read(move |tx, _| accounts::ledger(tx, &id, after, limit))
        .await;
    Ok(reply(reply_))
}

/// `GET …/usage?from=&to=&by=day|studio|product`: credits spent in
/// `[from, to)` (Unix ms), grouped.
#[utoipa::path(get, path = "/v1/accounts/{id}/usage", params(("id" = String, Path),
    ("from" = Option<u64>, Query), ("to" = Option<u64>, Query), ("by" = Option<String>, Query)),
    responses((status = 200, body = super::openapi::Usage)))]
pub async fn usage(
    State(app): Shared,
    Path(id): Path<String>,
    headers: HeaderMap,
    Query(query): Query<HashMap<String, String>>,
) -> Answer {
    authorize(&caller(&app, &headers)?, &id, Access::Read)?;
    only_params(&query, &["from", "to", "by"])?;
    let max = crate::wallet::MAX_TIME as u64;
    let from = i64::try_from(query_u64(&query, "from", 0)?.min(max)).unwrap_or(0);
    let to = i64::try_from(query_u64(&query, "to", max)?.min(max)).unwrap_or(i64::MAX);
    let by = match query.get("by").map(String::as_str) {
        None | Some("day") => UsageBy::Day,
        Some("studio") => UsageBy::Studio,
        Some("product") => UsageBy::Product,
        Some(_) => {
            return Err(ApiError(
                ServiceError::new(
                    Code::Core(crate::ErrorCode::InvalidRequest),
                    "by is day, studio or product",
                )
                .at("by"),
            ));
        }
    };
    let reply_ = app
        .service
        .read(move |tx, _| accounts::usage(tx, &id, from, to, by))
        .await;
    Ok(reply(reply_))
}

/// `POST …/grants`: credits outside the plan (refunds, promos).
#[utoipa::path(post, path = "/v1/accounts/{id}/grants", params(("id" = String, Path)),
    request_body = super::openapi::GrantBody, responses((status = 201, description = "the grant entry and the balance"),
    (status = 200, description = "the same grant again: nothing new, `replayed: true`")))]
pub async fn grant(
    State(app): Shared,
    Path(id): Path<String>,
    headers: HeaderMap,
    uri: Uri,
    body: Body,
) -> Answer {
    account_write(&app, id, &headers, &uri, body, grants::grant).await
}

/// `POST …/packs` with `{pack, paymentId}`: a pack bought; the payment id
/// is the grant's id, so a payment is credited once.
#[utoipa::path(post, path = "/v1/accounts/{id}/packs", params(("id" = String, Path)),
    request_body = super::openapi::PackBody, responses((status = 201, description = "the grant entry and the balance"),
    (status = 200, description = "the same grant again: nothing new, `replayed: true`")))]
pub async fn pack(
    State(app): Shared,
    Path(id): Path<String>,
    headers: HeaderMap,
    uri: Uri,
    body: Body,
) -> Answer {
    account_write(&app, id, &headers, &uri, body, grants::pack).await
}

/// `POST …/plan` with `{plan, seats?}`: a plan change.
#[utoipa::path(post, path = "/v1/accounts/{id}/plan", params(("id" = String, Path)),
    request_body = super::openapi::PlanBody, responses((status = 200, description = "the change and the account")))]
pub async fn change_plan(
    State(app): Shared,
    Path(id): Path<String>,
    headers: HeaderMap,
    uri: Uri,
    body: Body,
) -> Answer {
    account_write(&app, id, &headers, &uri, body, accounts::change).await
}
