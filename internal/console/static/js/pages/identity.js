// Users with keys, groups and policies of an SVM's S3 service (ONTAP).

import { h, field, form, table, dialog, btn, notice, section, when, errorBox, nextId } from "../ui.js";
import { ontap, records, ApiError } from "../api.js";
import { svmPicker, showSecret } from "./common.js";

const reload = () => window.dispatchEvent(new HashChangeEvent("hashchange"));
const base = (svm) => "/protocols/s3/services/" + svm.uuid;

async function picked(root, params) {
  const p = await svmPicker(params, (uuid) => { location.hash = location.hash.split("?")[0] + "?svm=" + uuid; });
  if (!p) {
    root.append(h("p", { class: "empty", role: "status" }, "No tenant has an S3 service yet: create one under ", h("a", { href: "#/tenants" }, "Tenants"), "."));
    return null;
  }
  root.append(h("div", { class: "toolbar" }, p.el));
  return p.svm;
}

export async function renderUsers(root, params) {
  const svm = await picked(root, params);
  if (!svm) return;
  const users = await records(base(svm) + "/users", { fields: "name,comment,access_key,key_expiry_time,keys" });
  root.append(section("Create a user", form([
    field("Name", h("input", { name: "name", required: true, id: "user-name" })),
    field("Comment", h("input", { name: "comment", id: "user-comment" })),
    field("Key lifetime", h("input", { name: "ttl", id: "user-ttl", placeholder: "P90D" }), "Optional ISO 8601 duration (P90D, PT12H); empty: the keys never expire."),
  ], "Create user", async (d) => {
    const r = await ontap("POST", base(svm) + "/users", { body: { name: d.name, comment: d.comment || undefined, key_time_to_live: d.ttl || undefined } });
    const u = r.records[0];
    showSecret({ title: `Keys of ${d.name}`, user: d.name, svm, accessKey: u.access_key, secretKey: u.secret_key, expiry: u.key_expiry_time })
      .el.addEventListener("close", reload);
  }, { id: "create-user" })));
  root.append(section("Users", table("Users", [
    { label: "Name", get: (u) => h("strong", {}, u.name) },
    { label: "Access key", get: (u) => h("span", { class: "mono", title: u.access_key }, u.access_key ? u.access_key.slice(0, 20) + (u.access_key.length > 20 ? "…" : "") : "none") },
    { label: "Secret key", get: () => h("span", { class: "muted" }, "shown once, at creation or rotation") },
    { label: "Keys expire", get: (u) => (u.key_expiry_time ? when(u.key_expiry_time) : "never") },
    { label: "Comment", get: (u) => u.comment || "" },
    { label: "Actions", get: (u) => h("div", { class: "actions" },
      btn("Rotate key", () => rotate(svm, u), "small"),
      btn("Delete", async () => {
        if (!confirm(`Delete user ${u.name}?`)) return;
        try { await ontap("DELETE", base(svm) + "/users/" + encodeURIComponent(u.name)); notice(`User ${u.name} deleted.`, "ok"); reload(); } catch (e) { notice(e.message, "error"); }
      }, "small danger")) },
  ], users, "No user yet.")));
}

function rotate(svm, u) {
  const d = dialog(`Rotate the keys of ${u.name}`, form([
    h("p", {}, "New keys replace the current ones; the old access key stops working at once."),
    field("Key lifetime", h("input", { name: "ttl", placeholder: "P90D", id: "rotate-ttl" }), "Optional ISO 8601 duration; empty: never expire."),
  ], "Rotate", async (x) => {
    const r = await ontap("PATCH", base(svm) + "/users/" + encodeURIComponent(u.name), {
      query: { regenerate_keys: "true" }, body: x.ttl ? { key_time_to_live: x.ttl } : {} });
    d.close();
    const k = r.records[0];
    showSecret({ title: `New keys of ${u.name}`, user: u.name, svm, accessKey: k.access_key, secretKey: k.secret_key, expiry: k.key_expiry_time || k.expiry_time })
      .el.addEventListener("close", reload);
  }, { id: "rotate-form" }));
}

export async function renderGroups(root, params) {
  const svm = await picked(root, params);
  if (!svm) return;
  const [groups, users, policies] = await Promise.all([
    records(base(svm) + "/groups", { fields: "*" }),
    records(base(svm) + "/users", { fields: "name" }),
    records(base(svm) + "/policies", { fields: "name" }),
  ]);
  const multi = (name, items, selected = []) => h("select", { name, multiple: true, size: Math.min(6, Math.max(2, items.length)) },
    items.map((n) => h("option", { value: n, selected: selected.includes(n) }, n)));
  const values = (f, name) => [...f.querySelector(`[name=${name}]`).selectedOptions].map((o) => ({ name: o.value }));
  const groupForm = (g, onsave) => form([
    g ? null : field("Name", h("input", { name: "name", required: true, id: "group-name" })),
    field("Comment", h("input", { name: "comment", value: g?.comment || "" })),
    field("Users", multi("users", users.map((u) => u.name), (g?.users || []).map((u) => u.name)), "Ctrl or Shift to choose several."),
    field("Policies", multi("policies", policies.map((p) => p.name), (g?.policies || []).map((p) => p.name))),
  ], g ? "Save" : "Create group", async (d, f) => onsave({ ...(g ? {} : { name: d.name }), comment: d.comment, users: values(f, "users"), policies: values(f, "policies") }));
  root.append(section("Create a group", groupForm(null, async (body) => {
    await ontap("POST", base(svm) + "/groups", { body });
    notice(`Group ${body.name} created.`, "ok");
    reload();
  })));
  root.append(section("Groups", table("Groups", [
    { label: "Id", get: (g) => String(g.id) },
    { label: "Name", get: (g) => h("strong", {}, g.name) },
    { label: "Users", get: (g) => (g.users || []).map((u) => u.name).join(", ") },
    { label: "Policies", get: (g) => (g.policies || []).map((p) => p.name).join(", ") },
    { label: "Actions", get: (g) => h("div", { class: "actions" },
      btn("Edit", () => {
        const d = dialog(`Group ${g.name}`, groupForm(g, async (body) => {
          await ontap("PATCH", base(svm) + "/groups/" + g.id, { body });
          d.close();
          reload();
        }));
      }, "small"),
      btn("Delete", async () => {
        if (!confirm(`Delete group ${g.name}?`)) return;
        try { await ontap("DELETE", base(svm) + "/groups/" + g.id); reload(); } catch (e) { notice(e.message, "error"); }
      }, "small danger")) },
  ], groups, "No group yet.")));
}

