// The incident page: competing versions per topic with probabilities, attributions, the
// timeline, and the as_of time slider ("what did we know at 8 p.m.?").

import { api, ApiError, auth, get, getAll, lookup, remember } from "./api.js";
import { announce, clear, debounce, h, uid } from "./dom.js";
import * as fmt from "./format.js";
import { bar, extras, problemList, topicMeta, topicTitle } from "./common.js";

const MINUTE = 60_000;

export async function renderIncident(ctx, id) {
  const { main, params } = ctx;
  let asOf = params.get("as_of");
  const base = `/incidents/${encodeURIComponent(id)}`;
  const everythingP = getAll(`${base}/claims`);
  let prefetched = fetchViews(base, asOf, everythingP); // one round trip for the whole page
  prefetched.catch(() => {});
  const [incident, meta, everything] = await Promise.all([get(base), topicMeta(), everythingP, auth.ready]);
  if (ctx.stale()) return;
  document.title = `${incident.title} · Claimdesk board`;

  const versions = h("section", { class: "versions", "aria-labelledby": "versions-h" });
  const attributions = h("section", { class: "attributions", "aria-labelledby": "attributions-h" });
  const timeline = h("section", { class: "timeline", "aria-labelledby": "timeline-h" });
  const slider = timeSlider(incident, everything, asOf, (next) => {
    asOf = next;
    const p = new URLSearchParams(params);
    if (next) p.set("as_of", next);
    else p.delete("as_of");
    history.replaceState(null, "", `#/incidents/${id}${p.size ? `?${p}` : ""}`);
    load();
  });

  clear(
    main,
    h("p", { class: "crumbs" }, h("a", { href: "#/" }, "← All incidents")),
    header(incident),
    slider.element,
    auth.canEdit
      ? h("p", { class: "editor-only" }, h("a", { class: "button primary", href: `#/incidents/${id}/new`, id: "add-claim" }, "Add a claim"))
      : null,
    versions,
    attributions,
    timeline,
  );
  ctx.focus();

  let loading = 0;
  async function load() {
    loading += 1;
    const mine = loading;
    main.setAttribute("aria-busy", "true");
    const views = prefetched || fetchViews(base, asOf, Promise.resolve(everything));
    prefetched = null;
    const [conflicts, assessment, attribution, claims] = await views;
    if (mine !== loading || ctx.stale()) return;
    const refs = claimRefs(conflicts, attribution);
    const actorNames = await actorsOf(claims, conflicts, attribution);
    if (mine !== loading || ctx.stale()) return;
    renderVersions(versions, conflicts, assessment, meta, refs);
    renderAttributions(attributions, attribution);
    await renderTimeline(timeline, claims, refs, meta, actorNames, incident, () => reload());
    slider.setContested(conflicts.contested);
    main.removeAttribute("aria-busy");
    main.dataset.loadedAt = String(Math.round(performance.now()));
  }
  async function reload() {
    const fresh = await getAll(`/incidents/${encodeURIComponent(id)}/claims`);
    everything.splice(0, everything.length, ...fresh);
    await load();
  }
  await load();
}

function fetchViews(base, asOf, everything) {
  const q = asOf ? { as_of: asOf } : {};
  return Promise.all([
    get(`${base}/conflicts`, q),
    get(`${base}/assessment`, q),
    get(`${base}/attributions`, q),
    asOf ? getAll(`${base}/claims`, q) : everything,
  ]);
}

function header(incident) {
  const local = incident.local_time_text ? ` (${incident.local_time_text})` : "";
  return h(
    "header",
    { class: "incident-head" },
    h("h1", {}, incident.title),
    incident.contested ? h("span", { class: "badge contested" }, "contested") : null,
    h(
      "dl",
      { class: "facts" },
      h("dt", {}, "Where"),
      h("dd", {}, incident.place_name || "unknown", incident.country ? ` (${incident.country})` : "",
        incident.latitude !== null && incident.latitude !== undefined
          ? h("span", { class: "muted" }, ` ${incident.latitude}, ${incident.longitude}`)
          : null),
      h("dt", {}, "When"),
      h("dd", {}, fmt.windowText(incident), local),
      h("dt", {}, "Recorded"),
      h("dd", {}, `${incident.claim_count} claims from ${incident.source_count} sources`),
    ),
    incident.summary ? h("p", { class: "summary" }, incident.summary) : null,
    incident.tags && incident.tags.length
      ? h("p", { class: "tags" }, incident.tags.map((t) => h("a", { class: "tag", href: `#/?tag=${encodeURIComponent(t)}` }, t)))
      : null,
  );
}

