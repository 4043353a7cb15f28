// The incident list: filters (contested, country, tag, q, near), cursor paging, contested
// badge and leading attribution.

import { auth, get, lookup } from "./api.js";
import { clear, h, uid } from "./dom.js";
import * as fmt from "./format.js";

const FILTERS = ["contested", "country", "tag", "q", "near"];

function field(label, input, hint) {
  const id = input.id || uid("f");
  input.id = id;
  const hintId = hint ? `${id}-hint` : null;
  if (hintId) input.setAttribute("aria-describedby", hintId);
  return h("div", { class: "field" }, h("label", { for: id }, label), input, hint ? h("small", { id: hintId }, hint) : null);
}

const plural = (n, word) => `${n} ${word}${n === 1 ? "" : "s"}`;

export async function renderList(ctx) {
  const { main, params } = ctx;
  const filters = Object.fromEntries(FILTERS.map((k) => [k, params.get(k) || ""]));
  const cursor = params.get("cursor") || "";
  const limit = Math.min(100, Math.max(1, Number(params.get("limit")) || 20));
  const back = params.getAll("back");

  const contested = h(
    "select",
    { name: "contested", id: "filter-contested" },
    h("option", { value: "" }, "any"),
    h("option", { value: "true" }, "contested only"),
    h("option", { value: "false" }, "not contested"),
  );
  contested.value = filters.contested;
  const form = h(
    "form",
    { class: "filters", role: "search", "aria-label": "Filter incidents" },
    field("Search", h("input", { type: "search", name: "q", id: "filter-q", value: filters.q, placeholder: "words in title or summary" })),
    field("Contested", contested),
    field("Country (ISO code)", h("input", { name: "country", id: "filter-country", value: filters.country, maxlength: "2", size: "3", placeholder: "IQ", autocapitalize: "characters" })),
    field("Tag", h("input", { name: "tag", id: "filter-tag", value: filters.tag, placeholder: "rocket-attack" })),
    field("Near (lat,lon,km)", h("input", { name: "near", id: "filter-near", value: filters.near, placeholder: "33.53,44.26,50", inputmode: "decimal" })),
    h("div", { class: "field buttons" },
      h("button", { type: "submit", class: "primary" }, "Filter"),
      h("button", { type: "button", onclick: () => (location.hash = "#/") }, "Clear")),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const next = new URLSearchParams();
    if (params.get("limit")) next.set("limit", params.get("limit"));
    for (const k of FILTERS) {
      const v = String(new FormData(form).get(k) || "").trim();
      if (v) next.set(k, k === "country" ? v.toUpperCase() : v);
    }
    location.hash = `#/?${next}`;
  });

  const results = h("div", { class: "results", "aria-busy": "true" }, h("p", { class: "loading" }, "Loading incidents…"));
  clear(main, h("h1", {}, "Incidents"), form, results);

  let page;
  try {
    [page] = await Promise.all([get("/incidents", { ...filters, cursor, limit }), auth.ready]);
  } catch (err) {
    if (err.status === 422 || err.status === 400) {
      const errors = (err.problem.errors || []).map((e) => `${e.parameter || e.pointer || ""}: ${e.detail}`);
      clear(results, h("p", { class: "error", role: "alert" }, err.message, errors.length ? ` (${errors.join("; ")})` : ""));
      results.removeAttribute("aria-busy");
      return;
    }
    throw err;
  }
  if (ctx.stale()) return;
  const leaders = await Promise.all(
    page.items.map((i) => (i.leading_actor_id ? lookup("actors", i.leading_actor_id) : null)),
  );
  if (ctx.stale()) return;

  const list = h("ul", { class: "incidents" });
  page.items.forEach((incident, n) => {
    const leader = leaders[n];
    list.append(
      h("li", { class: "incident-card", dataset: { id: incident.id } },
        h("h2", {}, h("a", { href: `#/incidents/${incident.id}` }, incident.title)),
        incident.contested ? h("span", { class: "badge contested" }, "contested") : null,
        h("p", { class: "meta" },
          h("span", {}, incident.place_name || "place unknown", incident.country ? ` (${incident.country})` : ""),
          h("span", {}, fmt.windowText(incident)),
          h("span", {}, `${plural(incident.claim_count, "claim")} · ${plural(incident.source_count, "source")}`)),
        leader ? h("p", { class: "leader" }, "Leading attribution: ", h("strong", {}, leader.name)) : null,
        incident.tags.length ? h("p", { class: "tags" }, incident.tags.map((t) => h("a", { class: "tag", href: `#/?tag=${encodeURIComponent(t)}` }, t))) : null,
      ),
    );
  });

  const nav = h("nav", { class: "pager", "aria-label": "Pages" });
  if (cursor) {
    const prev = new URLSearchParams(params);
    const before = back.slice(0, -1);
    prev.delete("back");
    prev.delete("cursor");
    if (back.length && back[back.length - 1]) prev.set("cursor", back[back.length - 1]);
    before.forEach((b) => prev.append("back", b));
    nav.append(h("a", { href: `#/?${prev}`, class: "button" }, "← Previous page"));
  }
  if (page.next_cursor) {
    const next = new URLSearchParams(params);
    next.append("back", cursor);
    next.set("cursor", page.next_cursor);
    nav.append(h("a", { href: `#/?${next}`, class: "button", rel: "next" }, "Next page →"));
  }
  clear(
    results,
    page.items.length ? list : h("p", {}, "No incident matches these filters."),
    nav.childElementCount ? nav : null,
  );
  results.removeAttribute("aria-busy");
  document.title = "Incidents · Claimdesk board";
  ctx.focus();
}
