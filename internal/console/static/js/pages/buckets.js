// Buckets of an SVM (ONTAP): create with quota, versioning, object locking
// (ONTAP's retention) and policy; edit policy, versioning and quota; CORS,
// lifecycle, tags and Object Lock through S3 with the object browser's keys
// (lifecycle and Object Lock as forms, bucketforms.js, or as XML).

import { h, field, form, table, dialog, btn, notice, section, bytes, errorBox } from "../ui.js";
import { ontap, ontapJob, records, ApiError } from "../api.js";
import { svmPicker } from "./common.js";
import { validateStatements, jsonEditor } from "./identity.js";
import * as s3 from "../s3.js";
import { lifecycleForm, objectLockForm } from "./bucketforms.js";

const reload = () => window.dispatchEvent(new HashChangeEvent("hashchange"));
const MIN_SIZE = 190 * 1024 * 1024;

function validatePolicy(text) {
  if (!text.trim()) return null;
  const st = validateStatements(text);
  st.forEach((x, i) => {
    if (x.principals !== undefined && (!Array.isArray(x.principals) || !x.principals.every((p) => typeof p === "string"))) {
      throw new ApiError(`Statement ${i + 1}: principals must be an array of user or group names.`, { target: "policy" });
    }
  });
  return st;
}

export async function render(root, params) {
  const p = await svmPicker(params, (uuid) => { location.hash = "#/buckets?svm=" + uuid; });
  if (!p) {
    root.append(h("p", { class: "empty", role: "status" }, "No tenant has an S3 service yet: create one under ", h("a", { href: "#/tenants" }, "Tenants"), "."));
    return;
  }
  const svm = p.svm;
  const base = "/protocols/s3/services/" + svm.uuid + "/buckets";
  root.append(h("div", { class: "toolbar" }, p.el));
  const [buckets, users] = await Promise.all([
    records(base, { fields: "name,uuid,size,logical_used_size,versioning_state,comment,policy,retention" }),
    records("/protocols/s3/services/" + svm.uuid + "/users", { fields: "name" }),
  ]);

  const grant = h("select", { name: "grant", id: "bucket-grant" }, h("option", { value: "" }, "(nobody: only the root user)"),
    users.filter((u) => u.name !== "root").map((u) => h("option", { value: u.name }, u.name)));
  const create = form([
    field("Name", h("input", { name: "name", required: true, id: "bucket-name", autocomplete: "off" }), "3 to 63 lower-case letters, digits, dots and hyphens."),
    field("Comment", h("input", { name: "comment", id: "bucket-comment" })),
    field("Quota (GiB)", h("input", { name: "quota", type: "number", min: "0.19", step: "any", id: "bucket-quota" }), "Optional; at least 190 MiB."),
    field("Versioning", h("select", { name: "versioning", id: "bucket-versioning" }, h("option", { value: "disabled" }, "disabled"), h("option", { value: "enabled" }, "enabled"))),
    field("Object locking", h("select", { name: "lock", id: "bucket-lock" },
      [["no_lock", "off"], ["governance", "governance"], ["compliance", "compliance"]].map(([v, l]) => h("option", { value: v }, l))),
      "ONTAP's retention mode; set only at creation. Compliance-locked objects cannot be deleted before their retention ends."),
    field("Default retention", h("input", { name: "lockPeriod", type: "number", min: "1", step: "1", id: "bucket-lock-period" }), "Optional, with object locking: applied to objects written without their own retention."),
    field("Retention unit", h("select", { name: "lockUnit", id: "bucket-lock-unit" }, h("option", { value: "D" }, "days"), h("option", { value: "Y" }, "years"))),
    field("Grant full access to", grant, "Adds a bucket-policy statement for this user (or write your own below)."),
    jsonEditor("policy", "", validatePolicy, "Bucket policy statements (JSON, optional)"),
  ], "Create bucket", async (d) => {
    let statements = validatePolicy(d.policy) || [];
    if (d.grant) statements = [...statements, { sid: "ConsoleGrant", effect: "allow", principals: [d.grant], actions: ["*"], resources: [d.name, d.name + "/*"] }];
    const body = { name: d.name, comment: d.comment || undefined, versioning_state: d.versioning };
    if (d.quota) body.size = Math.round(Number(d.quota) * 1024 ** 3);
    if (body.size !== undefined && body.size < MIN_SIZE) throw new ApiError("The quota must be at least 190 MiB (0.19 GiB).", { target: "size" });
    if (statements.length) body.policy = { statements };
    if (d.lock !== "no_lock") {
      body.retention = { mode: d.lock };
      if (d.lockPeriod) body.retention.default_period = `P${Number(d.lockPeriod)}${d.lockUnit}`;
    } else if (d.lockPeriod) {
      throw new ApiError("A default retention needs object locking.", { target: "retention.default_period" });
    }
    await ontapJob("POST", base, { body });
    notice(`Bucket ${d.name} created.`, "ok");
    reload();
  }, { id: "create-bucket" });
  root.append(section("Create a bucket", create));
  root.append(section("Buckets", table("Buckets", [
    { label: "Name", get: (b) => h("a", { href: `#/objects?svm=${svm.uuid}&bucket=${encodeURIComponent(b.name)}` }, b.name) },
    { label: "Used", get: (b) => bytes(b.logical_used_size) + (b.size ? " of " + bytes(b.size) : "") },
    { label: "Usage", get: (b) => (b.size ? h("meter", { min: "0", max: String(b.size), value: String(b.logical_used_size || 0), "aria-label": `${b.name} usage` }) : "") },
    { label: "Versioning", get: (b) => b.versioning_state },
    { label: "Locking", get: (b) => (b.retention && b.retention.mode !== "no_lock" ? b.retention.mode + (b.retention.default_period ? " " + b.retention.default_period : "") : "off") },
    { label: "Policy", get: (b) => `${(b.policy?.statements || []).length} statements` },
    { label: "Actions", get: (b) => h("div", { class: "actions" },
      btn("Settings", () => settings(svm, base, b), "small"),
      btn("CORS, lifecycle, tags, lock", () => s3Configs(b), "small"),
      btn("Delete", async () => {
        if (!confirm(`Delete bucket ${b.name}? It must be empty.`)) return;
        try { await ontapJob("DELETE", base + "/" + b.uuid); notice(`Bucket ${b.name} deleted.`, "ok"); reload(); } catch (e) { notice(e.message, "error"); }
      }, "small danger")) },
  ], buckets, "No bucket yet.")));
}