// --- the as_of slider -------------------------------------------------------------------

function timeSlider(incident, claims, initial, onChange) {
  const times = [...new Set(claims.map((c) => Date.parse(c.said_at)))].sort((a, b) => a - b);
  const first = times.length ? times[0] : Date.now();
  const last = times.length ? times[times.length - 1] : Date.now();
  const span = last - first;
  const step = span <= 3 * 24 * 3600_000 ? 15 : span <= 60 * 24 * 3600_000 ? 60 : 24 * 60;
  const min = Math.floor((first - 3600_000) / MINUTE / step) * step;
  const max = Math.ceil((last + 3600_000) / MINUTE / step) * step; // the last step is "latest"
  const id = uid("asof");
  const input = h("input", {
    type: "range",
    id,
    min: String(min),
    max: String(max),
    step: String(step),
    "aria-describedby": `${id}-hint`,
  });
  const toValue = (iso) => (iso ? Math.min(max, Math.max(min, Math.round(Date.parse(iso) / MINUTE))) : max);
  input.value = String(toValue(initial));
  const output = h("output", { for: id, class: "asof-value", "aria-live": "polite" });
  const contested = h("span", { class: "asof-contested" });
  const valueToIso = (v) => (Number(v) >= max ? null : new Date(Number(v) * MINUTE).toISOString().replace(".000Z", "Z"));

  function show() {
    const iso = valueToIso(input.value);
    const text = iso
      ? `as of ${fmt.utcDate(new Date(iso))} ${fmt.utcTime(new Date(iso))} UTC`
      : "latest: everything recorded";
    const local = iso ? fmt.localTime(iso, incident.timezone) : "";
    output.textContent = local ? `${text} (${local})` : text;
    input.setAttribute("aria-valuetext", text);
    input.dataset.asOf = iso || "";
  }
  const fire = debounce(() => onChange(valueToIso(input.value)), 150);
  input.addEventListener("input", () => {
    show();
    fire();
  });
  function jump(direction) {
    const now = Number(input.value) * MINUTE;
    const target = direction < 0
      ? [...times].reverse().find((t) => t < now - MINUTE / 2)
      : times.find((t) => t > now + MINUTE / 2);
    input.value = String(target === undefined ? (direction < 0 ? min : max) : Math.round(target / MINUTE));
    show();
    onChange(valueToIso(input.value));
  }
  show();
  const ticks = h("datalist", { id: `${id}-ticks` }, times.map((t) => h("option", { value: String(Math.round(t / MINUTE)) })));
  input.setAttribute("list", `${id}-ticks`);
  const element = h(
    "section",
    { class: "asof", "aria-label": "Time travel" },
    h("label", { for: id }, "What was known"),
    h("div", { class: "asof-row" },
      h("button", { type: "button", class: "small", onclick: () => jump(-1), "aria-label": "Back to the previous claim" }, "◀"),
      input,
      ticks,
      h("button", { type: "button", class: "small", onclick: () => jump(1), "aria-label": "Forward to the next claim" }, "▶")),
    h("p", { class: "asof-line" }, output, " ", contested),
    h("small", { id: `${id}-hint` }, "Drag or use the arrow keys; the buttons jump from claim to claim. The right end shows everything recorded."),
  );
  return {
    element,
    setContested(value) {
      contested.textContent = value ? "· the incident is contested" : "· nothing contested";
    },
  };
}

// --- competing versions -------------------------------------------------------------------

