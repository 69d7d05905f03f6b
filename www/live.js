// Live mode: the page served by `genprice serve --demo`. The demo routes
// play the studio backend's part (a session token, a generation that
// charges, runs and settles or releases, a pack's checkout); everything
// else goes through `genprice/client` with the session token.
import { createClient } from "../pkg/client.js";
import { $, capitalize, display, h, money, when } from "./ui.js";

/** The live state: account, token, the account's plan, the API client. */
export const live = { account: "demo-free", token: null, plan: null, plans: [], api: null, catalog: null, onCatalogChanged: null };

/** POSTs to a demo route; `{status, body}`. */
export async function demo(path, body) {
  const r = await fetch(path, { method: "POST", headers: { "content-type": "application/json", accept: "application/json" }, body: JSON.stringify(body) });
  let json = null;
  try {
    json = await r.json();
  } catch {
    // no JSON body
  }
  return { status: r.status, body: json };
}

function errorOf(r) {
  return (r.body && r.body.error) || { code: "error", message: `HTTP ${r.status}` };
}

/** Opens a session for `live.account` and reads its plan. */
export async function openSession() {
  const r = await demo("/demo/session", { account: live.account });
  if (r.status !== 201) throw new Error(`${errorOf(r).code}: ${errorOf(r).message}`);
  live.token = r.body.token;
  if (!live.api) {
    live.api = createClient({
      auth: async ({ expired }) => {
        if (expired) await openSession(); // the 15-minute token ran out
        return live.token;
      },
    });
  }
  const account = await live.api.getAccount(live.account);
  live.plan = account.plan;
}

/** Refreshes the sidebar: available credits by source, held, next expiry. */
export async function refreshBalance() {
  const account = live.account;
  const box = $("#balance");
  let b;
  try {
    b = await live.api.balance(account);
  } catch (e) {
    box.replaceChildren(h("h2", { text: "Balance" }), h("p", { class: "error", text: `${e.code}: ${e.message}` }));
    return;
  }
  if (account !== live.account) return; // switched meanwhile
  const catalog = live.catalog();
  const sources = b.sources.filter((s) => s.available > 0 || s.held > 0);
  const parts = [
    h("h2", { text: "Balance" }),
    h("p", { class: "available" }, h("strong", { id: "balance-available", text: display(b.available, catalog) }), " available"),
    h("p", { class: "muted small", id: "balance-plan", text: `Plan: ${planName(live.plan)}` }),
    b.held ? h("p", { class: "muted small", id: "balance-held", text: `${display(b.held, catalog)} held by running generations` }) : null,
    h(
      "ul",
      { class: "sources", "aria-label": "Credits by source" },
      sources.length
        ? sources.map((s) =>
            h(
              "li",
              { "data-source": s.source },
              h("span", { class: "source-name", text: capitalize(s.source) }),
              h("span", { text: display(s.available, catalog) + (s.held ? ` (+${s.held} held)` : "") }),
              h("span", { class: "source-expiry", text: sourceExpiry(b.grants, s.source, catalog) }),
            ),
          )
        : h("li", { class: "muted", text: "No credits." }),
    ),
    b.nextExpiry ? h("p", { class: "muted small", id: "balance-expiry", text: `${display(b.nextExpiry.amount, catalog)} expire ${when(b.nextExpiry.at)}` }) : null,
  ];
  box.replaceChildren(...parts.filter(Boolean));
  box.dataset.account = account;
  box.dataset.available = String(b.available);
  box.dataset.held = String(b.held);
}

/** "100 credits expire at midnight", "never expire": a source's soonest expiry, from its grants. */
function sourceExpiry(grants, source, catalog) {
  const open = grants.filter((g) => g.source === source && g.available > 0);
  const dated = open.filter((g) => g.expiresAt !== undefined && g.expiresAt !== null);
  if (!dated.length) return open.length ? "never expire" : "";
  const at = Math.min(...dated.map((g) => g.expiresAt));
  const amount = dated.filter((g) => g.expiresAt === at).reduce((n, g) => n + g.available, 0);
  return `${display(amount, catalog)} expire ${when(at)}`;
}

function planName(id) {
  return live.plans?.find((p) => p.id === id)?.name ?? id;
}

/**
 * Starts a generation through `POST /demo/generate` with the button's
 * request and total and the engine's fingerprint; returns the node's status.
 */
export async function generate({ key, title, request, total, fail }) {
  const catalog = live.catalog();
  const body = { account: live.account, request, expect: { total, fingerprint: catalog.fingerprint } };
  if (fail) body.fail = true;
  const r = await demo("/demo/generate", body);
  if (r.status === 201) {
    trackJob({ title, charge: r.body, account: live.account, fail });
    await refreshBalance();
    return `Started: ${display(r.body.amount, catalog)} held until it finishes.`;
  }
  const error = errorOf(r);
  if (error.code === "catalog_changed") {
    await live.onCatalogChanged();
    const now = $(`#generate-${key}`);
    const msg = now && now.dataset.total
      ? `Prices changed on the server: this now costs ${display(Number(now.dataset.total), live.catalog())}. Press Generate again to confirm.`
      : "Prices changed on the server. Check the settings and press Generate again.";
    const status = $(`#${key}-status`);
    if (status) status.textContent = msg;
    return msg;
  }
  upgradeModal(error, key);
  return `Not started: ${error.code}.`;
}

