// genprice/client: a typed client of the `genprice serve` API. The wire
// types (Account, Charge, CreateCharge, LedgerPage, Usage …, and the
// Operations table) are generated from the service's OpenAPI document into
// client-api.d.ts; the pricing and wallet objects they carry (quotes,
// balances, ledger entries) are the engine's own generated types.
import type { Catalog } from "./index.js";
import type { Balance, Entry, ErrorCode, Quote, RequestSpec } from "./wallet.js";
import type {
  Account,
  Charge,
  ChargeMetadata,
  CreateAccount,
  GrantBody,
  LedgerPage,
  Operations,
  PackBody,
  PlanBody,
  Session,
  Usage,
} from "./client-api.js";

export type * from "./client-api.js";

/** The codes only the service uses (HTTP, auth, accounts and charges); the rest are the engine's `ErrorCode`s. */
export type ServiceOnlyCode =
  | "catalog_changed"
  | "price_changed"
  | "not_entitled"
  | "idempotency_conflict"
  | "unknown_account"
  | "unknown_charge"
  | "account_exists"
  | "unauthorized"
  | "forbidden"
  | "not_found"
  | "method_not_allowed"
  | "payload_too_large"
  | "unsupported_media_type"
  | "request_timeout"
  | "internal"
  | "unavailable";

/** Every `code` a `GenpriceApiError` may carry: the server's, plus `network` (not reached) and `http_error` (an answer without an error body). */
export type ApiErrorCode = ErrorCode | ServiceOnlyCode | "network" | "http_error";

/** A refusal of the service, or a failure to reach it. */
export declare class GenpriceApiError extends Error {
  /** The stable code (`insufficient_credits`, `catalog_changed`, `not_entitled` …). */
  readonly code: ApiErrorCode;
  /** The HTTP status; 0 when the server could not be reached. */
  readonly status: number;
  /** The offending field (`request.items[1].seconds`). */
  readonly path?: string;
  /**
   * The error object as the server sent it, with its details: `balance`,
   * `estimate`, `shortfall`, `packs`, `plans` for `insufficient_credits`;
   * `denials`, `upgrade` for `not_entitled`; `quote`, `fingerprint` for
   * `catalog_changed` and `price_changed`.
   */
  readonly details: { code: ApiErrorCode; message: string; path?: string; [detail: string]: unknown };
  /** The server's `x-request-id`. */
  readonly requestId?: string;
}

/** Every operation's `[method, path]`, by its OpenAPI operationId. */
export declare const operations: { readonly [K in keyof Operations]: readonly [Operations[K]["method"], Operations[K]["path"]] };

/** The bearer: the secret key, a session token, or a function that returns one (called again with `{ expired: true }` after a 401). */
export type Auth = string | ((state: { expired: boolean }) => string | Promise<string>);

/** How a client is made. */
export interface ClientOptions {
  /** The service's origin, e.g. `http://127.0.0.1:8080` (default: the page's own, `""`). */
  baseUrl?: string;
  /** The bearer. */
  auth?: Auth;
  /** Another fetch (default: `globalThis.fetch`). */
  fetch?: typeof fetch;
  /** Retries of a request the network lost or the server answered 503 (default 2); writes keep their idempotency key. */
  retries?: number;
  /** Extra headers on every request. */
  headers?: Record<string, string>;
}

/** A write's options. */
export interface WriteOptions {
  /** The `Idempotency-Key` (default: a fresh random one per call). */
  idempotencyKey?: string;
}

/** A charge as the client sees it: its quote is the engine's. */
export type ChargeReply = Omit<Charge, "quote" | "status"> & {
  status: "pending" | "settled" | "released" | "expired";
  quote: Quote;
};

/** `POST …/charges`. */
export interface ChargeBody {
  /** The request to price and charge. */
  request: RequestSpec;
  /** The total the user saw and the catalog fingerprint it was priced with. */
  expect: { total: number; fingerprint: string };
  /** The hold's lifetime (default 600000 ms, at most a day). */
  ttlMs?: number;
  /** Kept with the charge. */
  metadata?: ChargeMetadata;
}

/** A page of the ledger, with the engine's entry type. */
export type EntriesPage = Omit<LedgerPage, "entries"> & { entries: Entry[] };

/** The client. Every method rejects with a `GenpriceApiError`. */
export interface Client {
  /** `GET /healthz`. */
  health(): Promise<{ ok: boolean }>;
  /** `GET /v1/openapi.json`. */
  openapi(): Promise<Record<string, unknown>>;
  /** `GET /v1/catalog`: give it to `createEngine` to price with the server's book. */
  catalog(): Promise<{ catalog: Catalog; fingerprint: string }>;
  /** `POST /v1/accounts` (secret key). */
  createAccount(body: CreateAccount, options?: WriteOptions): Promise<Account>;
  /** `GET /v1/accounts/{id}`. */
  getAccount(id: string): Promise<Account & { balance: Balance }>;
  /** `POST …/sessions` (secret key): a token for the account's browser. */
  createSession(id: string, body?: { ttlMs?: number }, options?: WriteOptions): Promise<Session>;
  /** `POST …/quote`: the quote with the account's `entitlement` and `credits`. */
  quote(id: string, request: RequestSpec): Promise<Quote>;
  /** `POST …/charges` (secret key): holds the credits when a generation starts. */
  charge(id: string, body: ChargeBody, options?: WriteOptions): Promise<ChargeReply>;
  /** `GET …/charges/{cid}`. */
  getCharge(id: string, cid: string): Promise<ChargeReply>;
  /** `POST …/settle` (secret key): charges all, or `amount`, of the hold. */
  settle(id: string, cid: string, body?: { amount?: number }, options?: WriteOptions): Promise<ChargeReply>;
  /** `POST …/release` (secret key): gives the hold back. */
  release(id: string, cid: string, body?: { reason?: string }, options?: WriteOptions): Promise<ChargeReply>;
  /** `GET …/balance`. */
  balance(id: string): Promise<Balance>;
  /** `GET …/ledger`: one page. */
  ledger(id: string, page?: { after?: number; limit?: number }): Promise<EntriesPage>;
  /** Every entry after `after`, fetched page by page. */
  entries(id: string, page?: { after?: number; limit?: number }): AsyncIterable<Entry>;
  /** `GET …/usage`: credits spent in `[from, to)` by day, studio or product. */
  usage(id: string, query?: { from?: number; to?: number; by?: "day" | "studio" | "product" }): Promise<Usage>;
  /** `POST …/grants` (secret key). */
  grant(id: string, body: GrantBody, options?: WriteOptions): Promise<Record<string, unknown>>;
  /** `POST …/packs` (secret key): a pack bought; `paymentId` credits it once. */
  buyPack(id: string, body: PackBody, options?: WriteOptions): Promise<Record<string, unknown>>;
  /** `POST …/plan` (secret key). */
  changePlan(id: string, body: PlanBody, options?: WriteOptions): Promise<Record<string, unknown>>;
}

/**
 * A client of the service.
 *
 * ```js
 * import { createClient } from "genprice/client";
 * const api = createClient({ baseUrl: "http://127.0.0.1:8080", auth: process.env.GENPRICE_SECRET_KEY });
 * const charge = await api.charge("u1", { request, expect: { total, fingerprint } });
 * await api.settle("u1", charge.id);   // or api.release("u1", charge.id) when it failed
 * ```
 */
export declare function createClient(options?: ClientOptions): Client;