function claimRefs(conflicts, attribution) {
  const refs = new Map();
  for (const t of conflicts.topics || []) {
    for (const c of [...(t.groups || []).flatMap((g) => g.claims || []), ...(t.excluded || [])]) {
      if (!refs.has(c.claim_id) || (refs.get(c.claim_id).implied && !c.implied)) refs.set(c.claim_id, c);
    }
  }
  for (const a of attribution.attributions || []) {
    for (const c of [...(a.supporting || []), ...(a.denying || [])]) refs.set(c.claim_id, c);
  }
  return refs;
}

const ASSESSED_TOPIC = ["topic", "qualifiers", "contested", "independent_sources", "candidates", "none_of_these", "explanation", "implied_by"];
const CONFLICT_TOPIC = ["topic", "qualifiers", "contested", "groups", "excluded", "implied_by"];
const CANDIDATE = ["value", "probability", "independent_sources", "claim_ids", "sources"];
const CONTRIBUTION = ["claim_id", "source", "voice", "reliability", "firmness", "independence_discount", "weight", "candidate", "counted", "excluded_reason", "implied"];
const VALUE = ["kind", "label", "low", "high", "category", "actor", "stance", "denied_actor_ids", "denied_categories"];

function renderVersions(section, conflicts, assessment, meta, refs) {
  const byKey = new Map((conflicts.topics || []).map((t) => [fmt.topicKey(t.topic, t.qualifiers), t]));
  const cards = [];
  const seen = new Set();
  for (const t of assessment.topics || []) {
    const key = fmt.topicKey(t.topic, t.qualifiers);
    seen.add(key);
    cards.push({ assessed: t, conflicts: byKey.get(key) });
  }
  for (const [key, t] of byKey) if (!seen.has(key)) cards.push({ assessed: null, conflicts: t });
  const contested = (c) => Boolean((c.assessed && c.assessed.contested) || (c.conflicts && c.conflicts.contested));
  const hot = cards.filter(contested);
  const calm = cards.filter((c) => !contested(c));
  clear(
    section,
    h("h2", { id: "versions-h" }, "Competing versions"),
    assessment.method ? h("details", { class: "method" }, h("summary", {}, "How the probabilities are computed"), h("p", {}, assessment.method)) : null,
    hot.length ? hot.map((c) => topicCard(c, meta, refs)) : h("p", { class: "muted", id: "no-contest" }, "No topic is contested at this time."),
    calm.length
      ? h("details", { class: "calm", open: hot.length === 0 ? true : null },
          h("summary", {}, `${calm.length} topic${calm.length === 1 ? "" : "s"} with a single version`),
          calm.map((c) => topicCard(c, meta, refs)))
      : null,
  );
}

