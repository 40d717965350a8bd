// The console's shell: login, navigation (hash routes), session expiry.

import { h, field, form, notice } from "./ui.js";
import { session, login, logout } from "./api.js";
import * as dashboard from "./pages/dashboard.js";
import * as tenants from "./pages/tenants.js";
import * as identity from "./pages/identity.js";
import * as buckets from "./pages/buckets.js";
import * as objects from "./pages/objects.js";
import * as backup from "./pages/backup.js";
import * as audit from "./pages/audit.js";
import * as mykeys from "./pages/mykeys.js";

// pages: route → [nav group, title, render(main, params)].
const pages = {
  dashboard: ["Overview", "Dashboard", dashboard.render],
  tenants: ["Storage", "Tenants (SVMs)", tenants.render],
  users: ["Storage", "Users and keys", identity.renderUsers],
  groups: ["Storage", "Groups", identity.renderGroups],
  policies: ["Storage", "Policies", identity.renderPolicies],
  buckets: ["Storage", "Buckets", buckets.render],
  objects: ["Storage", "Object browser", objects.render],
  plans: ["Backup (Commvault)", "Plans", backup.renderPlans],
  vaults: ["Backup (Commvault)", "Vaults", backup.renderVaults],
  clients: ["Backup (Commvault)", "Clients and nodes", backup.renderClients],
  jobs: ["Backup (Commvault)", "Jobs", backup.renderJobs],
  audit: ["Security", "Audit log", audit.render],
  mykeys: ["My account", "My S3 keys", mykeys.render],
};

// userPages are the pages a tenant user (not an administrator) sees.
const userPages = ["mykeys", "objects"];

function visible(s) {
  return Object.fromEntries(Object.entries(pages).filter(([name]) => (s.role === "user" ? userPages.includes(name) : name !== "mykeys")));
}

const main = () => document.getElementById("main");

function parseHash() {
  const raw = location.hash.replace(/^#\/?/, "");
  const [name, q] = raw.split("?");
  return { name: name || "dashboard", params: new URLSearchParams(q || "") };
}

function renderNav(current, shown) {
  const nav = document.getElementById("nav");
  nav.hidden = false;
  const items = [];
  let group = "";
  for (const [name, [g, title]] of Object.entries(shown)) {
    if (g !== group) {
      group = g;
      items.push(h("div", { class: "group", "aria-hidden": "true" }, g));
    }
    items.push(h("a", { href: "#/" + name, "aria-current": name === current ? "page" : null }, title));
  }
  items.push(h("div", { class: "group", "aria-hidden": "true" }, "Reference"));
  items.push(h("a", { href: "/docs/api", target: "_blank", rel: "noopener" }, "API documents (OpenAPI)"));
  nav.replaceChildren(...items);
  const toggle = document.getElementById("menu-toggle");
  toggle.hidden = false;
  nav.classList.remove("open");
  toggle.setAttribute("aria-expanded", "false");
}

function renderWho(s) {
  const who = document.getElementById("who");
  who.replaceChildren(h("span", { class: "name" }, "Signed in as ", h("strong", {}, s.user)),
    h("button", { type: "button", id: "logout", onclick: async () => { await logout(); notice("You are logged out."); route(); } }, "Log out"));
}

function renderLogin(message) {
  document.getElementById("nav").hidden = true;
  document.getElementById("menu-toggle").hidden = true;
  document.getElementById("who").replaceChildren();
  const user = h("input", { name: "username", autocomplete: "username", required: true, value: "admin" });
  const pass = h("input", { name: "password", type: "password", autocomplete: "current-password", required: true });
  const f = form([field("User name", user), field("Password", pass)], "Log in", async (d) => {
    await login(d.username, d.password);
    route();
  }, { id: "login-form", "aria-label": "Log in" });
  main().replaceChildren(h("div", { class: "login card" }, h("h1", {}, "Coffer console"),
    message ? h("p", { class: "error", role: "alert", id: "session-message" }, message) : null,
    h("p", { class: "muted" }, "Log in with a cluster administrator account (the ONTAP and Commvault APIs' accounts), ",
      "or as a user with a password (its own S3 keys and the object browser)."), f));
  pass.focus();
  main().dataset.ready = "login";
}

let renderSeq = 0;

export async function route() {
  const s = session.get();
  if (!s) {
    renderLogin(session.expired ? "Your session expired; log in again." : "");
    return;
  }
  const { name, params } = parseHash();
  const shown = visible(s);
  const home = s.role === "user" ? "mykeys" : "dashboard";
  const key = shown[name] ? name : home;
  const page = shown[key];
  renderNav(key, shown);
  renderWho(s);
  document.title = page[1] + " · Coffer console";
  const m = main();
  const seq = ++renderSeq;
  m.removeAttribute("data-ready");
  m.replaceChildren(h("h1", {}, page[1]), h("p", { class: "muted", role: "status" }, "Loading…"));
  try {
    const content = h("div", { class: "page", id: "page-" + key });
    await page[2](content, params, () => seq === renderSeq);
    if (seq !== renderSeq) return;
    m.replaceChildren(h("h1", {}, page[1]), content);
  } catch (e) {
    if (seq !== renderSeq) return;
    if (e.status === 401) return;
    m.replaceChildren(h("h1", {}, page[1]), h("div", { class: "error", role: "alert" }, e.message || String(e)));
  }
  m.dataset.ready = key;
}

window.addEventListener("hashchange", () => { route(); main().focus(); });
window.addEventListener("coffer-session-expired", () => renderLogin("Your session expired; log in again."));
// Idle expiry: session.get() drops a session unused for 30 minutes.
setInterval(() => {
  if (document.getElementById("login-form")) return;
  if (!session.get()) renderLogin("Your session expired; log in again.");
}, 15000);

document.getElementById("menu-toggle").addEventListener("click", () => {
  const nav = document.getElementById("nav");
  const open = nav.classList.toggle("open");
  document.getElementById("menu-toggle").setAttribute("aria-expanded", String(open));
  if (open) nav.querySelector("a")?.focus();
});
document.addEventListener("keydown", (e) => {
  const nav = document.getElementById("nav");
  if (e.key === "Escape" && nav.classList.contains("open")) {
    nav.classList.remove("open");
    document.getElementById("menu-toggle").setAttribute("aria-expanded", "false");
    document.getElementById("menu-toggle").focus();
  }
});

route();
