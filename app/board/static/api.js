// The only way the board talks to Claimdesk: the public /v1 API, with the key kept in
// sessionStorage (gone when the tab closes, never in localStorage or a cookie).

const KEY = "claimdesk.board.key";

export class ApiError extends Error {
  constructor(status, problem, headers) {
    super((problem && (problem.detail || problem.title)) || `HTTP ${status}`);
    this.status = status;
    this.problem = problem || {};
    this.headers = headers;
  }
}

export const auth = {
  get key() {
    return sessionStorage.getItem(KEY);
  },
  set key(value) {
    if (value) sessionStorage.setItem(KEY, value);
    else sessionStorage.removeItem(KEY);
  },
  me: null, // {key_id, name, role} once signed in
  ready: Promise.resolve(null), // settles when `me` is known
  get canEdit() {
    return Boolean(this.me && (this.me.role === "editor" || this.me.role === "admin"));
  },
};

function randomKey() {
  if (globalThis.crypto && crypto.randomUUID) return crypto.randomUUID();
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

const API_ROOT = new URL("../v1", document.baseURI).pathname;

export function apiUrl(path, params) {
  const url = new URL(API_ROOT + path, location.origin);
  for (const [k, v] of Object.entries(params || {})) {
    if (v !== null && v !== undefined && v !== "") url.searchParams.set(k, v);
  }
  return url;
}

export async function api(path, options = {}) {
  const { method = "GET", body, params, ifMatch, idempotent = false, signal } = options;
  const headers = { Accept: "application/json" };
  if (auth.key) headers.Authorization = `Bearer ${auth.key}`;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (ifMatch) headers["If-Match"] = ifMatch;
  if (idempotent) headers["Idempotency-Key"] = randomKey();
  const res = await fetch(apiUrl(path, params), {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    signal,
  });
  const text = await res.text();
  let data = null;
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = { detail: text.slice(0, 300) };
    }
  }
  if (!res.ok) throw new ApiError(res.status, data, res.headers);
  return { data, etag: res.headers.get("ETag"), status: res.status };
}

export async function get(path, params, signal) {
  return (await api(path, { params, signal })).data;
}

// Every page of a list (bounded: a board never needs more than `max` items).
export async function getAll(path, params, max = 2000) {
  const items = [];
  let cursor = null;
  do {
    const page = await get(path, { ...params, limit: 500, cursor });
    items.push(...page.items);
    cursor = page.next_cursor;
  } while (cursor && items.length < max);
  return items;
}

// Cached look-ups of sources and actors by id (names for the timeline and the list).
const cache = new Map();
export function lookup(kind, id) {
  const k = `${kind}/${id}`;
  if (!cache.has(k)) {
    cache.set(
      k,
      get(`/${kind}/${encodeURIComponent(id)}`).catch((err) => {
        cache.delete(k);
        return { id, name: id, error: err.message };
      }),
    );
  }
  return cache.get(k);
}
export function remember(kind, obj) {
  if (obj && obj.id) cache.set(`${kind}/${obj.id}`, Promise.resolve(obj));
}
