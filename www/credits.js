// The Credits page: the ledger, paged (GET …/ledger?after=&limit=), usage
// charts by day and by studio (GET …/usage?by=), drawn with uPlot served
// from the repository's npm dependencies (/vendor/uplot/, no CDN), and a
// CSV export of the whole ledger. Every figure is the API's.
import { live } from "./live.js";
import { $, capitalize, day, display, h } from "./ui.js";

const PAGE = 20;
const DAY_MS = 86_400_000;
let cursors = [undefined]; // the `after` of each page seen, for "Previous"
let pageIndex = 0;
let plots = [];

/** Shows the Credits page for the current account from its first page. */
export async function showCredits() {
  cursors = [undefined];
  pageIndex = 0;
  const view = $("#view-credits");
  view.dataset.ready = "false";
  await Promise.all([loadPage(), drawCharts()]);
  view.dataset.ready = "true";
}

/** What an entry did, for people: kind, credits (+ in, − out), details. */
export function describe(entry, catalog) {
  const meta = entry.metadata ?? {};
  switch (entry.type) {
    case "refill":
      return { kind: `${capitalize(entry.grant.source)} credits`, credits: entry.grant.amount, detail: `${entry.allowance} · ${entry.period}` };
    case "grant":
      return { kind: `${capitalize(entry.grant.source)} grant`, credits: entry.grant.amount, detail: meta.summary ?? entry.grant.id };
    case "hold":
      return { kind: "Held", credits: -entry.amount, detail: [meta.product, meta.summary].filter(Boolean).join(" · ") || entry.hold };
    case "settle":
      return { kind: "Charged", credits: 0, detail: `${display(entry.amount, catalog)} of the hold · ${meta.product ?? entry.hold}` };
    case "release":
      return { kind: "Refunded", credits: (entry.lines ?? []).reduce((n, l) => n + (l.returned ?? 0), 0) || entry.amount || 0, detail: meta.product ?? entry.hold };
    case "expire":
      return { kind: "Expired", credits: 0, detail: entry.hold ?? "" };
    default:
      return { kind: entry.type, credits: 0, detail: "" };
  }
}

async function loadPage() {
  const account = live.account;
  const catalog = live.catalog();
  const page = await live.api.ledger(account, { after: cursors[pageIndex], limit: PAGE });
  if (cursors.length === pageIndex + 1) cursors.push(page.next ?? null);
  else cursors[pageIndex + 1] = page.next ?? null;
  const rows = page.entries.map((e) => {
    const d = describe(e, catalog);
    return h(
      "tr",
      { "data-seq": String(e.seq), "data-type": e.type },
      h("td", { text: String(e.seq) }),
      h("td", { text: new Date(e.at).toLocaleString() }),
      h("td", { text: d.kind }),
      h("td", { class: "num", text: d.credits ? `${d.credits > 0 ? "+" : "−"}${Math.abs(d.credits)}` : "" }),
      h("td", { text: d.detail }),
    );
  });
  $("#ledger tbody").replaceChildren(...(rows.length ? rows : [h("tr", {}, h("td", { colspan: "5", class: "muted", text: "No entries." }))]));
  $("#ledger-prev").disabled = pageIndex === 0;
  $("#ledger-next").disabled = page.next === null || page.next === undefined;
  $("#ledger-page").textContent = `Page ${pageIndex + 1}`;
  $("#ledger").dataset.page = String(pageIndex + 1);
}

