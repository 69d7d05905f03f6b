// A typed consumer of the npm package, checked with `tsc --noEmit` against
// the generated declarations (pkg/web/genprice.d.ts via pkg/index.d.ts).
// The @ts-expect-error lines fail the check if the types ever become `any`.
import {
  createEngine,
  defaultCatalog,
  load,
  Engine,
  Pricer,
  type Catalog,
  type ErrorCode,
  type GenpriceError,
  type Line,
  type Product,
  type Quote,
  type QuoteResult,
  type RequestSpec,
  type TotalResult,
  type WasmSource,
} from "../../../pkg/index.js";

// Explicit loading: a URL, a Response, bytes or a compiled module.
const sources: WasmSource[] = ["/genprice_bg.wasm", new URL("https://cdn.example.com/g.wasm"), fetch("/g.wasm"), new Uint8Array(8)];
await load({ wasm: sources[0] }).catch((e: unknown) => console.log(e));
await load();
// @ts-expect-error the source goes in an options object
load("/genprice_bg.wasm");

const engine: Engine = createEngine(defaultCatalog);
const request: RequestSpec = { product: "video/veo-3", seconds: 8, resolution: "1080p", options: { audio: "on" } };
const quote: Quote = engine.quote(request);
const total: number = quote.total;
const line: Line = quote.lines[0];
const multiplier: string = line.factors[0].multiplier;
const fingerprint: string = quote.catalog.fingerprint;

const results: QuoteResult[] = engine.quoteMany([request, { items: [request, { product: "image/flux-pro", outputs: 2 }] }]);
for (const result of results) {
  if ("error" in result) {
    const code: ErrorCode = result.error.code;
    const path: string | undefined = result.error.path;
    const suggestions: string[] | undefined = result.error.suggestions;
    console.log(code, path, suggestions);
  } else {
    console.log(result.total.toFixed(0), result.display);
  }
}

// The numeric fast path: a number, a pricer for a slider, a batch of totals.
const justTotal: number = engine.total(request);
const pricer: Pricer = engine.pricer({ product: "video/veo-3", resolution: "1080p", options: { audio: "on" } });
const sliderTotal: number = pricer.total(8, 2);
const withDefaults: number = pricer.total(undefined) + pricer.total(null, 1) + pricer.total(8);
const pricedWith: string = pricer.fingerprint;
const totals: TotalResult[] = engine.totals([request, { product: "nope" }]);
for (const t of totals) {
  if (typeof t === "number") console.log(t.toFixed(0));
  else console.log(t.error.code, t.error.path);
}
// @ts-expect-error a pricer takes plain numbers
pricer.total("8");
// @ts-expect-error a pricer prices one item, not a scene
engine.pricer({ items: [request] });
console.log(justTotal, sliderTotal, withDefaults, pricedWith);

const catalog: Catalog = engine.catalog();
const videos: Product[] = catalog.products.filter((p) => p.studio === "video");
const maxSeconds: number | undefined = videos[0].quantity?.max;
const resolutions: string[] = Object.keys(videos[0].resolutions);

try {
  engine.quote({ product: "video/veo-3", resolution: "8k" });
} catch (e) {
  const error = e as GenpriceError;
  switch (error.code) {
    case "resolution_not_allowed":
    case "duration_out_of_range":
      console.log(error.path, error.message);
      break;
    case "unknown_product":
      console.log(error.suggestions?.join(", "));
      break;
    default:
      throw error;
  }
}

// @ts-expect-error unknown request fields are not part of the contract
engine.quote({ product: "video/veo-3", duration: 8 });
// @ts-expect-error amounts are numbers, not strings
const wrong: string = quote.total;
// @ts-expect-error a studio is one of a fixed set
const studio: Product["studio"] = "podcast";

console.log(total, multiplier, fingerprint, maxSeconds, resolutions, wrong, studio);

// The wallet module: its types are generated too.
import { Wallet, type Balance, type Preview, type WalletPolicy } from "../../../pkg/wallet.js";
const policy: WalletPolicy = { burnOrder: ["daily", "monthly", "topup"], allowances: [] };
const wallet = new Wallet(policy, []);
const balance: Balance = wallet.balance(Date.now());
const preview: Preview = wallet.preview(quote.total, Date.now());
const availableAfter: number = preview.availableAfter;
// @ts-expect-error commands are a closed set
wallet.execute({ op: "refund", id: "x" }, 0);
console.log(balance.available, availableAfter);

// The full engine (genprice/wallet): plans, entitlements, the credits
// answer and the estimator, all typed from the Rust types.
import {
  Engine as FullEngine,
  defaultCatalog as fullCatalog,
  type DenialCode,
  type Estimate,
  type PlanSheet,
  type Quote as FullQuote,
} from "../../../pkg/wallet.js";
const full = new FullEngine(fullCatalog);
const checked: FullQuote = full.quote(request, { plan: "free", balance: balance.available });
if (checked.entitlement && !checked.entitlement.allowed) {
  const reasons: DenialCode[] = checked.entitlement.denials.map((d) => d.code);
  const upgradeTo: string | undefined = checked.entitlement.upgrade?.id;
  console.log(reasons, upgradeTo);
}
const shortfall: number | undefined = checked.credits?.shortfall;
const packTotals: number[] = checked.credits?.packs.map((p) => p.total) ?? [];
const sheets: PlanSheet[] = full.plans();
const mix: Estimate = full.estimate([{ request, per: "day", count: 3, workdays: 22 }]);
const recommended: string | undefined = mix.recommendation?.plan;
// @ts-expect-error a usage period is day, week or month
full.estimate([{ request, per: "hour", count: 1 }]);
// @ts-expect-error quote options are plan and balance only
full.quote(request, { tier: "pro" });
console.log(shortfall, packTotals, sheets.length, recommended);