// validateStatements checks a policy's statements before they are sent:
// JSON, an array of {effect, actions, resources[, sid]}. The core checks
// the rest (action names, resources) and its answer is shown as well.
export function validateStatements(text) {
  let v;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw new ApiError("The statements are not valid JSON: " + e.message, { target: "statements" });
  }
  if (v && !Array.isArray(v) && Array.isArray(v.statements)) v = v.statements;
  if (!Array.isArray(v) || v.length === 0) throw new ApiError("The statements must be a non-empty JSON array.", { target: "statements" });
  v.forEach((st, i) => {
    const at = `Statement ${i + 1}: `;
    if (!st || typeof st !== "object" || Array.isArray(st)) throw new ApiError(at + "must be an object.", { target: "statements" });
    for (const k of Object.keys(st)) {
      if (!["sid", "effect", "actions", "resources", "principals", "conditions", "index"].includes(k)) throw new ApiError(at + `unknown field "${k}".`, { target: "statements" });
    }
    if (!["allow", "deny"].includes(st.effect)) throw new ApiError(at + 'effect must be "allow" or "deny".', { target: "statements" });
    for (const k of ["actions", "resources"]) {
      if (!Array.isArray(st[k]) || st[k].length === 0 || !st[k].every((x) => typeof x === "string" && x !== "")) {
        throw new ApiError(at + `${k} must be a non-empty array of strings.`, { target: "statements" });
      }
    }
  });
  return v;
}

// jsonEditor is a textarea that validates as one types.
export function jsonEditor(name, value, validate, label) {
  // A dialog's editor must not reuse the id of the page's own.
  const id = document.getElementById("json-" + name) ? nextId("json-" + name) : "json-" + name;
  const ta = h("textarea", { name, spellcheck: "false", id, "aria-invalid": "false" }, value);
  const msg = h("div", { class: "json-status", "aria-live": "polite", id: id + "-status" });
  const check = () => {
    try {
      validate(ta.value);
      ta.classList.remove("invalid");
      ta.setAttribute("aria-invalid", "false");
      msg.replaceChildren(h("span", { class: "okmsg" }, "Valid."));
    } catch (e) {
      ta.classList.add("invalid");
      ta.setAttribute("aria-invalid", "true");
      msg.replaceChildren(errorBox(e));
    }
  };
  ta.addEventListener("input", check);
  ta.setAttribute("aria-describedby", msg.id);
  return h("div", { class: "field" }, h("label", { for: ta.id }, label), ta, msg);
}

const EXAMPLE = JSON.stringify([{ sid: "ReadBucket", effect: "allow", actions: ["GetObject", "ListBucket"], resources: ["bucket", "bucket/*"] }], null, 2);

export async function renderPolicies(root, params) {
  const svm = await picked(root, params);
  if (!svm) return;
  const policies = await records(base(svm) + "/policies", { fields: "*" });
  const policyForm = (p, onsave) => form([
    p ? null : field("Name", h("input", { name: "name", required: true, id: "policy-name" })),
    field("Comment", h("input", { name: "comment", value: p?.comment || "" })),
    jsonEditor("statements", p ? JSON.stringify(p.statements.map(({ index, ...st }) => st), null, 2) : EXAMPLE, validateStatements, "Statements (JSON)"),
  ], p ? "Save policy" : "Create policy", async (d) => {
    const statements = validateStatements(d.statements);
    await onsave({ ...(p ? {} : { name: d.name }), comment: d.comment || undefined, statements });
  }, { id: p ? "edit-policy" : "create-policy" });
  root.append(section("Create a policy", policyForm(null, async (body) => {
    await ontap("POST", base(svm) + "/policies", { body });
    notice(`Policy ${body.name} created.`, "ok");
    reload();
  })));
  root.append(section("Policies", table("Policies", [
    { label: "Name", get: (p) => h("strong", {}, p.name) },
    { label: "Comment", get: (p) => p.comment || "" },
    { label: "Statements", get: (p) => h("span", { class: "mono" }, (p.statements || []).map((s) => `${s.effect} ${s.actions.join(",")} on ${s.resources.join(",")}`).join("; ")) },
    { label: "Actions", get: (p) => (p["read-only"] ? h("span", { class: "badge" }, "built-in") : h("div", { class: "actions" },
      btn("Edit", () => {
        const d = dialog(`Policy ${p.name}`, policyForm(p, async (body) => {
          await ontap("PATCH", base(svm) + "/policies/" + encodeURIComponent(p.name), { body });
          d.close();
          reload();
        }));
      }, "small"),
      btn("Delete", async () => {
        if (!confirm(`Delete policy ${p.name}?`)) return;
        try { await ontap("DELETE", base(svm) + "/policies/" + encodeURIComponent(p.name)); reload(); } catch (e) { notice(e.message, "error"); }
      }, "small danger"))) },
  ], policies, "No policy yet.")));
}
