// A claim's history: every revision with who, when, the reason and each field's before/after.

import { get, getAll } from "./api.js";
import { clear, h } from "./dom.js";
import * as fmt from "./format.js";

function show(v) {
  if (v === null || v === undefined) return "–";
  if (typeof v === "object") return JSON.stringify(v);
  return String(v);
}

export function changesTable(changes) {
  const rows = Object.entries(changes || {});
  if (!rows.length) return null;
  return h("table", { class: "changes" },
    h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Field"), h("th", { scope: "col" }, "Before"), h("th", { scope: "col" }, "After"))),
    h("tbody", {}, rows.map(([field, change]) => {
      const c = change && typeof change === "object" && ("before" in change || "after" in change) ? change : { before: null, after: change };
      return h("tr", {}, h("th", { scope: "row" }, field), h("td", {}, show(c.before)), h("td", {}, show(c.after)));
    })));
}

export function revisionItem(r) {
  return h("li", { class: "revision", dataset: { version: String(r.version) } },
    h("p", {}, h("strong", {}, `v${r.version} · ${r.action}`), ` by ${r.key_name} · `,
      h("time", { datetime: r.at }, fmt.instant(r.at, "minute"))),
    r.reason ? h("p", {}, "Reason: ", h("q", {}, r.reason)) : null,
    changesTable(r.changes));
}

export async function renderHistory(ctx, claimId) {
  const [claim, revisions] = await Promise.all([
    get(`/claims/${encodeURIComponent(claimId)}`),
    getAll(`/claims/${encodeURIComponent(claimId)}/revisions`),
  ]);
  if (ctx.stale()) return;
  document.title = "Claim history · Claimdesk board";
  clear(
    ctx.main,
    h("p", { class: "crumbs" }, h("a", { href: `#/incidents/${claim.incident_id}` }, "← Back to the incident")),
    h("h1", {}, "History of a claim"),
    h("blockquote", {}, claim.quote),
    h("p", { class: "muted" }, `Now version ${claim.version}, ${claim.status}`,
      claim.supersedes_id ? [" · replaces ", h("a", { href: `#/claims/${claim.supersedes_id}/history` }, "an earlier claim")] : null),
    h("ol", { class: "revisions" }, revisions.map(revisionItem)),
  );
  ctx.focus();
}