async function drawCharts() {
  const account = live.account;
  const now = Date.now();
  const from = Math.floor(now / DAY_MS) * DAY_MS - 29 * DAY_MS;
  const [byDay, byStudio] = await Promise.all([
    live.api.usage(account, { from, to: now + 1, by: "day" }),
    live.api.usage(account, { from, to: now + 1, by: "studio" }),
  ]);
  const days = Array.from({ length: 30 }, (_, i) => from + i * DAY_MS);
  const spent = new Map(byDay.groups.map((g) => [g.key, g.credits]));
  const studios = byStudio.groups;
  for (const p of plots) p.destroy();
  plots = [];
  let uPlot = null;
  try {
    uPlot = (await import("/vendor/uplot/uPlot.esm.js")).default;
    if (!document.querySelector("link[data-uplot]")) {
      document.head.append(h("link", { rel: "stylesheet", href: "/vendor/uplot/uPlot.min.css", "data-uplot": "true" }));
    }
  } catch {
    uPlot = null; // the tables below still say it all
  }
  const dayBox = $("#chart-day .plot");
  const studioBox = $("#chart-studio .plot");
  dayBox.replaceChildren();
  studioBox.replaceChildren();
  const width = Math.max(260, Math.min(480, dayBox.clientWidth || 480));
  if (uPlot) {
    const bars = uPlot.paths.bars({ size: [0.7, 40] });
    plots.push(
      new uPlot(
        {
          width,
          height: 200,
          legend: { show: false },
          scales: { x: { time: true, range: () => [days[0] / 1000 - 43_200, days[days.length - 1] / 1000 + 43_200] }, y: { range: (_, min, max) => [0, Math.max(1, max)] } },
          series: [{}, { label: "credits", fill: "rgba(79,70,229,0.55)", stroke: "#4f46e5", paths: bars, points: { show: false } }],
          axes: [{ values: (_, ticks) => ticks.map((t) => day(t * 1000).slice(5)) }, {}],
        },
        [days.map((d) => d / 1000), days.map((d) => spent.get(day(d)) ?? 0)],
        dayBox,
      ),
    );
    plots.push(
      new uPlot(
        {
          width,
          height: 200,
          legend: { show: false },
          scales: { x: { time: false, range: () => [-0.5, Math.max(0.5, studios.length - 0.5)] }, y: { range: (_, min, max) => [0, Math.max(1, max)] } },
          series: [{}, { label: "credits", fill: "rgba(16,150,110,0.55)", stroke: "#10966e", paths: bars, points: { show: false } }],
          axes: [{ splits: () => studios.map((_, i) => i), values: (_, ticks) => ticks.map((t) => studios[t]?.key ?? "") }, {}],
        },
        [studios.map((_, i) => i), studios.map((g) => g.credits)],
        studioBox,
      ),
    );
  }
  dayBox.append(dataTable("Credits by day", [...spent.entries()].map(([k, v]) => [k, v]), "Day"));
  studioBox.append(dataTable("Credits by studio", studios.map((g) => [capitalize(g.key), g.credits]), "Studio"));
  $("#chart-day").dataset.total = String(byDay.total);
  $("#chart-studio").dataset.total = String(byStudio.total);
  $("#chart-studio").dataset.groups = studios.map((g) => g.key).join(",");
}

/** The chart's figures as a table, for screen readers and for reading exact numbers. */
function dataTable(caption, rows, keyName) {
  return h(
    "details",
    { class: "chart-data" },
    h("summary", { text: "Figures" }),
    h(
      "table",
      {},
      h("caption", { class: "sr-only", text: caption }),
      h("thead", {}, h("tr", {}, h("th", { scope: "col", text: keyName }), h("th", { scope: "col", text: "Credits" }))),
      h("tbody", {}, rows.length ? rows.map(([k, v]) => h("tr", {}, h("th", { scope: "row", text: k }), h("td", { class: "num", text: String(v) }))) : h("tr", {}, h("td", { colspan: "2", text: "Nothing spent yet." }))),
    ),
  );
}

/** The whole ledger as CSV text: one row per entry. */
export async function ledgerCsv() {
  const catalog = live.catalog();
  const quote = (v) => (/[",\n]/.test(String(v)) ? `"${String(v).replace(/"/g, '""')}"` : String(v));
  const lines = [["seq", "at", "time_utc", "type", "credits", "amount", "source", "hold", "product", "detail"].join(",")];
  for await (const e of live.api.entries(live.account)) {
    const d = describe(e, catalog);
    const amount = e.amount ?? e.grant?.amount ?? "";
    lines.push(
      [e.seq, e.at, new Date(e.at).toISOString(), e.type, d.credits, amount, e.grant?.source ?? "", e.hold ?? "", e.metadata?.product ?? "", d.detail].map(quote).join(","),
    );
  }
  return `${lines.join("\n")}\n`;
}

$("#ledger-next").addEventListener("click", async () => {
  pageIndex += 1;
  await loadPage();
});
$("#ledger-prev").addEventListener("click", async () => {
  pageIndex = Math.max(0, pageIndex - 1);
  await loadPage();
});
$("#ledger-csv").addEventListener("click", async () => {
  const text = await ledgerCsv();
  const url = URL.createObjectURL(new Blob([text], { type: "text/csv" }));
  const a = h("a", { href: url, download: `${live.account}-ledger.csv` });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
});
