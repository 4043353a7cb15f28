// Pieces shared by the incident page and the claim form.

import { get, getAll } from "./api.js";
import { h } from "./dom.js";
import * as fmt from "./format.js";

let topics = null;
export async function topicMeta() {
  if (!topics) {
    topics = getAll("/topics").then((items) => new Map(items.map((t) => [t.key, t]))).catch((err) => {
      topics = null;
      throw err;
    });
  }
  return topics;
}

export function topicTitle(meta, key) {
  const t = meta.get(key);
  return t && t.description ? t.description : key;
}

// A probability bar with its whole-percent label; the exact value is in data-probability.
export function bar(probability, percent, label) {
  const fill = h("span", { class: "fill" });
  fill.style.width = `${Math.max(0, Math.min(1, probability)) * 100}%`;
  return h(
    "div",
    { class: "prob", dataset: { probability: String(probability) } },
    h("span", { class: "track", "aria-hidden": "true" }, fill),
    h("span", { class: "pct" }, `${percent} %`, h("span", { class: "visually-hidden" }, ` probability ${label}`)),
  );
}

// Fields a view returns that this page does not know yet (the API grows): shown plainly
// rather than dropped, so new structure such as cross-topic explanations stays visible.
export function extras(obj, known, title = "More") {
  const rows = [];
  for (const [k, v] of Object.entries(obj || {})) {
    if (known.includes(k) || v === null || v === undefined) continue;
    if (Array.isArray(v) && v.length === 0) continue;
    if (typeof v === "object" && !Array.isArray(v) && Object.keys(v).length === 0) continue;
    rows.push(h("dt", {}, k.replaceAll("_", " ")), h("dd", {}, plain(v)));
  }
  return rows.length ? h("dl", { class: "extras", "aria-label": title }, rows) : null;
}

function plain(v) {
  if (Array.isArray(v)) return h("ul", {}, v.map((x) => h("li", {}, plain(x))));
  if (v && typeof v === "object") {
    if (typeof v.name === "string" && Object.keys(v).length <= 4) return v.name;
    if (typeof v.label === "string" && Object.keys(v).length <= 3) return v.label;
    return h("dl", { class: "extras nested" }, Object.entries(v).filter(([, x]) => x !== null && x !== undefined).map(([k, x]) => [h("dt", {}, k.replaceAll("_", " ")), h("dd", {}, plain(x))]));
  }
  if (typeof v === "number") return Number.isInteger(v) ? String(v) : fmt.decimal(v, 3);
  return String(v);
}

export function problemList(err) {
  const errors = (err.problem && err.problem.errors) || [];
  if (!errors.length) return null;
  return h("ul", {}, errors.map((e) => h("li", {}, `${e.pointer || e.parameter || ""} ${e.detail}`.trim())));
}

export { get };
