// The claim form (editors): filled in by the next change.
import { clear, h } from "./dom.js";

export async function renderClaimForm(ctx) {
  clear(ctx.main, h("h1", {}, "Claim form"), h("p", {}, "Coming soon."));
  ctx.focus();
}
