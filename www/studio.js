// genprice studio: builds Image and Video "nodes" from the engine's catalog
// and shows the live cost of each on its Generate button. No pricing logic
// lives here: every number shown comes from the engine. While a slider (or
// the output count) moves, the button asks a pricer (`engine.pricer(base)`,
// the numeric fast path) for the total; when it settles (`change`), and for
// any other control, the explained `engine.quote(request)` fills the button
// and the breakdown.

const NODES = [
  { key: "image", title: "Image", blurb: "Still images, priced per output." },
  { key: "video", title: "Video", blurb: "Clips, priced per second." },
];

// The request field that carries each meter's quantity (image/call have none).
const METER_FIELD = { second: "seconds", character: "characters", token: "tokens", megapixel: "megapixels" };
const METER_NAME = { second: "second", image: "image", character: "character", token: "token", megapixel: "megapixel", call: "call" };
const METER_UNIT = { second: "s", image: "image", character: "chars", token: "tokens", megapixel: "MP", call: "call" };

const $ = (sel, el = document) => el.querySelector(sel);

function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === "class") el.className = v;
    else if (k === "text") el.textContent = v;
    else if (k.startsWith("data-") || k === "for" || k === "role" || k.startsWith("aria-")) el.setAttribute(k, v);
    else el[k] = v;
  }
  for (const c of children.flat()) if (c !== null && c !== undefined && c !== false) el.append(c);
  return el;
}

/** An amount as quotes display it: `"600 credits"`, `"1 credit"`, `"12.50 credits"`. */
function display(n, catalog) {
  const one = n === 1 && !catalog.decimals && catalog.unitSingular;
  return `${units(n, catalog.decimals)} ${one ? catalog.unitSingular : catalog.unit}`;
}

/** Smallest units as a decimal string (`1250`, 2 → `12.50`), without floats. */
function units(n, decimals) {
  if (!decimals) return String(n);
  const neg = n < 0;
  const s = String(Math.abs(n)).padStart(decimals + 1, "0");
  return `${neg ? "-" : ""}${s.slice(0, -decimals)}.${s.slice(-decimals)}`;
}

function shortFingerprint(fp) {
  const [algo, hex = ""] = String(fp).split(":");
  return hex.length > 16 ? `${algo}:${hex.slice(0, 8)}…${hex.slice(-4)}` : String(fp);
}

