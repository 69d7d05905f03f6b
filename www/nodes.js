// The studio's nodes: one per studio in the catalog (image, video, edit,
// music, voice, text), built from `engine.catalog()`. Each has its model,
// resolution, quantity (seconds, characters, tokens, megapixels) or output
// count, and options; a Generate button with the live cost; a breakdown on
// demand. While a slider or the output count moves, the button asks a
// pricer (`engine.pricer(base).total`, the numeric fast path); when it
// settles, and for any other control, the explained `engine.quote` fills
// the button and the breakdown. With a plan known (live mode), what the
// plan does not allow is marked locked with the cheapest plan that allows
// it (the full engine's `entitlement` answer); choosing it asks `ctx.locked`.
import { $, capitalize, display, field, h, plural, shortFingerprint, units } from "./ui.js";

/** The order studios are shown in; any other studio of the catalog after them. */
const ORDER = ["image", "video", "edit", "music", "voice", "text"];
const BLURB = {
  image: "Still images, priced per output.",
  video: "Clips, priced per second.",
  edit: "Edit tools, priced per operation or megapixel.",
  music: "Tracks, priced per second of audio.",
  voice: "Speech, priced per character.",
  text: "Drafts, priced per token.",
};

/** The request field that carries each meter's quantity (image/call have none). */
const METER_FIELD = { second: "seconds", character: "characters", token: "tokens", megapixel: "megapixels" };
const METER_NAME = { second: "second", image: "image", character: "character", token: "token", megapixel: "megapixel", call: "call" };
const METER_UNIT = { second: "s", image: "image", character: "chars", token: "tokens", megapixel: "MP", call: "call" };

/** The catalog's studios, in display order. */
export function studios(catalog) {
  const present = [...new Set(catalog.products.map((p) => p.studio))];
  return [...ORDER.filter((s) => present.includes(s)), ...present.filter((s) => !ORDER.includes(s))];
}

/**
 * Builds every node into `container`. `ctx`: `engine()` and `catalog()`
 * (current ones), `live` (generation possible), `gate(request)` (the
 * plan's entitlement, or null when no plan is known), `locked(entitlement,
 * key)` (a locked choice was made), `generate({key, title, request, total,
 * fail})` (returns the status text).
 */
export function buildNodes(container, ctx) {
  const nodes = studios(ctx.catalog()).map((key) => {
    const section = h("section", { class: "node", id: `node-${key}`, "data-studio": key, "aria-labelledby": `${key}-title` });
    container.append(section);
    return buildNode(section, key, ctx);
  });
  return nodes;
}

