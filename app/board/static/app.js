// The board's entry point: sign-in and a hash router (#/, #/incidents/ID, #/claims/ID/...).

import { api, ApiError, auth } from "./api.js";
import { announce, clear, h } from "./dom.js";
import { renderList } from "./list.js";
import { renderIncident } from "./incident.js";
import { renderClaimForm } from "./claimform.js";
import { renderHistory } from "./history.js";

const main = document.getElementById("main");
const account = document.getElementById("account");
const dialog = document.getElementById("signin");
const form = document.getElementById("signin-form");
const keyInput = document.getElementById("signin-key");
const signinError = document.getElementById("signin-error");

async function whoami() {
  if (!auth.key) {
    auth.me = null;
    return null;
  }
  try {
    auth.me = (await api("/keys/me")).data;
  } catch (err) {
    auth.me = null;
    if (err instanceof ApiError && err.status === 401) auth.key = null;
    throw err;
  }
  return auth.me;
}

function renderAccount() {
  if (auth.me) {
    clear(
      account,
      h("span", { class: "who" }, `${auth.me.name} · `, h("strong", {}, auth.me.role)),
      h("button", { type: "button", id: "signout", onclick: signOut }, "Sign out"),
    );
  } else {
    clear(account, h("button", { type: "button", id: "signin-open", onclick: openSignIn }, "Sign in"));
  }
  document.body.classList.toggle("can-edit", auth.canEdit);
}

export function openSignIn() {
  signinError.textContent = "";
  keyInput.value = "";
  dialog.showModal();
  keyInput.focus();
}

function signOut() {
  auth.key = null;
  auth.me = null;
  renderAccount();
  announce("Signed out; the key was removed from this tab.");
  route();
}

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  const previous = auth.key;
  auth.key = keyInput.value.trim();
  try {
    auth.ready = whoami();
    await auth.ready;
    dialog.close();
    renderAccount();
    announce(`Signed in as ${auth.me.name} (${auth.me.role}).`);
    route();
  } catch (err) {
    auth.key = previous;
    signinError.textContent =
      err instanceof ApiError && err.status === 401 ? "That key is not valid." : err.message;
    keyInput.focus();
  }
});
document.getElementById("signin-cancel").addEventListener("click", () => dialog.close());

// A page that could not load because no key was given says so and offers the sign-in.
export function showError(err) {
  if (err instanceof ApiError && (err.status === 401 || err.status === 403)) {
    clear(
      main,
      h("h1", { tabindex: "-1" }, err.status === 401 ? "Sign in to read the board" : "Not allowed"),
      h("p", {}, err.message),
      err.status === 401 ? h("button", { type: "button", class: "primary", onclick: openSignIn }, "Sign in") : null,
    );
  } else {
    clear(
      main,
      h("h1", { tabindex: "-1" }, "Something went wrong"),
      h("p", { class: "error" }, err.message || String(err)),
      h("p", {}, h("a", { href: "#/" }, "Back to the incidents")),
    );
  }
  focusHeading();
}

export function focusHeading() {
  const heading = main.querySelector("h1");
  if (heading) {
    heading.setAttribute("tabindex", "-1");
    heading.focus({ preventScroll: true });
  }
}

function parseHash() {
  const raw = location.hash.replace(/^#/, "") || "/";
  const [path, query = ""] = raw.split("?");
  return { parts: path.split("/").filter(Boolean), params: new URLSearchParams(query) };
}

let generation = 0;
export async function route() {
  generation += 1;
  const mine = generation;
  const { parts, params } = parseHash();
  const ctx = {
    main,
    params,
    stale: () => mine !== generation,
    focus: focusHeading,
  };
  try {
    if (parts.length === 0) await renderList(ctx);
    else if (parts[0] === "incidents" && parts[1] && parts[2] === "new") await renderClaimForm(ctx, { mode: "create", incidentId: parts[1] });
    else if (parts[0] === "incidents" && parts[1]) await renderIncident(ctx, parts[1]);
    else if (parts[0] === "claims" && parts[1] && parts[2] === "edit") await renderClaimForm(ctx, { mode: "edit", claimId: parts[1] });
    else if (parts[0] === "claims" && parts[1] && parts[2] === "supersede") await renderClaimForm(ctx, { mode: "supersede", claimId: parts[1] });
    else if (parts[0] === "claims" && parts[1] && parts[2] === "history") await renderHistory(ctx, parts[1]);
    else {
      await auth.ready;
      clear(main, h("h1", {}, "Not found"), h("p", {}, h("a", { href: "#/" }, "Back to the incidents")));
      focusHeading();
    }
    if (!ctx.stale()) main.dataset.routedAt = String(Math.round(performance.now()));
  } catch (err) {
    if (!ctx.stale()) showError(err);
  }
}

window.addEventListener("hashchange", () => {
  announce("");
  route();
});

async function start() {
  // who the key is and the first page's data are fetched at the same time
  auth.ready = whoami()
    .catch((err) => announce(`Could not check the saved key: ${err.message}`, "error"))
    .finally(renderAccount);
  await route();
  document.body.dataset.ready = "true";
}
start();
