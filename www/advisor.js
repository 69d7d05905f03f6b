// The plan advisor: a usage mix (what, how many, per day, week or month,
// on how many workdays) given to the estimator of the full engine
// (`engine.estimate`, genprice/wallet): credits a month, the buffer, every
// plan option with what it provides and would waste, and the recommendation
// with its reason. The estimator decides; this page only asks and shows.
import { $, display, field, h, money } from "./ui.js";

let rows = 0;

function productSelect(id, catalog, value) {
  return h(
    "select",
    { id, name: "product" },
    catalog.products.map((p) => h("option", { value: p.id, text: `${p.name} (${p.studio})`, selected: p.id === value })),
  );
}

function addRow(catalog, { product, count, per, workdays }) {
  const n = ++rows;
  const remove = h("button", { type: "button", class: "secondary small-button", text: "Remove", "aria-label": `Remove line ${n}` });
  const row = h(
    "fieldset",
    { class: "mix-row", "data-row": String(n) },
    h("legend", { text: `Line ${n}` }),
    field("Make", productSelect(`mix-${n}-product`, catalog, product)),
    field("How many", h("input", { type: "number", id: `mix-${n}-count`, name: "count", min: 0, step: 1, value: count, required: true })),
    field("Per", h("select", { id: `mix-${n}-per`, name: "per" }, ["day", "week", "month"].map((p) => h("option", { value: p, text: p, selected: p === per })))),
    field("Workdays a month", h("input", { type: "number", id: `mix-${n}-workdays`, name: "workdays", min: 1, max: 31, step: 1, value: workdays ?? "", placeholder: "every day" })),
    remove,
  );
  remove.addEventListener("click", () => row.remove());
  $("#mix-rows").append(row);
}

/** The usage mix the form describes. */
function mix() {
  const usage = [...document.querySelectorAll(".mix-row")].map((row) => {
    const line = {
      request: { product: row.querySelector("[name=product]").value },
      per: row.querySelector("[name=per]").value,
      count: Number(row.querySelector("[name=count]").value),
    };
    const workdays = row.querySelector("[name=workdays]").value;
    if (workdays !== "") line.workdays = Number(workdays);
    return line;
  });
  return { usage, bufferPercent: Number($("#mix-buffer").value) };
}

function render(estimate, catalog) {
  const box = $("#advice");
  const c = (n) => display(n, catalog);
  const rec = estimate.recommendation;
  const table = h(
    "table",
    { class: "options", id: "advice-options" },
    h("caption", { text: "Every plan option" }),
    h(
      "thead",
      {},
      h("tr", {}, ["Plan", "Billing", "Price a month", "Credits a month", "Would waste", "Fits"].map((t) => h("th", { scope: "col", text: t }))),
    ),
    h(
      "tbody",
      {},
      estimate.options.map((o, i) =>
        h(
          "tr",
          { "data-plan": o.plan, "data-cycle": o.cycle, class: rec && rec.option === i ? "picked" : "" },
          h("th", { scope: "row", text: o.name }),
          h("td", { text: o.cycle }),
          h("td", { class: "num", text: money(o.pricePerMonth, o.currency) }),
          h("td", { class: "num", text: String(o.creditsProvided) }),
          h("td", { class: "num", "data-wasted": String(o.wastedCredits), text: String(o.wastedCredits) }),
          h("td", { text: !o.allowed ? `no: ${o.denials.map((d) => d.message).join("; ")}` : o.covers ? "yes" : `short by ${o.uncoveredCredits}` }),
        ),
      ),
    ),
  );
  box.replaceChildren(
    h(
      "dl",
      { class: "figures", id: "advice-figures" },
      h("dt", { text: "Credits a month" }),
      h("dd", { "data-figure": "per-month", text: c(estimate.creditsPerMonth) }),
      h("dt", { text: "Buffer" }),
      h("dd", { "data-figure": "buffer", text: `${estimate.bufferPercent} %` }),
      h("dt", { text: "To plan for" }),
      h("dd", { "data-figure": "needed", text: c(estimate.creditsNeeded) }),
    ),
    rec
      ? h(
          "p",
          { class: "recommendation", id: "advice-pick", "data-plan": rec.plan },
          h("strong", { text: `Recommended: ${rec.name}${rec.cycle ? ` (${rec.cycle})` : ""}` }),
          rec.pricePerMonth !== null ? ` · ${money(rec.pricePerMonth, rec.currency)} a month` : "",
          h("br"),
          rec.why,
        )
      : h("p", { class: "recommendation", id: "advice-pick", text: estimate.reason ?? "No plan covers this mix." }),
    h("div", { class: "table-wrap", tabIndex: 0, role: "region", "aria-label": "Plan options" }, table),
  );
  box.dataset.ready = "true";
}

function run() {
  const catalog = studio.catalog();
  const box = $("#advice");
  try {
    render(studio.full().estimate(mix()), catalog);
  } catch (e) {
    box.replaceChildren(h("p", { class: "error", role: "alert", text: `${e.code ?? "error"}: ${e.message}` }));
    box.dataset.ready = "true";
  }
}

let studio = null;

/**
 * Builds the form once, with `env`: `catalog()`, `full()` (the full
 * engine) and `ensureFull()` (loads it).
 */
export async function showAdvisor(env) {
  studio = env;
  const form = $("#advisor");
  if (form.dataset.built) return;
  await env.ensureFull();
  const catalog = studio.catalog();
  const first = (studioName) => catalog.products.find((p) => p.studio === studioName && p.price > 0)?.id ?? catalog.products[0].id;
  form.replaceChildren(
    h("div", { id: "mix-rows" }),
    h(
      "div",
      { class: "mix-actions" },
      h("button", { type: "button", class: "secondary", id: "mix-add", text: "Add a line" }),
      field("Buffer %", h("input", { type: "number", id: "mix-buffer", min: 0, max: 100, step: 1, value: 20 })),
      h("button", { type: "submit", class: "primary", id: "mix-estimate", text: "Estimate" }),
    ),
  );
  addRow(catalog, { product: first("image"), count: 20, per: "day", workdays: 22 });
  addRow(catalog, { product: first("video"), count: 5, per: "week" });
  $("#mix-add").addEventListener("click", () => addRow(catalog, { product: first("image"), count: 1, per: "day" }));
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    run();
  });
  form.dataset.built = "true";
  run();
}
