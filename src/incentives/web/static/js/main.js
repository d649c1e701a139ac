// The page's frame: sign-in, navigation by role and a router on the location's hash
// ("#/pay", "#/people/rep-7", "#/tv?rotate=20"). Other hashes (the skip link) are left
// to the browser.
import { api, token, whenSignedOut } from "./api.js";
import { fill, h } from "./dom.js";
import * as audit from "./views/audit.js";
import * as boards from "./views/boards.js";
import * as contestForm from "./views/contest-form.js";
import * as disputes from "./views/disputes.js";
import * as finance from "./views/finance.js";
import * as pay from "./views/pay.js";
import * as payouts from "./views/payouts.js";
import * as signin from "./views/signin.js";
import * as statement from "./views/statement.js";
import * as team from "./views/team.js";
import * as tv from "./views/tv.js";
import * as webhookForm from "./views/webhook-form.js";
import * as webhookLog from "./views/webhook-log.js";
import * as webhooks from "./views/webhooks.js";

const PAYEES = ["rep", "manager"];
const MANAGERS = ["manager", "finance", "admin"];
const FINANCE = ["finance", "admin"];

// Route: [pattern, view, who may open it, label in the navigation (if any), who sees
// the label (by default, who may open it)].
const ROUTES = [
  [/^pay$/, pay, PAYEES, "My pay"],
  // Anyone may ask; the API answers for whose pay they may see.
  [/^people\/([^/]+)$/, pay, null, null],
  // Anyone may ask; the API answers for the statements they may see.
  [/^statements\/(\d+)$/, statement, null, null],
  [/^team$/, team, MANAGERS, "Team"],
  [/^contests\/new$/, contestForm, MANAGERS, "New contest"],
  [/^finance$/, finance, FINANCE, "Finance"],
  [/^payouts$/, payouts, FINANCE, "Payouts"],
  [/^disputes$/, disputes, FINANCE, "Disputes"],
  [/^audit$/, audit, FINANCE, "Audit"],
  // Anyone may ask; the API refuses whoever is not finance or admin, in its own words.
  [/^webhooks$/, webhooks, null, "Webhooks", FINANCE],
  [/^webhooks\/new$/, webhookForm, null, null],
  [/^webhooks\/(\d+)$/, webhookLog, null, null],
  [/^boards$/, boards, null, "Leaderboards"],
  [/^tv$/, tv, null, null],
];

const view = document.getElementById("view");
let me = null;
let cleanup = null;

function home() {
  if (!me) return "signin";
  if (me.role === "display") return "tv"; // an office screen: its boards, nothing of pay
  if (PAYEES.includes(me.role)) return "pay";
  if (FINANCE.includes(me.role)) return "finance";
  return "boards";
}

function where() {
  const raw = location.hash.startsWith("#/") ? location.hash.slice(2) : "";
  const [path, query = ""] = raw.split("?");
  return { path, query: new URLSearchParams(query) };
}

function renderNav(current) {
  const nav = document.getElementById("nav");
  const links = ROUTES.filter(([, , roles, label, shownTo = roles]) => label && (!shownTo || shownTo.includes(me.role)));
  fill(
    nav,
    links.map(([pattern, , , label]) => {
      const path = pattern.source.replace(/^\^|\$$/g, "").replace("\\/", "/");
      // A page under a section ("webhooks/3") marks the section's entry.
      const here = path === current || current.startsWith(`${path}/`);
      return h("a", { href: `#/${path}`, "aria-current": here ? "page" : null }, label);
    }),
  );
  nav.hidden = false;
  document.getElementById("who").textContent = `${me.name} · ${me.role}`;
  document.getElementById("signout").hidden = false;
}

async function route() {
  if (!location.hash.startsWith("#/") && location.hash !== "") return;
  if (cleanup) cleanup();
  cleanup = null;
  document.body.classList.remove("tv");
  const { path, query } = where();
  if (!me || path === "signin") {
    if (me) return go(home());
    document.getElementById("nav").hidden = true;
    document.getElementById("signout").hidden = true;
    document.getElementById("who").textContent = "";
    cleanup = signin.render(view, { done: start });
    return;
  }
  const match = ROUTES.map(([pattern, module, roles]) => [pattern.exec(path), module, roles]).find(([m]) => m);
  if (!match) return go(home());
  const [found, module, roles] = match;
  renderNav(path);
  // Each visit renders into a container of its own, so a slow answer for the page just
  // left lands in a detached element instead of over the page now shown.
  const screen = h("div", {});
  fill(view, screen);
  if (roles && !roles.includes(me.role)) {
    screen.append(h("h1", {}, "Not available"), h("p", { class: "notice" }, `This page is not open to the ${me.role} role.`));
    return;
  }
  cleanup = module.render(screen, { me, params: found.slice(1), query }) || null;
  if (document.activeElement === document.body) view.focus({ preventScroll: true });
}

function go(path) {
  if (location.hash === `#/${path}`) route();
  else location.hash = `#/${path}`;
}

async function start() {
  try {
    me = token.get() ? await api("/me") : null;
  } catch {
    me = null;
  }
  const { path } = where();
  if (!me || path === "signin" || path === "") go(home());
  else route();
}

function signOut() {
  token.clear();
  me = null;
  go("signin");
}

// A token refused mid-session (revoked, say) signs out; a refused sign-in stays put.
whenSignedOut(() => { if (me) signOut(); });
document.getElementById("signout").addEventListener("click", signOut);
window.addEventListener("hashchange", route);
start();
