// Small DOM and formatting helpers shared by the studio's views. No pricing
// here: amounts arrive as integers from the engine or the API and are only
// formatted (without floats).

/** The first element matching `sel` under `el`. */
export const $ = (sel, el = document) => el.querySelector(sel);

/** An element with attributes (`text`, `class`, `data-*`, `aria-*`, properties) and children. */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === "class") el.className = v;
    else if (k === "text") el.textContent = v;
    else if (k.startsWith("data-") || k === "for" || k === "role" || k.startsWith("aria-") || k === "scope" || k === "colspan") el.setAttribute(k, v);
    else el[k] = v;
  }
  for (const c of children.flat()) if (c !== null && c !== undefined && c !== false) el.append(c);
  return el;
}

/** Smallest units as a decimal string (`1250`, 2 → `12.50`), without floats. */
export function units(n, decimals) {
  if (!decimals) return String(n);
  const neg = n < 0;
  const s = String(Math.abs(n)).padStart(decimals + 1, "0");
  return `${neg ? "-" : ""}${s.slice(0, -decimals)}.${s.slice(-decimals)}`;
}

/** An amount as quotes display it: `"600 credits"`, `"1 credit"`, `"12.50 credits"`. */
export function display(n, catalog) {
  const one = n === 1 && !catalog.decimals && catalog.unitSingular;
  return `${units(n, catalog.decimals)} ${one ? catalog.unitSingular : catalog.unit}`;
}

/** Minor units of money: 1999 USD → "19.99 USD". */
export function money(minor, currency) {
  return `${units(minor, 2)} ${currency}`;
}

/** `sha256:0123abcd…ef01`. */
export function shortFingerprint(fp) {
  const [algo, hex = ""] = String(fp).split(":");
  return hex.length > 16 ? `${algo}:${hex.slice(0, 8)}…${hex.slice(-4)}` : String(fp);
}

/** `1 output`, `2 outputs`. */
export function plural(n, word) {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

/** `video` → `Video`. */
export function capitalize(s) {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

/** A labelled control. */
export function field(label, control, extra = null) {
  return h("div", { class: "field" }, h("label", { for: control.id, text: label }), control, extra);
}

/** "at midnight", "at 14:00 today", "on 1 Dec 2026, 00:00": when credits expire. */
export function when(ms) {
  const d = new Date(ms);
  const time = d.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
  const same = d.toDateString() === new Date().toDateString();
  const tomorrow = d.toDateString() === new Date(Date.now() + 86_400_000).toDateString();
  if (same) return `at ${time} today`;
  if (tomorrow && time === "00:00") return "at midnight";
  return `on ${d.toLocaleDateString([], { day: "numeric", month: "short", year: "numeric" })}, ${time}`;
}

/** A UTC day as `2026-11-26`. */
export function day(ms) {
  return new Date(ms).toISOString().slice(0, 10);
}