/** Lists the generation and polls its charge until it is settled or released. */
function trackJob({ title, charge, account, fail }) {
  const label = h("span", { class: "job-state" });
  const item = h("li", { class: "job" }, h("strong", { text: title }), " ", label);
  item.dataset.charge = charge.id;
  item.dataset.account = account;
  const show = (c) => {
    const catalog = live.catalog();
    item.dataset.status = c.status;
    item.dataset.amount = String(c.amount);
    item.className = `job ${c.status}`;
    const amount = display(c.amount, catalog);
    label.textContent =
      c.status === "pending"
        ? `${amount} · running${fail ? " (will fail)" : ""}, credits held`
        : c.status === "settled"
          ? `${amount} · done, charged`
          : c.status === "released"
            ? `${amount} · failed, refunded`
            : `${amount} · ${c.status}`;
  };
  show(charge);
  $("#jobs").prepend(item);
  const poll = async () => {
    let c = null;
    try {
      c = account === live.account ? await live.api.getCharge(account, charge.id) : null;
    } catch {
      c = null; // try again
    }
    if (account !== live.account) return; // another account's session now
    if (c && c.status !== "pending") {
      show(c);
      await refreshBalance();
      item.dataset.done = "true"; // and the balance shows it
      return;
    }
    setTimeout(poll, 250);
  };
  setTimeout(poll, 250);
}

/**
 * The upgrade modal, from a refusal (`insufficient_credits` with balance,
 * cost, shortfall, packs and plans; `not_entitled` with denials and the
 * cheapest plan that allows it) or the local entitlement answer.
 */
export function upgradeModal(error, key) {
  const dialog = $("#upgrade");
  const catalog = live.catalog();
  const parts = [h("h2", { id: "upgrade-title", text: title(error.code) }), h("p", { id: "upgrade-message", text: error.message })];
  if (error.code === "insufficient_credits") {
    parts.push(
      h(
        "dl",
        { class: "figures" },
        [
          ["Balance", error.balance],
          ["Cost", error.estimate],
          ["Short by", error.shortfall],
        ]
          .filter(([, v]) => v !== undefined)
          .flatMap(([k, v]) => [h("dt", { text: k }), h("dd", { "data-figure": k.toLowerCase().replace(/ /g, "-"), text: display(v, catalog) })]),
      ),
    );
    if (error.packs?.length) {
      parts.push(
        h("h3", { text: "Buy credits" }),
        h(
          "ul",
          { class: "offers" },
          error.packs.map((p) => {
            const buy = h("button", { type: "button", class: "buy", "data-pack": p.id, text: `Buy ${p.quantity} × ${p.name} · ${money(p.total, p.currency)}` });
            buy.addEventListener("click", () => buyPacks(p, key, buy));
            return h("li", {}, buy);
          }),
        ),
      );
    }
    if (error.plans?.length) {
      parts.push(h("h3", { text: "Or a plan that covers it" }), h("ul", { class: "offers" }, error.plans.map((p) => h("li", { "data-plan": p.id, text: offerText(p) }))));
      const demoPlan = error.plans.find((p) => demoAccountOn(p.id));
      if (demoPlan) parts.push(switchButton(demoPlan.id, dialog));
    }
  } else if (error.code === "not_entitled") {
    parts.push(h("ul", { class: "denials" }, (error.denials || []).map((d) => h("li", { text: d.message }))));
    if (error.upgrade) {
      parts.push(h("p", { class: "offer", "data-plan": error.upgrade.id, text: `${offerText(error.upgrade)} allows it.` }));
      if (demoAccountOn(error.upgrade.id)) parts.push(switchButton(error.upgrade.id, dialog));
    }
  }
  const close = h("button", { type: "button", class: "secondary", id: "upgrade-close", text: "Not now" });
  close.addEventListener("click", () => dialog.close());
  parts.push(h("p", { class: "status", id: "upgrade-status", "aria-live": "polite" }), h("div", { class: "dialog-actions" }, close));
  dialog.replaceChildren(...parts);
  dialog.dataset.code = error.code;
  dialog.dataset.node = key ?? "";
  if (!dialog.open) dialog.showModal();
}

/** The demo account on `plan`, when there is one (`demo-<plan>`). */
function demoAccountOn(plan) {
  const account = `demo-${plan}`;
  return [...$("#account-select").options].some((o) => o.value === account) && account !== live.account ? account : null;
}

/** "Try it on demo-pro": the demo's stand-in for an upgrade. */
function switchButton(plan, dialog) {
  const account = demoAccountOn(plan);
  const use = h("button", { type: "button", class: "primary", id: "upgrade-switch", text: `Try it on ${account}` });
  use.addEventListener("click", () => {
    const select = $("#account-select");
    select.value = account;
    select.dispatchEvent(new Event("change"));
    dialog.close();
  });
  return use;
}

function offerText(p) {
  const billing = p.billing?.find((b) => b.cycle === "monthly") ?? p.billing?.[0];
  const price = billing && billing.price !== undefined ? ` · ${money(billing.price, p.currency)}/${billing.cycle === "annual" ? "year" : "month"}` : "";
  return `${p.name}${price}`;
}

function title(code) {
  return code === "insufficient_credits" ? "Not enough credits" : code === "not_entitled" ? "Not in your plan" : `Could not generate (${code})`;
}

/** A demo checkout through `POST /demo/pack` (the real `…/packs` job), `quantity` times. */
async function buyPacks(pack, key, button) {
  const status = $("#upgrade-status");
  button.disabled = true;
  for (let i = 0; i < pack.quantity; i++) {
    const r = await demo("/demo/pack", { account: live.account, pack: pack.id });
    if (r.status !== 201) {
      status.textContent = `Could not buy: ${errorOf(r).code}: ${errorOf(r).message}`;
      button.disabled = false;
      return;
    }
  }
  await refreshBalance();
  $("#upgrade").close();
  const node = $(`#${key}-status`);
  if (node) node.textContent = `Bought ${pack.quantity} × ${pack.name}. Press Generate again.`;
  $(`#generate-${key}`)?.focus();
}