function topicCard({ assessed, conflicts }, meta, globalRefs) {
  const t = assessed || conflicts;
  // this topic's own view of its claims first: a claim brought here by a topic implication
  // carries its `implied` explanation only in this topic
  const refs = new Map(globalRefs);
  for (const c of [...((conflicts && conflicts.groups) || []).flatMap((g) => g.claims || []), ...((conflicts && conflicts.excluded) || [])]) refs.set(c.claim_id, c);
  const rules = [...new Set([...((assessed && assessed.implied_by) || []), ...((conflicts && conflicts.implied_by) || [])])];
  const isContested = Boolean((assessed && assessed.contested) || (conflicts && conflicts.contested));
  const q = fmt.qualifiers(t.qualifiers);
  const headingId = uid("topic");
  const groups = (conflicts && conflicts.groups) || [];
  const candidates = assessed
    ? assessed.candidates
    : groups.map((g) => ({ value: g.value, probability: null, independent_sources: g.sources.length, claim_ids: g.claims.map((c) => c.claim_id), sources: g.sources }));
  const none = assessed ? assessed.none_of_these : null;
  const probs = assessed ? [...candidates.map((c) => c.probability), none] : [];
  const pcts = assessed ? fmt.percentages(probs) : [];
  const explanation = (assessed && assessed.explanation) || [];
  const unit = meta.get(t.topic) && meta.get(t.topic).unit;

  const columns = candidates.map((c, i) => {
    const claimIds = c.claim_ids || [];
    const claims = claimIds.map((cid) => refs.get(cid)).filter(Boolean);
    const speakers = [...new Set(claims.map((r) => (r.implied ? `${fmt.who(r)} (${(r.implied.from_topics || []).map((k) => topicTitle(meta, k).toLowerCase()).join(", ")})` : fmt.who(r))))];
    const noneReported = claims.length > 0 && claims.every((r) => r.value && r.value.bound === "none_reported");
    const label = fmt.candidateLabel(c.value);
    const denied = c.value.stance === "denies";
    const contributions = explanation.filter((e) => e.candidate === i || (e.candidate === null && claimIds.includes(e.claim_id)));
    return h(
      "div",
      { class: `candidate${denied ? " denied" : ""}`, dataset: { probability: c.probability === null ? "" : String(c.probability), label } },
      h("p", { class: "cand-value" }, denied ? h("span", { class: "badge deny" }, "denied") : null,
        h("strong", {}, label), unit && c.value.kind === "quantity" ? h("span", { class: "unit" }, ` ${unit}`) : null, noneReported ? h("span", { class: "unit" }, " · none reported") : null),
      h("p", { class: "cand-who" }, speakers.length ? speakers.join("; ") : (c.sources || []).map((s) => s.name).join("; ")),
      c.probability === null || c.probability === undefined ? null : bar(c.probability, pcts[i], `for ${label}`),
      h("p", { class: "cand-count" }, `${c.independent_sources} independent source${c.independent_sources === 1 ? "" : "s"}`),
      extras(c, CANDIDATE),
      c.value.denied_categories && c.value.denied_categories.length ? h("p", { class: "muted" }, "denies: ", c.value.denied_categories.join(", ")) : null,
      extras(c.value, VALUE),
      contributions.length || claims.length
        ? h("details", { class: "why" },
            h("summary", {}, `Why: ${Math.max(contributions.length, claims.length)} claim${Math.max(contributions.length, claims.length) === 1 ? "" : "s"}`),
            h("ul", {}, (contributions.length ? contributions : claims.map((r) => ({ claim_id: r.claim_id }))).map((e) => contributionItem(e, refs))))
        : null,
    );
  });
  if (assessed) {
    columns.push(
      h("div", { class: "candidate none", dataset: { probability: String(none), label: "none of these" } },
        h("p", { class: "cand-value" }, h("strong", {}, "None of these")),
        h("p", { class: "cand-who" }, "another value, or none of the voices is right"),
        bar(none, pcts[pcts.length - 1], "for none of these")),
    );
  }
  const notCounted = explanation.filter((e) => e.candidate === null && !candidates.some((c) => (c.claim_ids || []).includes(e.claim_id)));
  const excluded = (conflicts && conflicts.excluded) || [];
  return h(
    "article",
    { class: `topic-card${isContested ? " is-contested" : ""}`, "aria-labelledby": headingId, dataset: { topic: t.topic, qualifiers: JSON.stringify(t.qualifiers || {}), contested: String(isContested) } },
    h("header", {},
      h("h3", { id: headingId }, topicTitle(meta, t.topic), q ? h("span", { class: "qual" }, ` · ${q}`) : null),
      h("code", { class: "topic-key" }, t.topic),
      isContested ? h("span", { class: "badge contested" }, "contested") : null,
      rules.length ? h("span", { class: "badge cross" }, "cross-topic") : null,
      assessed ? h("span", { class: "muted" }, ` ${assessed.independent_sources} independent source${assessed.independent_sources === 1 ? "" : "s"}`) : null),
    rules.length
      ? h("p", { class: "implied-rule" }, "Claims on other topics count here through ", rules.length === 1 ? "the rule " : "the rules ",
          rules.map((r, i) => [i ? "; " : "", h("code", {}, r)]), ".")
      : null,
    h("div", { class: "candidates" }, columns),
    notCounted.length
      ? h("details", { class: "why" }, h("summary", {}, `Not counted: ${notCounted.length}`), h("ul", {}, notCounted.map((e) => contributionItem(e, refs))))
      : null,
    excluded.length
      ? h("details", { class: "why" }, h("summary", {}, `Retracted, superseded or constraining nothing: ${excluded.length}`),
          h("ul", {}, excluded.map((r) => h("li", {}, h("strong", {}, fmt.who(r)), ` (${r.status}): `, h("q", {}, r.quote)))))
      : null,
    assessed ? extras(assessed, ASSESSED_TOPIC, "More about this topic") : null,
    conflicts ? extras(conflicts, CONFLICT_TOPIC, "More about this conflict") : null,
  );
}

