// Formatting of instants (with their precision), values, probabilities and qualifiers.

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
const pad = (n) => String(n).padStart(2, "0");

export function utcDate(d) {
  return `${d.getUTCDate()} ${MONTHS[d.getUTCMonth()]} ${d.getUTCFullYear()}`;
}
export function utcTime(d) {
  return `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}`;
}

const PRECISION_WORDS = {
  minute: "to the minute",
  hour: "to the hour",
  time_of_day: "time of day only",
  day: "day only",
  week: "week only",
  month: "month only",
  year: "year only",
};

// "11 Mar 2020 18:00 UTC" at minute precision, "11 Mar 2020 ~18:00 UTC" at hour, and so on.
export function instant(iso, precision = "minute") {
  if (!iso) return "";
  const d = new Date(iso);
  switch (precision) {
    case "minute":
      return `${utcDate(d)} ${utcTime(d)} UTC`;
    case "hour":
    case "time_of_day":
      return `${utcDate(d)} ~${utcTime(d)} UTC`;
    case "day":
      return utcDate(d);
    case "week":
      return `week of ${utcDate(d)}`;
    case "month":
      return `${MONTHS[d.getUTCMonth()]} ${d.getUTCFullYear()}`;
    case "year":
      return String(d.getUTCFullYear());
    default:
      return `${utcDate(d)} ${utcTime(d)} UTC`;
  }
}
export function precisionWords(precision) {
  return PRECISION_WORDS[precision] || precision || "";
}

export function localTime(iso, timezone) {
  if (!iso || !timezone) return "";
  try {
    return new Intl.DateTimeFormat("en-GB", {
      timeZone: timezone,
      day: "numeric",
      month: "short",
      hour: "2-digit",
      minute: "2-digit",
      timeZoneName: "short",
    }).format(new Date(iso));
  } catch {
    return "";
  }
}

export function windowText(incident) {
  const { occurred_earliest: a, occurred_latest: b, time_precision: p } = incident;
  if (!a && !b) return "time unknown";
  if (a && b && instant(a, p) === instant(b, p)) return instant(a, p);
  return `${instant(a, p) || "?"} – ${instant(b, p) || "?"}`;
}

const num = (x) => (x === null || x === undefined ? "?" : Number(x).toLocaleString("en"));

export function quantity(v) {
  switch (v.bound) {
    case "exact":
      return num(v.best);
    case "at_least":
      return `at least ${num(v.low)}`;
    case "more_than":
      return `more than ${num(v.low)}`;
    case "at_most":
      return `at most ${num(v.high)}`;
    case "fewer_than":
      return `fewer than ${num(v.high)}`;
    case "approximately":
      return v.low !== null && v.low !== undefined && v.high !== null && v.high !== undefined
        ? `about ${num(v.best)} (${num(v.low)}–${num(v.high)})`
        : `about ${num(v.best)}`;
    case "range":
      return `${num(v.low)}–${num(v.high)}`;
    case "none_reported":
      return "none reported";
    case "unknown":
      return "unknown";
    default:
      return JSON.stringify(v);
  }
}

// A claim's value as words; actor names come from `actorName(id)`.
export function value(v, actorName = (id) => id) {
  if (!v) return "";
  switch (v.kind) {
    case "quantity":
      return quantity(v);
    case "category":
      return v.category;
    case "actor":
      return actorName(v.actor_id);
    case "statement":
      return v.text || "(statement)";
    default:
      return JSON.stringify(v);
  }
}

// A candidate (a group of compatible claims) as a short label: "[16, ∞]" reads "16 or more".
export function candidateLabel(c) {
  if (!c) return "";
  if (c.kind === "actor" && c.actor) return c.actor.name;
  if (c.kind === "quantity" && c.low !== null && c.low !== undefined) {
    const lo = num(c.low);
    if (c.high === null || c.high === undefined) return `${lo} or more`;
    if (c.low === c.high) return lo;
    return `${lo}–${num(c.high)}`;
  }
  return c.label;
}

export function qualifiers(q) {
  const entries = Object.entries(q || {});
  return entries.map(([k, v]) => `${k.replaceAll("_", " ")}: ${v}`).join(", ");
}

export function topicKey(topic, q) {
  const entries = Object.entries(q || {}).sort(([a], [b]) => (a < b ? -1 : 1));
  return `${topic}|${JSON.stringify(entries)}`;
}

// Whole percentages that add up to exactly 100 (largest remainder), for the bars' labels.
export function percentages(probabilities) {
  const raw = probabilities.map((p) => Math.max(0, p) * 100);
  const floors = raw.map(Math.floor);
  let rest = Math.round(raw.reduce((a, b) => a + b, 0)) - floors.reduce((a, b) => a + b, 0);
  const order = raw
    .map((r, i) => [r - floors[i], i])
    .sort((a, b) => b[0] - a[0])
    .map(([, i]) => i);
  for (const i of order) {
    if (rest <= 0) break;
    floors[i] += 1;
    rest -= 1;
  }
  return floors;
}

export function decimal(x, digits = 2) {
  return x === null || x === undefined ? "–" : Number(x).toFixed(digits);
}

export function who(ref) {
  // "a security official via Stars and Stripes", "Press TV"
  if (!ref) return "";
  const name = ref.speaker || (ref.source && ref.source.name) || "";
  const via = ref.via_source && ref.via_source.name;
  return via && via !== name ? `${name} via ${via}` : name;
}

export function toInputUtc(iso) {
  // "2020-03-11T18:00" for <input type="datetime-local">, read as UTC
  if (!iso) return "";
  const d = new Date(iso);
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}T${utcTime(d)}`;
}
export function fromInputUtc(text) {
  return text ? `${text.length === 16 ? `${text}:00` : text}Z` : null;
}
