// A typed consumer of genprice/client (pkg/client.d.ts and the generated
// pkg/client-api.d.ts), checked with `tsc --noEmit`. The @ts-expect-error
// lines fail the check if the types ever become `any`.
import {
  createClient,
  GenpriceApiError,
  operations,
  type ApiErrorCode,
  type ChargeReply,
  type Client,
  type EntriesPage,
  type Operations,
  type Usage,
} from "../../../pkg/client.js";
import { createEngine } from "../../../pkg/index.js";

const api: Client = createClient({ baseUrl: "http://127.0.0.1:8080", auth: "gps_sk_example" });
const browser = createClient({ auth: async ({ expired }) => (expired ? "gps_st_new" : "gps_st_old") });

const { catalog, fingerprint } = await api.catalog();
const engine = createEngine(catalog);
const request = { product: "image/flux-pro", outputs: 4 };
try {
  const charge: ChargeReply = await api.charge("u1", { request, expect: { total: engine.total(request), fingerprint } }, { idempotencyKey: "gen-1" });
  const held: number = charge.amount;
  const status: "pending" | "settled" | "released" | "expired" = charge.status;
  const priced: number = charge.quote.total;
  const settled = await api.settle("u1", charge.id, { amount: 24 });
  const charged: number | null | undefined = settled.settledAmount;
  console.log(held, status, priced, charged);
} catch (e) {
  if (e instanceof GenpriceApiError) {
    const code: ApiErrorCode = e.code;
    switch (e.code) {
      case "insufficient_credits":
        console.log(e.details.shortfall, e.status);
        break;
      case "not_entitled":
      case "catalog_changed":
      case "duration_out_of_range":
      case "network":
        console.log(e.path, code);
        break;
      default:
        throw e;
    }
  }
}

const page: EntriesPage = await browser.ledger("u1", { after: 10, limit: 50 });
for (const entry of page.entries) if (entry.type === "hold") console.log(entry.hold, entry.amount);
const next: number | null | undefined = page.next;
for await (const entry of browser.entries("u1")) console.log(entry.seq);
const usage: Usage = await browser.usage("u1", { by: "studio", from: 0 });
const available: number = (await browser.balance("u1")).available;
const path: Operations["create_charge"]["path"] = operations.create_charge[1];
console.log(next, usage.groups[0]?.credits, available, path);

// @ts-expect-error usage is grouped by day, studio or product
browser.usage("u1", { by: "hour" });
// @ts-expect-error a charge says what the user saw
api.charge("u1", { request });
// @ts-expect-error codes are a closed set
const wrong: ApiErrorCode = "out_of_credits";
// @ts-expect-error the generated operation table knows its paths
const badPath: Operations["settle"]["path"] = "/v1/settle";
console.log(wrong, badPath);