function plural(n, word) {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

function showFatal(message) {
  const box = $("#fatal");
  box.textContent = message;
  box.hidden = false;
  for (const n of document.querySelectorAll(".loading")) n.textContent = "Unavailable.";
  $("#nodes").removeAttribute("aria-busy");
}

let engine;
let catalog;
let createEngineFn;
// Set when the page is served by `genprice serve --demo` (GET /v1/catalog
// answers): the account, its session token, and the catalog's ETag.
let live = null;
try {
  const { createEngine } = await import("../pkg/index.js");
  createEngineFn = createEngine;
  const served = await serverCatalog();
  engine = createEngine(served ? served.catalog : undefined);
  if (served) live = { account: "demo-free", token: null, etag: served.etag };
} catch (e) {
  showFatal(`Could not load the pricing engine: ${e && e.message ? e.message : e}${e && e.code ? ` (${e.code})` : ""}`);
}

if (engine) {
  catalog = engine.catalog();
  buildNodes();
  renderFooter(catalog);
  $("#nodes").removeAttribute("aria-busy");
  if (live) startLive();
  else document.documentElement.dataset.ready = "true";
}

function buildNodes() {
  for (const spec of NODES) buildNode(spec, catalog);
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

function renderFooter(catalog) {
  const foot = $("#catalog-info");
  foot.replaceChildren(
    "Catalog ",
    h("strong", { text: catalog.id }),
    ` · version ${catalog.version} · `,
    h("code", { text: shortFingerprint(catalog.fingerprint), title: catalog.fingerprint }),
    ` · amounts in ${catalog.unit}, rounded ${catalog.rounding.replace("_", " ")}`,
    live ? " · from the server (" : "",
    live ? h("a", { href: "/v1/catalog", text: "GET /v1/catalog" }) : "",
    live ? ")" : "",
  );
  foot.dataset.fingerprint = catalog.fingerprint;
  if (live) foot.dataset.source = "server";
}

function buildNode({ key, title, blurb }, catalog) {
  const section = $(`#node-${key}`);
  const products = catalog.products.filter((p) => p.studio === key);
  if (products.length === 0) {
    section.replaceChildren(h("h2", { text: title }), h("p", { class: "muted", text: "No products in this catalog." }));
    return;
  }

  const model = h(
    "select",
    { id: `${key}-model`, name: "product" },
    products.map((p) => h("option", { value: p.id, text: `${p.name} · ${p.tier}` })),
  );
  const controls = h("div", { class: "controls", id: `${key}-controls` });
  const button = h("button", { type: "submit", id: `generate-${key}`, class: "generate", text: "Generate" });
  const error = h("p", { class: "error", id: `${key}-error`, role: "alert", hidden: true });
  const body = h("div", { class: "breakdown-body", id: `${key}-breakdown` });
  const details = h("details", { class: "breakdown" }, h("summary", { text: "How this is priced" }), body);
  const status = h("p", { class: "status", id: `${key}-status`, "aria-live": "polite" });
  const fail = live ? h("input", { type: "checkbox", id: `${key}-fail`, name: "fail" }) : null;
  const failSwitch = live ? h("label", { class: "fail", for: fail.id }, fail, " Simulate failure") : null;

  const form = h(
    "form",
    { class: "node-form", autocomplete: "off" },
    field("Model", model),
    controls,
    h("div", { class: "actions" }, failSwitch, button, error, details, status),
  );

  section.replaceChildren(
    h("header", { class: "node-head" }, h("h2", { text: title }), h("p", { class: "muted", text: blurb })),
    form,
  );

  const product = () => products.find((p) => p.id === model.value);
  let lastQuote = null;

  function rebuildControls() {
    const p = product();
    const parts = [];

    // The studio's ladder order (catalog.resolutions, lowest first); any
    // resolution not on it after, by name — as the engine's messages list them.
    const ladder = catalog.resolutions?.[p.studio] ?? [];
    const rank = (name) => (ladder.includes(name) ? ladder.indexOf(name) : ladder.length);
    const resolutions = Object.entries(p.resolutions || {}).sort(
      ([a], [b]) => rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0),
    );
    if (resolutions.length) {
      parts.push(
        field(
          "Resolution",
          h(
            "select",
            { id: `${key}-resolution`, name: "resolution" },
            resolutions.map(([name, mult]) =>
              h("option", { value: name, text: `${name}  (×${mult})`, selected: name === p.defaultResolution }),
            ),
          ),
        ),
      );
    }

    const fieldName = METER_FIELD[p.meter];
    if (fieldName && p.quantity) {
      const { min, max } = p.quantity;
      const value = p.quantity.default ?? min;
      const unit = METER_UNIT[p.meter] || p.meter;
      const out = h("output", { id: `${key}-${fieldName}-value`, class: "value", text: `${value} ${unit}` });
      const range = h("input", {
        type: "range",
        id: `${key}-${fieldName}`,
        name: fieldName,
        min,
        max,
        step: 1,
        value,
      });
      range.dataset.field = fieldName;
      range.addEventListener("input", () => (out.textContent = `${range.value} ${unit}`));
      parts.push(
        h(
          "div",
          { class: "field" },
          h("label", { for: range.id }, h("span", { text: capitalize(fieldName) }), out),
          h("div", { class: "range" }, h("span", { class: "bound", text: String(min) }), range, h("span", { class: "bound", text: String(max) })),
        ),
      );
    }

    const maxOutputs = p.outputs?.max ?? 1;
    parts.push(
      field(
        "Outputs",
        h(
          "select",
          { id: `${key}-outputs`, name: "outputs", disabled: maxOutputs <= 1 },
          Array.from({ length: maxOutputs }, (_, i) =>
            h("option", { value: String(i + 1), text: String(i + 1), selected: i + 1 === (p.outputs?.default ?? 1) }),
          ),
        ),
      ),
    );

    for (const [name, opt] of Object.entries(p.options || {})) {
      const values = Object.entries(opt.values).sort(([a, x], [b, y]) => Number(x) - Number(y) || a.localeCompare(b));
      const sel = h(
        "select",
        { id: `${key}-option-${name}`, name: `option:${name}` },
        values.map(([v, mult]) => h("option", { value: v, text: `${v}  (×${mult})`, selected: v === opt.default })),
      );
      sel.dataset.option = name;
      parts.push(field(capitalize(name), sel));
    }

    controls.replaceChildren(...parts);
  }

  function request() {
    const p = product();
    const req = { product: p.id };
    const range = controls.querySelector("input[type=range]");
    if (range) req[range.dataset.field] = Number(range.value);
    const res = $(`#${key}-resolution`, controls);
    if (res) req.resolution = res.value;
    const outs = $(`#${key}-outputs`, controls);
    if (outs) req.outputs = Number(outs.value);
    const opts = {};
    for (const sel of controls.querySelectorAll("select[data-option]")) opts[sel.dataset.option] = sel.value;
    if (Object.keys(opts).length) req.options = opts;
    return req;
  }

  // The pricer for the product, resolution and options now chosen: the
  // slider and the output count only change its two numbers.
  let pricer = null;
  function repricer() {
    const { product: id, resolution, options } = request();
    try {
      pricer = engine.pricer({ product: id, resolution, options });
    } catch {
      pricer = null; // the explained quote shows why
    }
  }

  /** The fast path while a slider moves: the total only. */
  function preview() {
    const req = request();
    const range = controls.querySelector("input[type=range]");
    if (!pricer || !lastQuote) return update();
    let total;
    try {
      total = pricer.total(range ? req[range.dataset.field] : null, req.outputs ?? 1);
    } catch {
      return update(); // the explained quote shows the error
    }
    button.dataset.request = JSON.stringify(req);
    button.replaceChildren("Generate", h("span", { class: "cost", text: ` · ${display(total, catalog)}` }));
    button.dataset.total = String(total);
  }

  function update() {
    const req = request();
    button.dataset.request = JSON.stringify(req);
    status.textContent = "";
    try {
      const q = engine.quote(req);
      lastQuote = q;
      button.disabled = false;
      button.replaceChildren("Generate", h("span", { class: "cost", text: ` · ${q.display}` }));
      button.dataset.total = String(q.total);
      button.title = breakdownText(q);
      error.hidden = true;
      error.textContent = "";
      body.replaceChildren(breakdownView(q));
      details.hidden = false;
    } catch (e) {
      lastQuote = null;
      button.disabled = true;
      button.textContent = "Generate · unavailable";
      delete button.dataset.total;
      button.title = "";
      const code = e && e.code ? e.code : "error";
      error.replaceChildren(
        h("strong", { text: code }),
        ` ${e && e.message ? e.message : String(e)}`,
        e && e.path ? h("span", { class: "muted", text: ` (at ${e.path})` }) : "",
      );
      error.dataset.code = code;
      error.hidden = false;
      details.hidden = true;
    }
  }

  const moves = (el) => el.type === "range" || el.id === `${key}-outputs`;
  model.addEventListener("change", () => {
    rebuildControls();
    repricer();
    update();
  });
  form.addEventListener("input", (e) => {
    if (e.target === model) return;
    if (moves(e.target)) preview();
    else {
      repricer();
      update();
    }
  });
  form.addEventListener("change", (e) => e.target !== model && update());
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    if (!lastQuote) return;
    if (!live) {
      status.textContent = `Would charge ${lastQuote.display} (priced with ${shortFingerprint(lastQuote.catalog.fingerprint)}). This page only prices; nothing is generated.`;
      return;
    }
    // The number the button shows, for the request it shows it for.
    const req = JSON.parse(button.dataset.request);
    const total = Number(button.dataset.total);
    button.disabled = true;
    status.textContent = "Starting…";
    try {
      status.textContent = await generate({ key, title, request: req, total, fail: fail.checked });
    } catch (err) {
      status.textContent = `Could not start the generation: ${err && err.message ? err.message : err}`;
    } finally {
      button.disabled = !lastQuote;
    }
  });

  rebuildControls();
  repricer();
  update();
}