function contributionItem(e, refs) {
  const ref = refs.get(e.claim_id);
  const implied = e.implied || (ref && ref.implied);
  const name = ref ? fmt.who(ref) : (e.source && e.source.name) || e.claim_id;
  const counted = e.counted === undefined ? null : e.counted;
  const summary = counted === null
    ? name
    : counted
      ? `${name}: counted, weight ${fmt.decimal(e.weight)}`
      : `${name}: not counted`;
  const fromTopics = implied && implied.from_topics && implied.from_topics.length ? ` (from ${implied.from_topics.join(", ")})` : "";
  return h(
    "li",
    {},
    h("details", {},
      h("summary", {}, summary + fromTopics),
      implied ? h("p", { class: "implied" }, h("strong", {}, "Implied: "), implied.why || implied.rule) : null,
      ref ? h("blockquote", {}, ref.quote) : null,
      ref ? h("p", { class: "muted" }, fmt.instant(ref.said_at, "minute"), ref.stance === "denies" ? " · denies" : "", ` · value: ${fmt.value(ref.value)}`) : null,
      counted === null
        ? null
        : h("dl", { class: "contrib" },
            h("dt", {}, "Voice"), h("dd", {}, e.voice || "–"),
            h("dt", {}, "Reliability"), h("dd", {}, fmt.decimal(e.reliability)),
            h("dt", {}, "Firmness"), h("dd", {}, fmt.decimal(e.firmness)),
            h("dt", {}, "Independence"), h("dd", {}, fmt.decimal(e.independence_discount)),
            h("dt", {}, "Weight"), h("dd", {}, fmt.decimal(e.weight, 3)),
            e.excluded_reason ? [h("dt", {}, "Why not counted"), h("dd", {}, e.excluded_reason)] : null),
      extras(e, CONTRIBUTION),
      h("p", {}, h("a", { href: `#claim-${e.claim_id}`, onclick: (ev) => scrollToClaim(ev, e.claim_id) }, "See it in the timeline"))),
  );
}

function scrollToClaim(event, claimId) {
  event.preventDefault();
  const el = document.getElementById(`claim-${claimId}`);
  if (el) {
    el.scrollIntoView({ block: "center" });
    el.focus();
  }
}

// --- attributions -------------------------------------------------------------------------

function renderAttributions(section, view) {
  const actors = new Map();
  for (const a of view.attributions || []) {
    actors.set(a.actor.id, a.actor);
    for (const c of a.compatible_with || []) actors.set(c.id, c);
  }
  const chain = (actor) => {
    const names = [actor.name];
    let cur = actor;
    const guard = new Set([actor.id]);
    while (cur.parent_id && actors.has(cur.parent_id) && !guard.has(cur.parent_id)) {
      cur = actors.get(cur.parent_id);
      guard.add(cur.id);
      names.unshift(cur.name);
    }
    return names;
  };
  const items = view.attributions || [];
  const pcts = fmt.percentages([...items.map((a) => a.probability), view.none_of_these]);
  clear(
    section,
    h("h2", { id: "attributions-h" }, "Who is held responsible"),
    view.contested ? h("span", { class: "badge contested" }, "contested") : null,
    items.length === 0
      ? h("p", { class: "muted" }, "No attribution of responsibility at this time.")
      : h("ol", { class: "ranked" },
          items.map((a, i) =>
            h("li", { class: "attribution", dataset: { actor: a.actor.id } },
              h("p", { class: "hierarchy" }, chain(a.actor).map((n, j, all) => [j ? h("span", { class: "sep", "aria-label": "contains" }, " ⊃ ") : null, j === all.length - 1 ? h("strong", {}, n) : n])),
              h("p", { class: "muted" }, a.actor.kind.replaceAll("_", " ")),
              bar(a.probability, pcts[i], `that ${a.actor.name} is responsible`),
              a.compatible_with && a.compatible_with.length
                ? h("p", { class: "muted" }, "Compatible, not competing: ", a.compatible_with.map((c) => c.name).join(", "))
                : null,
              a.said_by && a.said_by.length ? h("p", {}, "Said by ", a.said_by.map((s) => s.name).join(", ")) : null,
              claimQuotes(a.supporting || [], false),
              claimQuotes(a.denying || [], true),
              extras(a, ["actor", "probability", "compatible_with", "supporting", "denying", "said_by"]),
            ))),
    items.length
      ? h("div", { class: "candidate none" }, h("p", {}, h("strong", {}, "None of these")), bar(view.none_of_these, pcts[pcts.length - 1], "that none of these is responsible"))
      : null,
    extras(view, ["incident_id", "as_of", "topic", "contested", "none_of_these", "attributions"]),
  );
}