function settings(svm, base, b) {
  const cur = JSON.stringify((b.policy?.statements || []).map(({ index, ...st }) => st), null, 2);
  const d = dialog(`Bucket ${b.name}`, form([
    field("Comment", h("input", { name: "comment", value: b.comment || "" })),
    field("Quota (GiB)", h("input", { name: "quota", type: "number", step: "any", min: "0.19", value: b.size ? (b.size / 1024 ** 3).toFixed(2) : "" })),
    field("Versioning", h("select", { name: "versioning" },
      ["enabled", "suspended", ...(b.versioning_state === "disabled" ? ["disabled"] : [])].map((v) => h("option", { value: v, selected: v === b.versioning_state }, v)))),
    jsonEditor("policy", cur === "[]" ? "" : cur, validatePolicy, "Bucket policy statements (JSON; empty removes the policy)"),
  ], "Save", async (x) => {
    const body = { comment: x.comment, policy: { statements: validatePolicy(x.policy) || [] } };
    if (x.versioning !== b.versioning_state) body.versioning_state = x.versioning;
    if (x.quota) body.size = Math.round(Number(x.quota) * 1024 ** 3);
    await ontapJob("PATCH", base + "/" + b.uuid, { body });
    d.close();
    notice(`Bucket ${b.name} saved.`, "ok");
    reload();
  }, { id: "bucket-settings" }));
}

