// The claim form for editors: create, correct (PATCH with If-Match; a 412 shows the other
// edit and lets the editor reapply), and supersede with a reason.

import { api, ApiError, auth, get, getAll, lookup } from "./api.js";
import { announce, clear, debounce, h, uid } from "./dom.js";
import * as fmt from "./format.js";
import { problemList, topicMeta } from "./common.js";
import { changesTable, revisionItem } from "./history.js";

const BOUNDS = ["exact", "at_least", "more_than", "at_most", "fewer_than", "approximately", "range", "none_reported", "unknown"];
const PRECISIONS = ["minute", "hour", "time_of_day", "day", "week", "month", "year"];
const LINK_KINDS = ["original", "archive", "screenshot", "mirror", "related"];

function field(label, control, hint) {
  control.id = control.id || uid("f");
  const hintId = hint ? `${control.id}-hint` : null;
  if (hintId) control.setAttribute("aria-describedby", hintId);
  return h("div", { class: "field" }, h("label", { for: control.id }, label), control, hint ? h("small", { id: hintId }, hint) : null);
}

function select(name, options, value) {
  const el = h("select", { name }, options.map((o) => h("option", { value: o }, o.replaceAll("_", " "))));
  if (value !== undefined && value !== null) el.value = value;
  return el;
}

// A search-as-you-type picker over /v1/sources or /v1/actors (name prefix).
function picker(kind, label, initial, optional) {
  const id = uid("pick");
  const input = h("input", { type: "search", id, autocomplete: "off", placeholder: "type the first letters of a name" });
  const results = h("ul", { class: "picker-results", "aria-label": `${label}: matches` });
  const picked = h("p", { class: "picked", "aria-live": "polite" });
  let chosen = initial || null;
  function show() {
    clear(picked, chosen ? ["Chosen: ", h("strong", {}, chosen.name)] : optional ? "None chosen." : "Nothing chosen yet.",
      chosen && optional ? [" ", h("button", { type: "button", class: "small", onclick: () => { chosen = null; show(); } }, "Clear")] : null);
  }
  const search = debounce(async () => {
    const text = input.value.trim();
    if (!text) return clear(results);
    try {
      const page = await get(`/${kind}`, { name_prefix: text, limit: 8 });
      clear(results, page.items.length
        ? page.items.map((item) => h("li", {}, h("button", {
            type: "button",
            onclick: () => { chosen = { id: item.id, name: item.name }; clear(results); input.value = ""; show(); },
          }, item.name, item.country ? ` (${item.country})` : "", item.kind ? h("span", { class: "muted" }, ` · ${item.kind.replaceAll("_", " ")}`) : null)))
        : h("li", { class: "muted" }, "No match."));
    } catch (err) {
      clear(results, h("li", { class: "error" }, err.message));
    }
  }, 200);
  input.addEventListener("input", search);
  show();
  return {
    element: h("div", { class: "field picker" }, h("label", { for: id }, label), input, results, picked),
    get value() { return chosen; },
    set(value) { chosen = value; show(); },
  };
}

function parseQualifiers(text) {
  const out = {};
  for (const part of text.split(",").map((p) => p.trim()).filter(Boolean)) {
    const [k, ...v] = part.split("=");
    out[k.trim()] = v.join("=").trim();
  }
  return out;
}

function linkRow(link = {}) {
  const url = h("input", { type: "url", name: "link-url", value: link.url || "", placeholder: "https://…" });
  const kind = select("link-kind", LINK_KINDS, link.kind || "original");
  const row = h("div", { class: "link-row" },
    field("Link URL", url),
    field("Kind", kind),
    h("button", { type: "button", class: "small", onclick: () => row.remove() }, "Remove link"));
  row.read = () => (url.value.trim() ? { url: url.value.trim(), kind: kind.value, ...(link.title ? { title: link.title } : {}) } : null);
  return row;
}