function claimQuotes(refs, denying) {
  if (!refs.length) return null;
  return h("ul", { class: `quotes${denying ? " denying" : ""}` },
    refs.map((r) => h("li", {},
      denying ? h("span", { class: "badge deny" }, "denies") : null,
      h("strong", {}, fmt.who(r)), ` · ${fmt.instant(r.said_at, "minute")} · firmness ${fmt.decimal(r.confidence)}`,
      h("blockquote", {}, r.quote))));
}

// --- timeline -------------------------------------------------------------------------------

async function actorsOf(claims, conflicts, attribution) {
  const names = new Map();
  for (const a of attribution.attributions || []) {
    names.set(a.actor.id, a.actor.name);
    for (const c of a.compatible_with || []) names.set(c.id, c.name);
  }
  for (const t of conflicts.topics || []) for (const g of t.groups || []) if (g.value.actor) names.set(g.value.actor.id, g.value.actor.name);
  const missing = [...new Set(claims.filter((c) => c.value.kind === "actor" && !names.has(c.value.actor_id)).map((c) => c.value.actor_id))];
  const found = await Promise.all(missing.map((id) => lookup("actors", id)));
  found.forEach((a, i) => names.set(missing[i], a.name));
  return names;
}

async function renderTimeline(section, claims, refs, meta, actorNames, incident, reload) {
  const missing = new Set();
  for (const c of claims) {
    if (!refs.has(c.id)) {
      missing.add(c.source_id);
      if (c.via_source_id) missing.add(c.via_source_id);
    }
  }
  const sources = new Map();
  for (const r of refs.values()) {
    sources.set(r.source.id, r.source);
    if (r.via_source) sources.set(r.via_source.id, r.via_source);
  }
  await Promise.all([...missing].filter((id) => !sources.has(id)).map(async (id) => sources.set(id, await lookup("sources", id))));
  const whoOf = (c) => refs.has(c.id)
    ? fmt.who(refs.get(c.id))
    : fmt.who({ speaker: c.speaker, source: sources.get(c.source_id), via_source: c.via_source_id ? sources.get(c.via_source_id) : null });
  clear(
    section,
    h("h2", { id: "timeline-h" }, "Timeline"),
    claims.length === 0 ? h("p", { class: "muted" }, "Nothing had been said yet.") : null,
    h("ol", { class: "claims" }, claims.map((c) => claimItem(c, whoOf(c), meta, actorNames, incident, reload))),
  );
}