const TEMPLATES = {
  cors: "<CORSConfiguration>\n  <CORSRule>\n    <AllowedOrigin>https://example.com</AllowedOrigin>\n    <AllowedMethod>GET</AllowedMethod>\n  </CORSRule>\n</CORSConfiguration>",
  lifecycle: "<LifecycleConfiguration>\n  <Rule>\n    <ID>expire-old-versions</ID>\n    <Filter><Prefix></Prefix></Filter>\n    <Status>Enabled</Status>\n    <NoncurrentVersionExpiration><NoncurrentDays>30</NoncurrentDays></NoncurrentVersionExpiration>\n  </Rule>\n</LifecycleConfiguration>",
  tagging: "<Tagging><TagSet><Tag><Key>team</Key><Value>one</Value></Tag></TagSet></Tagging>",
  "object-lock": "<ObjectLockConfiguration>\n  <ObjectLockEnabled>Enabled</ObjectLockEnabled>\n  <Rule><DefaultRetention><Mode>GOVERNANCE</Mode><Days>30</Days></DefaultRetention></Rule>\n</ObjectLockConfiguration>",
};

const LABELS = { cors: "CORS (XML)", lifecycle: "Lifecycle (XML)", tagging: "Tags (XML)", "object-lock": "Object Lock (XML; needs versioning, cannot be turned off)" };

// FORMS are the structured editors; their XML stays behind an "advanced"
// toggle.
const FORMS = { lifecycle: lifecycleForm, "object-lock": objectLockForm };

// s3Configs edits the bucket's S3 sub-resources, signed with the object
// browser's keys (the management dialects have no call for them): CORS and
// tags as XML, lifecycle and Object Lock as forms (or XML).
async function s3Configs(b) {
  const body = h("div", {});
  const d = dialog(`S3 settings of ${b.name}`, body);
  if (!s3.keys.get()) {
    body.append(h("p", {}, "These settings are S3 calls: the console signs them with an S3 user's keys. Set keys in the ",
      h("a", { href: "#/objects", onclick: () => d.close() }, "object browser"), " first."));
    return;
  }
  body.append(h("p", { class: "muted" }, `Signed as ${s3.keys.get().label}. Empty saves delete the configuration.`));
  for (const name of ["cors", "lifecycle", "tagging", "object-lock"]) {
    const box = h("div", { id: `cfg-box-${name}` });
    body.append(box);
    await configBox(b, name, box);
  }
}

// configBox (re)loads one sub-resource and renders its editor; a save
// reloads it from S3, so the form shows what S3 stored.
async function configBox(b, name, box) {
  let cur = "";
  let err = null;
  try { cur = await s3.getConfig(b.name, name); } catch (e) { err = e; }
  const saved = async (xml) => {
    if (name === "object-lock" && !xml.trim()) throw new Error("Object Lock cannot be removed from a bucket.");
    await s3.putConfig(b.name, name, xml);
    notice(`${name} of ${b.name} saved.`, "ok");
    await configBox(b, name, box);
  };
  const ta = h("textarea", { name: "xml", id: `cfg-${name}`, spellcheck: "false" }, cur);
  const xmlForm = form([h("div", { class: "field" }, h("label", { for: ta.id }, LABELS[name]), ta),
    err && !FORMS[name] ? errorBox(err) : null,
    cur ? null : h("button", { type: "button", class: "small", onclick: () => { ta.value = TEMPLATES[name]; } }, "Insert an example")],
  "Save " + name + (FORMS[name] ? " XML" : ""), (x) => saved(x.xml));
  if (!FORMS[name]) {
    box.replaceChildren(xmlForm);
    return;
  }
  let structured;
  try { structured = FORMS[name](err ? "" : cur, saved); } catch (e) { structured = errorBox(e); }
  box.replaceChildren(...[err ? errorBox(err) : null, structured,
    h("details", { class: "advanced" }, h("summary", {}, `Advanced: ${name} as XML`), xmlForm)].filter(Boolean));
}