function field(label, control) {
  return h("div", { class: "field" }, h("label", { for: control.id, text: label }), control);
}

function capitalize(s) {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

function meterUnit(line) {
  return METER_UNIT[line.meter] || line.meter;
}

/** The line's arithmetic, in the engine's own numbers. */
function lineSteps(line, q) {
  const money = (n) => `${units(n, q.decimals)} ${q.unit}`;
  const name = METER_NAME[line.meter] || line.meter;
  const perText = line.per === 1 ? name : `${line.per} ${name}s`;
  const qty =
    line.meter === "image" || line.meter === "call"
      ? plural(line.outputs, "output")
      : `${line.quantity} ${meterUnit(line)} × ${plural(line.outputs, "output")}`;
  const formula = [String(line.price), String(line.units), ...line.factors.map((f) => f.multiplier)].join(" × ");
  return [
    ["Price", `${money(line.price)} per ${perText}`],
    ["Units", `${qty} = ${line.units}`],
    ...line.factors.map((f) => [`× ${f.multiplier}`, `${f.name} ${f.value}${f.defaulted ? " (default)" : ""}`]),
    ["Exact", `${formula}${line.per === 1 ? "" : ` ÷ ${line.per}`} = ${line.exact}`],
    ["Rounded", `${line.rounding.replace("_", " ")} → ${line.rounded}`],
    ["Minimum", `${money(line.minimum)} — ${line.minimumApplied ? "applied" : "not applied"}`],
    ["Amount", money(line.amount)],
  ];
}

function breakdownText(q) {
  return q.lines
    .map((line) => [line.product, ...lineSteps(line, q).map(([k, v]) => `${k}: ${v}`)].join("\n"))
    .concat(`Total: ${q.display}`)
    .join("\n\n");
}

function breakdownView(q) {
  const frag = document.createDocumentFragment();
  for (const line of q.lines) {
    const rows = lineSteps(line, q).map(([k, v], i, all) =>
      h("tr", { class: i === all.length - 1 ? "sum" : k.startsWith("×") ? "factor" : "" }, h("th", { scope: "row", text: k }), h("td", { text: v })),
    );
    frag.append(
      h("table", { class: "steps" }, h("caption", { text: `${line.product} · ${line.tier}` }), h("tbody", {}, rows)),
    );
  }
  frag.append(
    h(
      "p",
      { class: "muted small" },
      "Total ",
      h("strong", { text: q.display }),
      " · priced with ",
      h("code", { text: shortFingerprint(q.catalog.fingerprint), title: q.catalog.fingerprint }),
    ),
  );
  return frag;
}

// ---------------------------------------------------------------------------
// Live mode: the page served by `genprice serve --demo`. The demo routes play
// the studio backend's part (a session token, a generation that charges, runs
// and settles or releases); everything else is the real API.

async function api(path, { method = "GET", body, auth = false } = {}) {
  const send = async () => {
    const headers = { accept: "application/json" };
    if (body !== undefined) headers["content-type"] = "application/json";
    if (auth) headers.authorization = `Bearer ${live.token}`;
    const r = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    let json = null;
    try {
      json = await r.json();
    } catch {
      // no JSON body
    }
    return { status: r.status, body: json };
  };
  let answer = await send();
  if (auth && answer.status === 401) {
    await newSession(); // the 15-minute token ran out
    answer = await send();
  }
  return answer;
}

async function newSession() {
  const r = await api("/demo/session", { method: "POST", body: { account: live.account } });
  if (r.status !== 201) throw new Error(errorText(r));
  live.token = r.body.token;
}

function errorText(r) {
  const e = r.body && r.body.error;
  return e ? `${e.code}: ${e.message}` : `HTTP ${r.status}`;
}

async function startLive() {
  const aside = $("#account");
  aside.hidden = false;
  document.body.classList.add("live");
  const select = $("#account-select");
  select.value = live.account;
  select.addEventListener("change", async () => {
    live.account = select.value;
    hideProblem();
    try {
      await newSession();
      await refreshBalance();
    } catch (e) {
      showProblem({ code: "error", message: e.message });
    }
  });
  try {
    await newSession();
    await refreshBalance();
  } catch (e) {
    showProblem({ code: "error", message: `Could not open a demo session: ${e.message}` });
  }
  document.documentElement.dataset.ready = "true";
}

async function refreshBalance() {
  const account = live.account;
  const r = await api(`/v1/accounts/${encodeURIComponent(account)}/balance`, { auth: true });
  if (account !== live.account) return; // switched meanwhile
  const box = $("#balance");
  if (r.status !== 200) {
    box.replaceChildren(h("h2", { text: "Balance" }), h("p", { class: "error", text: errorText(r) }));
    return;
  }
  const b = r.body;
  const sources = b.sources.filter((s) => s.available > 0 || s.held > 0);
  box.replaceChildren(
    h("h2", { text: "Balance" }),
    h("p", { class: "available" }, h("strong", { id: "balance-available", text: display(b.available, catalog) }), " available"),
    b.held ? h("p", { class: "muted small", id: "balance-held", text: `${display(b.held, catalog)} held by running generations` }) : null,
    h(
      "ul",
      { class: "sources" },
      sources.length
        ? sources.map((s) =>
            h(
              "li",
              { "data-source": s.source },
              h("span", { text: capitalize(s.source) }),
              h("span", { text: units(s.available, catalog.decimals) + (s.held ? ` (+${units(s.held, catalog.decimals)} held)` : "") }),
            ),
          )
        : h("li", { class: "muted", text: "No credits." }),
    ),
    b.nextExpiry
      ? h("p", { class: "muted small", id: "balance-expiry", text: `${display(b.nextExpiry.amount, catalog)} expire ${when(b.nextExpiry.at)}` })
      : null,
  );
  box.dataset.account = account;
  box.dataset.available = String(b.available);
  box.dataset.held = String(b.held);
}

/** "at 00:00 today", "on 1 Dec, 00:00": when credits expire (the last usable ms is 1 before). */
function when(ms) {
  const d = new Date(ms);
  const time = d.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
  const same = d.toDateString() === new Date().toDateString();
  const tomorrow = d.toDateString() === new Date(Date.now() + 86_400_000).toDateString();
  if (same) return `at ${time} today`;
  if (tomorrow && time === "00:00") return "at midnight";
  return `on ${d.toLocaleDateString([], { day: "numeric", month: "short", year: "numeric" })}, ${time}`;
}

/**
 * Starts a generation through `POST /demo/generate` with the button's
 * request and total and the engine's fingerprint; returns the node's status.
 */
async function generate({ key, title, request, total, fail }) {
  hideProblem();
  const body = { account: live.account, request, expect: { total, fingerprint: catalog.fingerprint } };
  if (fail) body.fail = true;
  const r = await api("/demo/generate", { method: "POST", body });
  if (r.status === 201) {
    trackJob({ title, charge: r.body, account: live.account, fail });
    await refreshBalance();
    return `Started: ${display(r.body.amount, catalog)} held until it finishes.`;
  }
  const error = (r.body && r.body.error) || { code: "error", message: `HTTP ${r.status}` };
  if (error.code === "catalog_changed") {
    await reloadCatalog();
    const now = $(`#generate-${key}`);
    const msg = now && now.dataset.total
      ? `Prices changed on the server: this now costs ${display(Number(now.dataset.total), catalog)}. Press Generate again to confirm.`
      : "Prices changed on the server. Check the settings and press Generate again.";
    const status = $(`#${key}-status`);
    if (status) status.textContent = msg;
    return msg;
  }
  showProblem(error);
  return `Not started: ${error.code}.`;
}

/** The server's catalog changed: price with the new one from now on. */
async function reloadCatalog() {
  const served = await serverCatalog();
  if (!served) throw new Error("could not reload the catalog");
  engine = createEngineFn(served.catalog);
  catalog = engine.catalog();
  live.etag = served.etag;
  buildNodes();
  renderFooter(catalog);
}

/** Lists the generation and polls its charge until it is settled or released. */
function trackJob({ title, charge, account, fail }) {
  const label = h("span", { class: "job-state" });
  const item = h("li", { class: "job" }, h("strong", { text: title }), " ", label);
  item.dataset.charge = charge.id;
  item.dataset.account = account;
  const show = (c) => {
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
    const r = await api(`/v1/accounts/${encodeURIComponent(account)}/charges/${encodeURIComponent(charge.id)}`, { auth: account === live.account });
    if (r.status === 200 && r.body.status !== "pending") {
      show(r.body);
      if (account === live.account) await refreshBalance();
      item.dataset.done = "true"; // and the balance shows it
      return;
    }
    setTimeout(poll, 250);
  };
  setTimeout(poll, 250);
}

function showProblem(error) {
  const box = $("#problem");
  const parts = [h("h2", { text: problemTitle(error.code) }), h("p", { text: error.message })];
  if (error.code === "insufficient_credits") {
    parts.push(
      h(
        "dl",
        { class: "figures" },
        [
          ["Balance", error.balance],
        ["Cost", error.estimate],
          ["Short by", error.shortfall],
        ].filter(([, v]) => v !== undefined).flatMap(([k, v]) => [h("dt", { text: k }), h("dd", { text: display(v, catalog) })]),
      ),
    );
    if (error.packs?.length)
      parts.push(
        h("p", { class: "small", text: "Credit packs that cover it:" }),
        h("ul", {}, error.packs.map((p) => h("li", { text: `${p.quantity} × ${p.name} (${p.credits} credits): ${money(p.total, p.currency)}` }))),
      );
    if (error.plans?.length)
      parts.push(h("p", { class: "small", text: `Plans that cover it: ${error.plans.map((p) => p.name).join(", ")}.` }));
  } else if (error.code === "not_entitled") {
    parts.push(h("ul", {}, (error.denials || []).map((d) => h("li", { text: d.message }))));
    if (error.upgrade) parts.push(h("p", { class: "small", text: `${error.upgrade.name} allows it.` }));
  }
  box.replaceChildren(...parts);
  box.dataset.code = error.code;
  box.hidden = false;
}

function hideProblem() {
  const box = $("#problem");
  box.hidden = true;
  box.replaceChildren();
  delete box.dataset.code;
}

function problemTitle(code) {
  return code === "insufficient_credits" ? "Not enough credits" : code === "not_entitled" ? "Not in your plan" : `Could not generate (${code})`;
}

/** Minor units as money: 1999 USD → "19.99 USD". */
function money(minor, currency) {
  return `${units(minor, 2)} ${currency}`;
}