function claimItem(c, who, meta, actorNames, incident, reload) {
  const q = fmt.qualifiers(c.qualifiers);
  return h(
    "li",
    { class: `claim status-${c.status}`, id: `claim-${c.id}`, tabindex: "-1", dataset: { claimId: c.id, version: String(c.version) } },
    h("p", { class: "when" },
      h("time", { datetime: c.said_at }, fmt.instant(c.said_at, c.said_at_precision)),
      h("span", { class: "muted" }, ` · ${fmt.precisionWords(c.said_at_precision)}`),
      incident.timezone && ["minute", "hour", "time_of_day"].includes(c.said_at_precision)
        ? h("span", { class: "muted" }, ` · ${fmt.localTime(c.said_at, incident.timezone)}`)
        : null),
    h("p", { class: "what" },
      h("strong", { class: "who" }, who),
      c.stance === "denies" ? h("span", { class: "badge deny" }, "denies") : " says ",
      h("span", { class: "topic" }, topicTitle(meta, c.topic)), q ? ` (${q})` : "", ": ",
      h("span", { class: "value" }, fmt.value(c.value, (id) => actorNames.get(id) || id)),
      c.status !== "active" ? h("span", { class: `badge ${c.status}` }, c.status) : null,
      h("span", { class: "muted" }, ` · firmness ${fmt.decimal(c.confidence)}`)),
    h("blockquote", { lang: c.language || null }, c.quote),
    c.translation ? h("p", { class: "translation" }, "Translation: ", c.translation) : null,
    c.links && c.links.length ? h("ul", { class: "links" }, c.links.map(linkItem)) : null,
    c.notes ? h("details", { class: "notes" }, h("summary", {}, "Analyst's notes"), h("p", {}, c.notes)) : null,
    h("p", { class: "claim-actions" },
      h("a", { href: `#/claims/${c.id}/history` }, "History"),
      auth.canEdit && c.status === "active"
        ? [
            h("a", { href: `#/claims/${c.id}/edit`, class: "editor-only" }, "Edit"),
            h("a", { href: `#/claims/${c.id}/supersede`, class: "editor-only" }, "Supersede"),
            h("button", { type: "button", class: "small editor-only", onclick: () => retract(c, reload) }, "Retract"),
          ]
        : null),
  );
}

function linkItem(l) {
  let host = l.url;
  try {
    host = new URL(l.url).host;
  } catch {
    /* keep the url */
  }
  const check = l.checked_at
    ? `checked ${fmt.utcDate(new Date(l.checked_at))}: ${l.http_status ?? "no answer"}`
    : "not checked";
  return h("li", {},
    h("span", { class: `badge link-${l.kind}` }, l.kind), " ",
    h("a", { href: l.url, rel: "noopener noreferrer nofollow", target: "_blank" }, l.title || host),
    h("span", { class: "muted" }, ` · ${check}`),
    l.final_url && l.final_url !== l.url ? h("span", { class: "muted" }, ` → ${l.final_url}`) : null);
}

// Retract with a reason; the claim's version seen on the page is sent as If-Match.
function retract(claim, reload) {
  const reasonId = uid("reason");
  const error = h("p", { class: "error", role: "alert" });
  const reason = h("textarea", { id: reasonId, required: true, rows: "3" });
  const dialog = h("dialog", { class: "retract", "aria-labelledby": `${reasonId}-h` });
  let etag = `"${claim.version}"`;
  const submit = h("button", { type: "submit", class: "primary danger" }, "Retract");
  const form = h("form", {},
    h("h2", { id: `${reasonId}-h` }, "Retract this claim"),
    h("blockquote", {}, claim.quote),
    h("label", { for: reasonId }, "Reason (kept in the history)"),
    reason,
    error,
    h("div", { class: "actions" }, submit, h("button", { type: "button", onclick: () => dialog.close() }, "Cancel")));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      await api(`/claims/${claim.id}/retract`, {
        method: "POST",
        body: { reason: reason.value },
        ifMatch: etag,
      });
      dialog.close();
      announce("Claim retracted.", "ok");
      await reload();
    } catch (err) {
      if (err instanceof ApiError && err.status === 412) {
        etag = err.headers.get("ETag") || etag;
        error.textContent = "Someone changed this claim since the page was loaded. Check its history; press Retract again to retract the current version.";
        submit.textContent = "Retract the current version";
      } else {
        clear(error, err.message, problemList(err));
      }
    }
  });
  dialog.append(form);
  dialog.addEventListener("close", () => dialog.remove());
  document.body.append(dialog);
  dialog.showModal();
  reason.focus();
}

export { remember };
