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
try {
  const { createEngine } = await import("../pkg/index.js");
  engine = createEngine();
} catch (e) {
  showFatal(`Could not load the pricing engine: ${e && e.message ? e.message : e}${e && e.code ? ` (${e.code})` : ""}`);
}

if (engine) {
  const catalog = engine.catalog();
  for (const spec of NODES) buildNode(spec, catalog);
  renderFooter(catalog);
  $("#nodes").removeAttribute("aria-busy");
  document.documentElement.dataset.ready = "true";
}

function renderFooter(catalog) {
  const foot = $("#catalog-info");
  foot.replaceChildren(
    "Catalog ",
    h("strong", { text: catalog.id }),
    ` · version ${catalog.version} · `,
    h("code", { text: shortFingerprint(catalog.fingerprint), title: catalog.fingerprint }),
    ` · amounts in ${catalog.unit}, rounded ${catalog.rounding.replace("_", " ")}`,
  );
  foot.dataset.fingerprint = catalog.fingerprint;
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

  const form = h(
    "form",
    { class: "node-form", autocomplete: "off" },
    field("Model", model),
    controls,
    h("div", { class: "actions" }, button, error, details, status),
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
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    if (!lastQuote) return;
    status.textContent = `Would charge ${lastQuote.display} (priced with ${shortFingerprint(lastQuote.catalog.fingerprint)}). This page only prices; nothing is generated.`;
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
