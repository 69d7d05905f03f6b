// genprice/client: a small fetch-based client of the `genprice serve` API,
// for a studio's backend (with the secret key) and for a browser (with a
// session token). No dependencies; runs wherever `fetch` does (browsers,
// Node 18+, Deno, workers). Wire types: client-api.d.ts, generated from the
// service's OpenAPI document. Errors are `GenpriceApiError`s carrying the
// server's stable `code` (the engine's codes, plus the service's own).

/**
 * Every operation of the API by its OpenAPI operationId: [method, path].
 * tests/js/studio-client.test.mjs checks it against /v1/openapi.json.
 */
export const operations = Object.freeze({
  health: ["GET", "/healthz"],
  openapi: ["GET", "/v1/openapi.json"],
  catalog: ["GET", "/v1/catalog"],
  create_account: ["POST", "/v1/accounts"],
  get_account: ["GET", "/v1/accounts/{id}"],
  create_session: ["POST", "/v1/accounts/{id}/sessions"],
  quote: ["POST", "/v1/accounts/{id}/quote"],
  create_charge: ["POST", "/v1/accounts/{id}/charges"],
  get_charge: ["GET", "/v1/accounts/{id}/charges/{cid}"],
  settle: ["POST", "/v1/accounts/{id}/charges/{cid}/settle"],
  release: ["POST", "/v1/accounts/{id}/charges/{cid}/release"],
  balance: ["GET", "/v1/accounts/{id}/balance"],
  ledger: ["GET", "/v1/accounts/{id}/ledger"],
  usage: ["GET", "/v1/accounts/{id}/usage"],
  grant: ["POST", "/v1/accounts/{id}/grants"],
  pack: ["POST", "/v1/accounts/{id}/packs"],
  change_plan: ["POST", "/v1/accounts/{id}/plan"],
});

/**
 * A refusal of the service (`{"error":{code, message, path?, …}}`), or a
 * failure to reach it (`code` "network"), as an `Error` with the same
 * stable `code` the engine and the server use.
 */
export class GenpriceApiError extends Error {
  constructor(status, error, requestId) {
    super(error.message || `HTTP ${status}`);
    this.name = "GenpriceApiError";
    /** The stable code (`insufficient_credits`, `catalog_changed` …). */
    this.code = error.code || "unknown";
    /** The HTTP status (0 when the server could not be reached). */
    this.status = status;
    /** The offending field, when there is one. */
    if (error.path !== undefined) this.path = error.path;
    /** The error object as the server sent it, details included. */
    this.details = error;
    /** The server's `x-request-id`, for its logs. */
    if (requestId) this.requestId = requestId;
  }
}

const fill = (path, params) =>
  path.replace(/\{(\w+)\}/g, (_, name) => {
    const v = params[name];
    if (typeof v !== "string" || v === "") throw new TypeError(`genprice/client: ${name} must be a non-empty string`);
    return encodeURIComponent(v);
  });

/** Web Crypto: global in browsers and Node 19+; Node 18 has it as `node:crypto`'s `webcrypto`. */
async function webCrypto() {
  if (globalThis.crypto && typeof globalThis.crypto.getRandomValues === "function") return globalThis.crypto;
  const name = "node:crypto"; // a variable: bundlers for browsers leave it alone
  return (await import(/* @vite-ignore */ name)).webcrypto;
}