export async function renderClaimForm(ctx, opts) {
  const { main } = ctx;
  await auth.ready;
  if (!auth.canEdit) {
    clear(main, h("h1", {}, "Editors only"), h("p", {}, "Sign in with an editor key to record or correct claims."));
    ctx.focus();
    return;
  }
  const meta = await topicMeta();
  let claim = null;
  let etag = null;
  if (opts.mode !== "create") {
    const res = await api(`/claims/${encodeURIComponent(opts.claimId)}`);
    claim = res.data;
    etag = res.etag;
  }
  if (ctx.stale()) return;
  const incidentId = claim ? claim.incident_id : opts.incidentId;
  const [source, via] = await Promise.all([
    claim ? lookup("sources", claim.source_id) : null,
    claim && claim.via_source_id ? lookup("sources", claim.via_source_id) : null,
  ]);
  const actor = claim && claim.value.kind === "actor" ? await lookup("actors", claim.value.actor_id) : null;

  const title = { create: "Record a claim", edit: "Correct a claim", supersede: "Supersede a claim" }[opts.mode];
  const topics = [...meta.values()];
  const topic = select("topic", topics.map((t) => t.key), claim ? claim.topic : "casualties.killed");
  const sourcePick = picker("sources", "Source (who said it)", source && { id: source.id, name: source.name }, false);
  const viaPick = picker("sources", "Carried by (outlet, if different)", via && { id: via.id, name: via.name }, true);
  const speaker = h("input", { name: "speaker", value: claim ? claim.speaker || "" : "" });
  const saidAt = h("input", { type: "datetime-local", name: "said_at", value: fmt.toInputUtc(claim ? claim.said_at : new Date().toISOString()) });
  const precision = select("said_at_precision", PRECISIONS, claim ? claim.said_at_precision : "minute");
  const quote = h("textarea", { name: "quote", rows: "3", required: true }, claim ? claim.quote : "");
  const language = h("input", { name: "language", value: claim ? claim.language : "en", size: "6" });
  const qualifiers = h("input", { name: "qualifiers", value: claim ? Object.entries(claim.qualifiers).map(([k, v]) => `${k}=${v}`).join(", ") : "", placeholder: "nationality=US" });
  const stance = select("stance", ["asserts", "denies"], claim ? claim.stance : "asserts");
  const confidence = h("input", { type: "number", name: "confidence", min: "0", max: "1", step: "0.05", value: String(claim ? claim.confidence : 0.8) });
  const notes = h("textarea", { name: "notes", rows: "2" }, claim ? claim.notes || "" : "");
  const tags = h("input", { name: "tags", value: claim ? claim.tags.join(", ") : "" });
  const reason = opts.mode === "supersede" ? h("textarea", { name: "reason", rows: "2", required: true }) : null;

  // the value: its inputs follow the topic's kind
  const phrase = h("input", { name: "phrase", autocomplete: "off", placeholder: "nearly a dozen, more than 15, two Americans and one Briton" });
  const parsed = h("output", { class: "parsed", "aria-live": "polite" });
  const v = claim && claim.value.kind === "quantity" ? claim.value : {};
  const bound = select("bound", BOUNDS, v.bound || "exact");
  const num = (name, x) => h("input", { type: "number", name, min: "0", step: "any", value: x === null || x === undefined ? "" : String(x) });
  const low = num("low", v.low);
  const best = num("best", v.best);
  const high = num("high", v.high);
  const category = h("input", { name: "category", value: claim && claim.value.kind === "category" ? claim.value.category : "" });
  const statement = h("textarea", { name: "statement", rows: "2" }, claim && claim.value.kind === "statement" ? claim.value.text || "" : "");
  const actorPick = picker("actors", "Actor held responsible", actor && { id: actor.id, name: actor.name }, false);
  const valueBox = h("fieldset", {}, h("legend", {}, "Value"));

  const runParse = debounce(async () => {
    const text = phrase.value.trim();
    if (!text) return clear(parsed);
    try {
      const { data } = await api("/quantities/parse", { method: "POST", body: { text } });
      const i = data.effective_interval;
      const range = i.high === null ? `${i.low} or more` : i.low === i.high ? `${i.low}` : `${i.low}–${i.high}`;
      parsed.className = "parsed";
      parsed.textContent = `≈ ${range} (${fmt.quantity(data.value)})${data.parts.length ? ` · parts: ${data.parts.map((p) => `${fmt.quantity(p.value)} ${fmt.qualifiers(p.qualifiers)}`).join("; ")}` : ""}`;
      bound.value = data.value.bound;
      low.value = data.value.low ?? "";
      best.value = data.value.best ?? "";
      high.value = data.value.high ?? "";
    } catch (err) {
      parsed.className = "parsed bad";
      parsed.textContent = err.message;
    }
  }, 250);
  phrase.addEventListener("input", runParse);

  function drawValue() {
    const kind = (meta.get(topic.value) || {}).kind || "statement";
    clear(valueBox, h("legend", {}, `Value (${kind})`));
    if (kind === "quantity") {
      valueBox.append(
        field("Say it in words", phrase, "read as you type; the numbers below can be overridden"),
        parsed,
        h("div", { class: "grid2" }, field("Bound", bound), field("Low", low), field("Best", best), field("High", high)),
      );
    } else if (kind === "category") valueBox.append(field("Category", category));
    else if (kind === "actor") valueBox.append(actorPick.element);
    else valueBox.append(field("Statement", statement));
  }
  topic.addEventListener("change", drawValue);
  drawValue();

  function readValue() {
    const kind = (meta.get(topic.value) || {}).kind || "statement";
    if (kind === "quantity") {
      const n = (el) => (el.value === "" ? undefined : Number(el.value));
      return { kind, bound: bound.value, low: n(low), best: n(best), high: n(high) };
    }
    if (kind === "category") return { kind, category: category.value };
    if (kind === "actor") return { kind, actor_id: actorPick.value ? actorPick.value.id : "" };
    return { kind, text: statement.value || null };
  }

  const links = h("div", { class: "links-box" }, (claim ? claim.links : [{}]).map(linkRow));
  const errors = h("div", { class: "error", role: "alert" });
  const conflictBox = h("div", { "aria-live": "polite" });

  function body() {
    const b = {
      topic: topic.value,
      source_id: sourcePick.value ? sourcePick.value.id : "",
      via_source_id: viaPick.value ? viaPick.value.id : null,
      speaker: speaker.value.trim() || null,
      said_at: fmt.fromInputUtc(saidAt.value),
      said_at_precision: precision.value,
      quote: quote.value,
      language: language.value.trim() || "en",
      qualifiers: parseQualifiers(qualifiers.value),
      value: readValue(),
      stance: stance.value,
      confidence: Number(confidence.value),
      links: [...links.children].map((r) => r.read()).filter(Boolean),
      tags: tags.value.split(",").map((t) => t.trim()).filter(Boolean),
      notes: notes.value.trim() || null,
    };
    for (const k of ["low", "best", "high"]) if (b.value[k] === undefined) delete b.value[k];
    return b;
  }

  // the fields an edit changes, compared with the claim as it was read
  function changes(current) {
    const mine = body();
    const out = {};
    for (const [k, val] of Object.entries(mine)) {
      let before = current[k];
      if (k === "said_at") before = fmt.fromInputUtc(fmt.toInputUtc(before));
      if (k === "links") before = (before || []).map((l) => ({ url: l.url, kind: l.kind, ...(l.title ? { title: l.title } : {}) }));
      if (k === "value") before = Object.fromEntries(Object.entries(before).filter(([, x]) => x !== null));
      if (JSON.stringify(before ?? null) !== JSON.stringify(val ?? null)) out[k] = val;
    }
    return out;
  }

  function showErrors(err) {
    clear(errors, err.message, problemList(err));
  }

  async function patch(fields, tag) {
    const res = await api(`/claims/${claim.id}`, { method: "PATCH", body: fields, ifMatch: tag });
    announce("Claim corrected.", "ok");
    location.hash = `#/incidents/${incidentId}`;
    return res;
  }

  async function onConflict(fields) {
    const [{ data: current, etag: currentTag }, revisions] = await Promise.all([
      api(`/claims/${claim.id}`),
      getAll(`/claims/${claim.id}/revisions`),
    ]);
    const theirs = revisions.filter((r) => r.version > claim.version);
    const clash = Object.keys(fields).filter((k) => theirs.some((r) => k in (r.changes || {})));
    clear(
      conflictBox,
      h("section", { class: "conflict-box", "aria-labelledby": "conflict-h" },
        h("h2", { id: "conflict-h" }, "Someone else changed this claim while you were editing"),
        h("p", {}, `You started from version ${claim.version}; it is now at version ${current.version}. Their changes:`),
        h("ol", { class: "revisions" }, theirs.map(revisionItem)),
        h("p", {}, "Your changes:"),
        changesTable(Object.fromEntries(Object.entries(fields).map(([k, val]) => [k, { before: current[k], after: val }]))),
        clash.length ? h("p", { class: "error" }, `Both of you changed: ${clash.join(", ")}. Reapplying puts your version of these fields on top of theirs.`) : null,
        h("div", { class: "actions" },
          h("button", {
            type: "button",
            class: "primary",
            onclick: async () => {
              try {
                await patch(fields, currentTag);
              } catch (err) {
                if (err instanceof ApiError && err.status === 412) {
                  claim = current;
                  await onConflict(fields);
                } else showErrors(err);
              }
            },
          }, "Reapply my changes"),
          h("button", { type: "button", onclick: () => { location.hash = `#/claims/${claim.id}/edit?reload=${Date.now()}`; } }, "Discard mine and reload"))),
    );
    conflictBox.querySelector("h2").setAttribute("tabindex", "-1");
    conflictBox.querySelector("h2").focus();
  }

  // "Paste an article": POST /v1/extract suggests who said what; "Use this" fills the form
  function useSuggestion(sg) {
    quote.value = sg.quote;
    if (sg.speaker) speaker.value = sg.speaker;
    confidence.value = String(Math.round(sg.firmness * 100) / 100);
    if (sg.source_id) {
      const cand = (sg.source_candidates || []).find((c) => c.id === sg.source_id);
      sourcePick.set({ id: sg.source_id, name: cand ? cand.name : sg.speaker || sg.source_id });
    }
    if (sg.topic && meta.has(sg.topic)) {
      topic.value = sg.topic;
      drawValue();
      const val = sg.value || {};
      if (val.kind === "quantity" || val.bound) {
        bound.value = val.bound || "exact";
        low.value = val.low ?? "";
        best.value = val.best ?? "";
        high.value = val.high ?? "";
      } else if (val.category) category.value = val.category;
      else if (val.text) statement.value = val.text;
    }
    announce("The suggestion is in the form: check it before recording.", "ok");
    quote.focus();
  }
  const article = h("textarea", { rows: "5", name: "article" });
  const suggestions = h("div", { class: "suggestions", "aria-live": "polite" });
  const extractPanel = opts.mode === "create"
    ? h("details", { class: "extract" },
        h("summary", {}, "Paste an article to get suggested claims"),
        field("Article text", article, "read on the server (POST /v1/extract); nothing is recorded until you submit the form"),
        h("button", { type: "button", onclick: async () => {
          clear(suggestions, h("p", { class: "muted" }, "Reading…"));
          try {
            const { data } = await api("/extract", { method: "POST", body: { text: article.value, incident_id: incidentId } });
            clear(suggestions, data.suggestions.length
              ? h("ol", {}, data.suggestions.map((sg) => h("li", { class: "suggestion" },
                  h("blockquote", {}, sg.quote),
                  h("p", { class: "muted" }, [sg.speaker || "the article", sg.cue ? ` ${sg.cue}` : "", sg.topic ? ` · ${sg.topic}` : "", sg.value ? `: ${fmt.value(sg.value)}` : "", ` · firmness ${fmt.decimal(sg.firmness)}`].join("")),
                  h("button", { type: "button", class: "small", onclick: () => useSuggestion(sg) }, "Use this"))))
              : h("p", {}, "No statement found in this text."));
          } catch (err) {
            clear(suggestions, h("p", { class: "error" }, err.message));
          }
        } }, "Suggest claims"),
        suggestions)
    : null;

  const form = h("form", { class: "claim-form", novalidate: true },
    h("fieldset", {}, h("legend", {}, "Who said it, and when"),
      sourcePick.element, viaPick.element,
      h("div", { class: "grid2" },
        field("Speaker (free text)", speaker, "when the speaker has no source: \u201ca security official\u201d"),
        field("Said at (UTC)", saidAt),
        field("Precision", precision))),
    h("fieldset", {}, h("legend", {}, "What was said"),
      field("Quote (verbatim)", quote),
      h("div", { class: "grid2" }, field("Language", language), field("Topic", topic), field("Qualifiers", qualifiers, "key=value, comma separated"), field("Stance", stance),
        field("Firmness (0–1)", confidence, "how firmly the source asserts it"))),
    valueBox,
    h("fieldset", {}, h("legend", {}, "Links"), links,
      h("button", { type: "button", class: "small", onclick: () => links.append(linkRow()) }, "Add a link")),
    h("div", { class: "grid2" }, field("Tags", tags, "comma separated"), field("Notes", notes)),
    reason ? field("Reason for superseding", reason, "kept with the replacement (in its notes)") : null,
    errors,
    conflictBox,
    h("div", { class: "actions" },
      h("button", { type: "submit", class: "primary" }, { create: "Record the claim", edit: "Save the correction", supersede: "Supersede" }[opts.mode]),
      h("a", { class: "button", href: `#/incidents/${incidentId}` }, "Cancel")),
  );

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clear(errors);
    try {
      if (opts.mode === "create") {
        await api("/claims", { method: "POST", body: { incident_id: incidentId, ...body() }, idempotent: true });
        announce("Claim recorded.", "ok");
        location.hash = `#/incidents/${incidentId}`;
      } else if (opts.mode === "supersede") {
        if (!reason.value.trim()) {
          errors.textContent = "Say why the claim is superseded.";
          reason.focus();
          return;
        }
        const b = body();
        b.notes = [b.notes, `Supersedes ${claim.id}: ${reason.value.trim()}`].filter(Boolean).join("\n");
        await api(`/claims/${claim.id}/supersede`, { method: "POST", body: b, ifMatch: etag, idempotent: true });
        announce("Claim superseded.", "ok");
        location.hash = `#/incidents/${incidentId}`;
      } else {
        const fields = changes(claim);
        if (!Object.keys(fields).length) {
          errors.textContent = "Nothing changed.";
          return;
        }
        try {
          await patch(fields, etag);
        } catch (err) {
          if (err instanceof ApiError && err.status === 412) await onConflict(fields);
          else throw err;
        }
      }
    } catch (err) {
      showErrors(err);
    }
  });

  document.title = `${title} · Claimdesk board`;
  clear(
    main,
    h("p", { class: "crumbs" }, h("a", { href: `#/incidents/${incidentId}` }, "← Back to the incident")),
    h("h1", {}, title),
    extractPanel,
    claim && opts.mode !== "create" ? h("p", { class: "muted" }, `Version ${claim.version} · `, h("a", { href: `#/claims/${claim.id}/history` }, "history")) : null,
    form,
  );
  ctx.focus();
}
