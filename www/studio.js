// genprice studio: every studio's node with its live cost (nodes.js); when
// served by `genprice serve --demo`, a demo account's balance by source,
// generations that hold then charge or refund, plan gating and the upgrade
// modal (live.js), the Credits page (credits.js) and the plan advisor
// (advisor.js). No pricing logic lives here: every number comes from the
// engine (the same Rust cost model the server charges with) or the API.
import { buildNodes } from "./nodes.js";
import { $, h, shortFingerprint } from "./ui.js";
import { generate, live, openSession, refreshBalance, upgradeModal } from "./live.js";

let engine;
let full = null; // the full engine (genprice/wallet): entitlements and the estimator
let catalog;
let createEngineFn;
let served = null;

function showFatal(message) {
  const box = $("#fatal");
  box.textContent = message;
  box.hidden = false;
  $("#nodes").replaceChildren(h("p", { class: "muted", text: "Unavailable." }));
  $("#nodes").removeAttribute("aria-busy");
}

try {
  const asked = serverCatalog(); // in parallel with the engine's download and compile
  const { createEngine } = await import("../pkg/index.js");
  createEngineFn = createEngine;
  served = await asked;
  engine = createEngine(served ? served.catalog : undefined);
} catch (e) {
  showFatal(`Could not load the pricing engine: ${e && e.message ? e.message : e}${e && e.code ? ` (${e.code})` : ""}`);
}

const ctx = {
  engine: () => engine,
  catalog: () => catalog,
  live: false,
  gate(request) {
    if (!full || !live.plan) return null;
    try {
      return full.quote(request, { plan: live.plan }).entitlement ?? null;
    } catch {
      return null; // the node's own quote shows the error
    }
  },
  locked: (entitlement, key) =>
    upgradeModal({ code: "not_entitled", message: `Your plan (${planName(live.plan)}) does not allow this.`, denials: entitlement.denials, upgrade: entitlement.upgrade }, key),
  generate,
};
live.catalog = () => catalog;

function planName(id) {
  return live.plans.find((p) => p.id === id)?.name ?? id;
}

if (engine) {
  catalog = engine.catalog();
  render();
  if (served) await startLive();
  else document.documentElement.dataset.ready = "true";
}

/** (Re)builds the nodes and the footer with the current engine. */
function render() {
  const container = $("#nodes");
  container.replaceChildren();
  buildNodes(container, ctx);
  container.removeAttribute("aria-busy");
  // When the first price was on screen, in ms since navigation started (tests report it).
  document.documentElement.dataset.firstPriceMs ??= String(Math.round(performance.now()));
  renderFooter();
}

/**
 * The server's catalog when the page is served by `genprice serve` (the API
 * is at the origin's root, so only a page served from the root asks), else
 * null: the page then prices with the catalog bundled in the package.
 */
async function serverCatalog() {
  if (!/^https?:$/.test(location.protocol) || new URL(".", location.href).pathname !== "/") return null;
  try {
    const r = await fetch("/v1/catalog", { headers: { accept: "application/json" }, cache: "no-cache" });
    if (!r.ok || !(r.headers.get("content-type") || "").includes("json")) return null;
    const etag = (r.headers.get("etag") || "").replace(/^W\//, "").replace(/^"|"$/g, "");
    return { catalog: await r.json(), etag };
  } catch {
    return null;
  }
}

function renderFooter() {
  const foot = $("#catalog-info");
  foot.replaceChildren(
    "Catalog ",
    h("strong", { text: catalog.id }),
    ` · version ${catalog.version} · `,
    h("code", { text: shortFingerprint(catalog.fingerprint), title: catalog.fingerprint }),
    ` · amounts in ${catalog.unit}, rounded ${catalog.rounding.replace("_", " ")}`,
    served ? " · from the server (" : "",
    served ? h("a", { href: "/v1/catalog", text: "GET /v1/catalog" }) : "",
    served ? ")" : "",
  );
  foot.dataset.fingerprint = catalog.fingerprint;
  if (served) foot.dataset.source = "server";
}

/** The full engine, for the plan's entitlements and the estimator (loaded after the first price is on screen). */
async function loadFull(catalogObject) {
  const { createEngine } = await import("../pkg/wallet.js");
  full = createEngine(catalogObject);
  live.plans = full.plans();
}

async function startLive() {
  ctx.live = true;
  live.onCatalogChanged = reloadCatalog;
  $("#account").hidden = false;
  document.body.classList.add("live");
  for (const el of document.querySelectorAll("[data-live]")) el.hidden = false;
  const select = $("#account-select");
  select.value = live.account;
  try {
    await loadFull(served.catalog);
  } catch (e) {
    $("#fatal").textContent = `Plan gating is unavailable: ${e.message}`;
    $("#fatal").hidden = false;
  }
  select.addEventListener("change", async () => {
    live.account = select.value;
    $("#jobs").replaceChildren();
    try {
      await openSession();
      render();
      await refreshBalance();
      document.dispatchEvent(new CustomEvent("genprice:account"));
    } catch (e) {
      $("#fatal").textContent = e.message;
      $("#fatal").hidden = false;
    }
  });
  try {
    await openSession();
    render(); // now with the plan's locks and a model it allows
    await refreshBalance();
  } catch (e) {
    $("#fatal").textContent = `Could not open a demo session: ${e.message}`;
    $("#fatal").hidden = false;
  }
  document.documentElement.dataset.ready = "true";
}

/** The server's catalog changed: price with the new one from now on. */
async function reloadCatalog() {
  const fresh = await serverCatalog();
  if (!fresh) throw new Error("could not reload the catalog");
  served = fresh;
  engine = createEngineFn(fresh.catalog);
  catalog = engine.catalog();
  await loadFull(fresh.catalog);
  render();
}

// Pages: #studio (the nodes), #credits (live only), #advisor.
const VIEWS = ["studio", "credits", "advisor"];
const advisorEnv = { catalog: () => catalog, full: () => full, ensureFull: async () => full ?? loadFull(served?.catalog) };

async function route() {
  const asked = location.hash.slice(1) || "studio";
  const view = VIEWS.includes(asked) && (asked !== "credits" || served) ? asked : "studio";
  for (const name of VIEWS) {
    $(`#view-${name}`).hidden = name !== view;
    const tab = $(`#tab-${name}`);
    if (name === view) tab.setAttribute("aria-current", "page");
    else tab.removeAttribute("aria-current");
  }
  document.body.dataset.view = view;
  if (!engine) return;
  try {
    if (view === "credits") await (await import("./credits.js")).showCredits();
    if (view === "advisor") await (await import("./advisor.js")).showAdvisor(advisorEnv);
  } catch (e) {
    $("#fatal").textContent = `Could not show this page: ${e && e.message ? e.message : e}`;
    $("#fatal").hidden = false;
  }
}
window.addEventListener("hashchange", route);
document.addEventListener("genprice:account", () => document.body.dataset.view === "credits" && route());
route();