/** A fresh idempotency key: 128 random bits as hex. */
async function newKey() {
  const bytes = new Uint8Array(16);
  (await webCrypto()).getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * A client of the service at `baseUrl`.
 *
 * - `auth`: the secret key (`gps_sk_…`, backends only), a session token
 *   (`gps_st_…`), or a function returning one (called again, once, after a
 *   401 with `{ expired: true }`: mint a new session there).
 * - `fetch`: another fetch (default: the global one).
 * - `retries` (default 2): a write is sent with an `Idempotency-Key` (yours
 *   via `{ idempotencyKey }`, else a fresh one) and retried with the same
 *   key when the network fails or the server answers 503, so a retry never
 *   charges twice.
 */
export function createClient({ baseUrl = "", auth, fetch: fetchFn, retries = 2, headers: extra = {} } = {}) {
  const doFetch = fetchFn || globalThis.fetch;
  if (typeof doFetch !== "function") throw new TypeError("genprice/client: no fetch: pass { fetch }");
  const base = String(baseUrl).replace(/\/+$/, "");

  async function token(expired) {
    if (typeof auth === "function") return auth({ expired });
    return auth;
  }

  async function send(op, params = {}, { body, query, idempotencyKey, raw = false } = {}) {
    const [method, template] = operations[op];
    let url = base + fill(template, params);
    if (query) {
      const q = new URLSearchParams();
      for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== null) q.set(k, String(v));
      const s = q.toString();
      if (s) url += `?${s}`;
    }
    const key = method === "POST" ? (idempotencyKey ?? (await newKey())) : undefined;
    let expired = false;
    for (let attempt = 0; ; attempt++) {
      const headers = { accept: "application/json", ...extra };
      const bearer = await token(expired);
      if (bearer) headers.authorization = `Bearer ${bearer}`;
      if (key) headers["idempotency-key"] = key;
      if (body !== undefined) headers["content-type"] = "application/json";
      let response;
      try {
        response = await doFetch(url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
      } catch (e) {
        if (attempt < retries) continue;
        const err = new GenpriceApiError(0, { code: "network", message: `cannot reach ${url}: ${e && e.message ? e.message : e}` });
        err.cause = e;
        throw err;
      }
      if (response.status === 401 && typeof auth === "function" && !expired) {
        expired = true;
        continue;
      }
      if (response.status === 503 && attempt < retries) continue;
      if (raw && response.ok) return response;
      const text = await response.text();
      let json;
      try {
        json = text ? JSON.parse(text) : undefined;
      } catch {
        json = undefined;
      }
      if (!response.ok) {
        const error = json && json.error && typeof json.error.code === "string" ? json.error : { code: "http_error", message: `HTTP ${response.status}` };
        throw new GenpriceApiError(response.status, error, response.headers.get("x-request-id"));
      }
      return json;
    }
  }

  const write = (op, params, body, options = {}) => send(op, params, { body, idempotencyKey: options.idempotencyKey });

  return {
    /** `GET /healthz`. */
    health: () => send("health"),
    /** `GET /v1/openapi.json`. */
    openapi: () => send("openapi"),
    /** `GET /v1/catalog`: the catalog and its fingerprint (the `ETag`). */
    async catalog() {
      const response = await send("catalog", {}, { raw: true });
      const catalog = await response.json();
      const etag = (response.headers.get("etag") || "").replace(/^W\//, "").replace(/^"|"$/g, "");
      return { catalog, fingerprint: etag || catalog.fingerprint };
    },
    createAccount: (body, options) => write("create_account", {}, body, options),
    getAccount: (id) => send("get_account", { id }),
    createSession: (id, body = {}, options) => write("create_session", { id }, body, options),
    quote: (id, request) => send("quote", { id }, { body: { request } }),
    charge: (id, body, options) => write("create_charge", { id }, body, options),
    getCharge: (id, cid) => send("get_charge", { id, cid }),
    settle: (id, cid, body = {}, options) => write("settle", { id, cid }, body, options),
    release: (id, cid, body = {}, options) => write("release", { id, cid }, body, options),
    balance: (id) => send("balance", { id }),
    ledger: (id, { after, limit } = {}) => send("ledger", { id }, { query: { after, limit } }),
    /** Every ledger entry after `after`, page by page. */
    async *entries(id, { after, limit = 1000 } = {}) {
      let cursor = after;
      for (;;) {
        const page = await send("ledger", { id }, { query: { after: cursor, limit } });
        yield* page.entries;
        if (page.next === null || page.next === undefined) return;
        cursor = page.next;
      }
    },
    usage: (id, { from, to, by } = {}) => send("usage", { id }, { query: { from, to, by } }),
    grant: (id, body, options) => write("grant", { id }, body, options),
    buyPack: (id, body, options) => write("pack", { id }, body, options),
    changePlan: (id, body, options) => write("change_plan", { id }, body, options),
  };
}