function buildNode(section, key, ctx) {
  const catalog = ctx.catalog();
  const engine = ctx.engine();
  const title = capitalize(key);
  const products = catalog.products.filter((p) => p.studio === key);

  const model = h(
    "select",
    { id: `${key}-model`, name: "product" },
    products.map((p) => h("option", { value: p.id, text: `${p.name} · ${p.tier}` })),
  );
  model.value = pickModel(products, ctx);
  const controls = h("div", { class: "controls", id: `${key}-controls` });
  const button = h("button", { type: "submit", id: `generate-${key}`, class: "generate", text: "Generate" });
  const lock = h("p", { class: "lock", id: `${key}-lock`, hidden: true });
  const error = h("p", { class: "error", id: `${key}-error`, role: "alert", hidden: true });
  const body = h("div", { class: "breakdown-body", id: `${key}-breakdown` });
  const details = h("details", { class: "breakdown" }, h("summary", { text: "How this is priced" }), body);
  const status = h("p", { class: "status", id: `${key}-status`, "aria-live": "polite" });
  const fail = ctx.live ? h("input", { type: "checkbox", id: `${key}-fail`, name: "fail" }) : null;
  const failSwitch = ctx.live ? h("label", { class: "fail", for: fail.id }, fail, " Simulate failure") : null;

  const form = h(
    "form",
    { class: "node-form", autocomplete: "off", "aria-label": `${title} generation` },
    field("Model", model),
    controls,
    h("div", { class: "actions" }, failSwitch, button, lock, error, details, status),
  );
  section.replaceChildren(
    h("header", { class: "node-head" }, h("h2", { id: `${key}-title`, text: title }), h("p", { class: "muted", text: BLURB[key] ?? `${title} generations.` })),
    form,
  );

  const product = () => products.find((p) => p.id === model.value);
  let lastQuote = null;
  let entitlement = null;

  function rebuildControls() {
    const p = product();
    const parts = [];
    const ladder = catalog.resolutions?.[p.studio] ?? [];
    const rank = (name) => (ladder.includes(name) ? ladder.indexOf(name) : ladder.length);
    const resolutions = Object.entries(p.resolutions || {}).sort(([a], [b]) => rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0));
    if (resolutions.length) {
      parts.push(
        field(
          "Resolution",
          h(
            "select",
            { id: `${key}-resolution`, name: "resolution" },
            resolutions.map(([name, mult]) => h("option", { value: name, text: `${name}  (×${mult})`, selected: name === p.defaultResolution })),
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
      const range = h("input", { type: "range", id: `${key}-${fieldName}`, name: fieldName, min, max, step: 1, value });
      range.dataset.field = fieldName;
      range.addEventListener("input", () => (out.textContent = `${range.value} ${unit}`));
      const limit = h("p", { class: "range-lock", id: `${key}-${fieldName}-lock`, hidden: true });
      range.dataset.unit = unit;
      parts.push(
        h(
          "div",
          { class: "field" },
          h("label", { for: range.id }, h("span", { text: capitalize(fieldName) }), out),
          h("div", { class: "range" }, h("span", { class: "bound", text: String(min) }), range, h("span", { class: "bound", text: String(max) })),
          limit,
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
          Array.from({ length: maxOutputs }, (_, i) => h("option", { value: String(i + 1), text: String(i + 1), selected: i + 1 === (p.outputs?.default ?? 1) })),
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
    for (const sel of [model, ...controls.querySelectorAll("select")]) {
      for (const o of sel.options) o.dataset.label = o.textContent;
    }
    fitToPlan();
  }

  /** Moves each setting the plan denies to the highest value it allows, when there is one (a sensible start). */
  function fitToPlan() {
    if (!ctx.gate(request())) return;
    for (const sel of controls.querySelectorAll("select")) {
      if (ctx.gate(request())?.allowed) return;
      const keep = sel.value;
      const ok = [...sel.options].reverse().find((o) => ((sel.value = o.value), ctx.gate(request())?.allowed));
      sel.value = ok ? ok.value : keep;
    }
    const range = controls.querySelector("input[type=range]");
    while (range && !ctx.gate(request())?.allowed && Number(range.value) > Number(range.min)) {
      range.value = String(Number(range.value) - 1);
      range.dispatchEvent(new Event("input"));
    }
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

  /**
   * Marks each choice the plan denies (with the other settings as they
   * are): a value is locked when the plan denies the request at that
   * value's own field (`product` for a tier, `resolution`, `outputs`,
   * `options.NAME`), with the cheapest plan that allows it.
   */
  function markLocks() {
    const base = request();
    if (!ctx.gate(base)) return;
    const variants = [[model, "product", (v) => ({ ...base, product: v })]];
    for (const sel of controls.querySelectorAll("select")) {
      if (sel.id === `${key}-resolution`) variants.push([sel, "resolution", (v) => ({ ...base, resolution: v })]);
      else if (sel.id === `${key}-outputs`) variants.push([sel, "outputs", (v) => ({ ...base, outputs: Number(v) })]);
      else if (sel.dataset.option) variants.push([sel, `options.${sel.dataset.option}`, (v) => ({ ...base, options: { ...base.options, [sel.dataset.option]: v } })]);
    }
    markRange(base);
    for (const [sel, path, make] of variants) {
      for (const o of sel.options) {
        // Another product has other settings: its own defaults decide.
        const e = ctx.gate(path === "product" ? { product: o.value } : make(o.value));
        const denied = e && !e.allowed && e.denials.some((d) => d.path === path);
        o.textContent = denied ? `${o.dataset.label} (needs ${e.upgrade?.name ?? "another plan"})` : o.dataset.label;
        if (denied) o.dataset.locked = e.upgrade?.id ?? "";
        else delete o.dataset.locked;
      }
    }
  }

  /**
   * The slider's plan limit: the highest quantity the plan allows with the
   * other settings (found by asking the entitlement, bisecting), shown
   * under it with the plan that allows more.
   */
  function markRange(base) {
    const range = controls.querySelector("input[type=range]");
    if (!range) return;
    const limit = $(`#${range.id}-lock`, controls);
    const path = range.dataset.field;
    const denial = (v) => {
      const e = ctx.gate({ ...base, [path]: v });
      return e && !e.allowed && e.denials.some((d) => d.path === path) ? e : null;
    };
    const min = Number(range.min);
    const top = denial(Number(range.max));
    if (!top) {
      limit.hidden = true;
      delete range.dataset.allowedMax;
      return;
    }
    let lo = min - 1; // the highest value known allowed (min - 1: none)
    let hi = Number(range.max); // the lowest value known denied
    while (hi - lo > 1) {
      const mid = Math.floor((lo + hi) / 2);
      if (denial(mid)) hi = mid;
      else lo = mid;
    }
    const upgrade = top.upgrade?.name ?? "another plan";
    limit.textContent = lo >= min ? `Your plan allows up to ${lo} ${range.dataset.unit}; more needs ${upgrade}.` : `Locked: needs ${upgrade}.`;
    range.dataset.allowedMax = String(lo);
    limit.hidden = false;
  }

  let pricer = null;
  function repricer() {
    const { product: id, resolution, options } = request();
    try {
      pricer = ctx.engine().pricer({ product: id, resolution, options });
    } catch {
      pricer = null; // the explained quote shows why
    }
  }

  function showCost(total) {
    const locked = entitlement && !entitlement.allowed;
    button.replaceChildren(locked ? "Unlock" : "Generate", h("span", { class: "cost", text: ` · ${display(total, ctx.catalog())}` }));
    button.dataset.total = String(total);
    button.dataset.locked = locked ? "true" : "false";
  }

  function showLock() {
    entitlement = ctx.gate(request());
    if (entitlement && !entitlement.allowed) {
      lock.replaceChildren(
        h("strong", { text: "Locked on your plan: " }),
        entitlement.denials.map((d) => d.message).join("; "),
        entitlement.upgrade ? ` — ${entitlement.upgrade.name} allows it.` : ".",
      );
      lock.hidden = false;
    } else {
      lock.hidden = true;
      lock.replaceChildren();
    }
  }

  /** The fast path while a slider or the output count moves: the total only. */
  function preview() {
    const req = request();
    const range = controls.querySelector("input[type=range]");
    if (!pricer || !lastQuote) return update();
    let total;
    try {
      total = pricer.total(range ? req[range.dataset.field] : null, req.outputs ?? 1);
    } catch {
      return update();
    }
    button.dataset.request = JSON.stringify(req);
    showCost(total);
  }

  function update() {
    const req = request();
    button.dataset.request = JSON.stringify(req);
    markLocks();
    showLock();
    try {
      const q = ctx.engine().quote(req);
      lastQuote = q;
      button.disabled = false;
      showCost(q.total);
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
      error.replaceChildren(h("strong", { text: code }), ` ${e && e.message ? e.message : String(e)}`, e && e.path ? h("span", { class: "muted", text: ` (at ${e.path})` }) : "");
      error.dataset.code = code;
      error.hidden = false;
      details.hidden = true;
    }
  }

  /** A locked choice was made (not while a slider is dragged): the upgrade modal. */
  function askIfLocked() {
    if (entitlement && !entitlement.allowed) ctx.locked(entitlement, key);
  }

  const moves = (el) => el.type === "range" || el.id === `${key}-outputs`;
  model.addEventListener("change", () => {
    rebuildControls();
    repricer();
    update();
    status.textContent = "";
    askIfLocked();
  });
  form.addEventListener("input", (e) => {
    if (e.target === model || e.target === fail) return;
    if (moves(e.target)) preview();
    else {
      repricer();
      update();
    }
  });
  form.addEventListener("change", (e) => {
    if (e.target === model || e.target === fail) return;
    update();
    askIfLocked();
  });
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    if (!lastQuote) return;
    if (entitlement && !entitlement.allowed) return ctx.locked(entitlement, key);
    if (!ctx.live) {
      status.textContent = `Would charge ${lastQuote.display} (priced with ${shortFingerprint(lastQuote.catalog.fingerprint)}). This page only prices; nothing is generated.`;
      return;
    }
    const req = JSON.parse(button.dataset.request);
    const total = Number(button.dataset.total);
    button.disabled = true;
    status.textContent = "Starting…";
    try {
      status.textContent = await ctx.generate({ key, title, request: req, total, fail: fail.checked });
    } catch (err) {
      status.textContent = `Could not start the generation: ${err && err.message ? err.message : err}`;
    } finally {
      button.disabled = !lastQuote;
    }
  });

  rebuildControls();
  repricer();
  update();
  return { key, request, update };
}

/**
 * The most capable model the plan allows with its defaults: the highest
 * tier (the catalog's `tiers`, cheapest first) among the allowed, paid ones,
 * else any allowed one, else the first (it shows locked).
 */
function pickModel(products, ctx) {
  const defaults = (p) => {
    const field = METER_FIELD[p.meter];
    return field && p.quantity ? { product: p.id, [field]: p.quantity.default ?? p.quantity.min } : { product: p.id };
  };
  if (!ctx.gate(defaults(products[0]))) return products[0].id; // no plan known
  const tiers = ctx.catalog().tiers ?? [];
  const allowed = products.filter((p) => ctx.gate(defaults(p))?.allowed === true);
  const paid = allowed.filter((p) => p.price > 0).sort((a, b) => tiers.indexOf(b.tier) - tiers.indexOf(a.tier));
  return (paid[0] ?? allowed[0] ?? products[0]).id;
}

function lineSteps(line, q) {
  const money = (n) => `${units(n, q.decimals)} ${q.unit}`;
  const name = METER_NAME[line.meter] || line.meter;
  const perText = line.per === 1 ? name : `${line.per} ${name}s`;
  const unit = METER_UNIT[line.meter] || line.meter;
  const qty = line.meter === "image" || line.meter === "call" ? plural(line.outputs, "output") : `${line.quantity} ${unit} × ${plural(line.outputs, "output")}`;
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
    frag.append(h("table", { class: "steps" }, h("caption", { text: `${line.product} · ${line.tier}` }), h("tbody", {}, rows)));
  }
  frag.append(
    h("p", { class: "muted small" }, "Total ", h("strong", { text: q.display }), " · priced with ", h("code", { text: shortFingerprint(q.catalog.fingerprint), title: q.catalog.fingerprint })),
  );
  return frag;
}
