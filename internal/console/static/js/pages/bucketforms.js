// Structured forms for a bucket's lifecycle and Object Lock configurations
// and an object version's retention and legal hold. They build and read
// S3's own XML documents in the browser and save them with S3's own calls
// (Put/GetBucketLifecycleConfiguration, Put/GetObjectLockConfiguration,
// Put/GetObjectRetention, Put/GetObjectLegalHold), signed with the object
// browser's keys: the core checks every rule, the forms only lay it out.

import { h, field, form } from "../ui.js";
import { ApiError } from "../api.js";

const NS = "http://s3.amazonaws.com/doc/2006-03-01/";

function esc(s) {
  return String(s).replace(/[<>&'"]/g, (c) => ({ "<": "&lt;", ">": "&gt;", "&": "&amp;", "'": "&apos;", '"': "&quot;" })[c]);
}

function parse(xml) {
  if (!xml || !xml.trim()) return null;
  const d = new DOMParser().parseFromString(xml, "application/xml");
  if (d.querySelector("parsererror")) throw new ApiError("The stored configuration is not well-formed XML.");
  return d;
}

// kid is the text of el's first child element named name ("" if none).
function kid(el, name) {
  if (!el) return "";
  for (const c of el.children) if (c.localName === name) return c.textContent.trim();
  return "";
}

function kidEl(el, name) {
  if (!el) return null;
  for (const c of el.children) if (c.localName === name) return c;
  return null;
}

function kids(el, name) {
  return el ? [...el.children].filter((c) => c.localName === name) : [];
}

// --- lifecycle ---------------------------------------------------------------

// Known lists the rule elements the form shows; a stored rule with others
// (transitions, size filters) is shown with a warning that saving the form
// drops them.
const KNOWN_RULE = new Set(["ID", "Prefix", "Filter", "Status", "Expiration", "NoncurrentVersionExpiration", "AbortIncompleteMultipartUpload"]);

// parseLifecycle reads a LifecycleConfiguration into plain rules.
export function parseLifecycle(xml) {
  const d = parse(xml);
  const out = { rules: [], dropped: [] };
  if (!d) return out;
  for (const r of kids(d.documentElement, "Rule")) {
    for (const c of r.children) if (!KNOWN_RULE.has(c.localName)) out.dropped.push(c.localName);
    const f = kidEl(r, "Filter");
    const and = kidEl(f, "And");
    const filterOf = and || f;
    for (const c of filterOf ? filterOf.children : []) if (!["Prefix", "Tag", "And"].includes(c.localName)) out.dropped.push(c.localName);
    const exp = kidEl(r, "Expiration");
    const nc = kidEl(r, "NoncurrentVersionExpiration");
    out.rules.push({
      id: kid(r, "ID"),
      status: kid(r, "Status") || "Enabled",
      prefix: filterOf ? kid(filterOf, "Prefix") : kid(r, "Prefix"),
      tags: kids(filterOf, "Tag").map((t) => [kid(t, "Key"), kid(t, "Value")]),
      expDays: kid(exp, "Days"),
      expDate: kid(exp, "Date").slice(0, 10),
      expMarker: kid(exp, "ExpiredObjectDeleteMarker") === "true",
      ncDays: kid(nc, "NoncurrentDays"),
      ncNewer: kid(nc, "NewerNoncurrentVersions"),
      abortDays: kid(kidEl(r, "AbortIncompleteMultipartUpload"), "DaysAfterInitiation"),
    });
  }
  return out;
}

function tagXML([k, v]) {
  return `<Tag><Key>${esc(k)}</Key><Value>${esc(v)}</Value></Tag>`;
}

// lifecycleXML builds the LifecycleConfiguration of rules ("" for none:
// the caller deletes the configuration).
export function lifecycleXML(rules) {
  if (!rules.length) return "";
  const body = rules.map((r) => {
    let filter = "";
    const n = (r.prefix ? 1 : 0) + r.tags.length;
    if (n > 1) filter = "<And>" + (r.prefix ? `<Prefix>${esc(r.prefix)}</Prefix>` : "") + r.tags.map(tagXML).join("") + "</And>";
    else if (r.prefix) filter = `<Prefix>${esc(r.prefix)}</Prefix>`;
    else if (r.tags.length) filter = tagXML(r.tags[0]);
    let x = (r.id ? `<ID>${esc(r.id)}</ID>` : "") + `<Filter>${filter}</Filter><Status>${esc(r.status)}</Status>`;
    const exp = (r.expDays ? `<Days>${esc(r.expDays)}</Days>` : "") + (r.expDate ? `<Date>${esc(r.expDate)}T00:00:00.000Z</Date>` : "") +
      (r.expMarker ? "<ExpiredObjectDeleteMarker>true</ExpiredObjectDeleteMarker>" : "");
    if (exp) x += `<Expiration>${exp}</Expiration>`;
    const nc = (r.ncDays ? `<NoncurrentDays>${esc(r.ncDays)}</NoncurrentDays>` : "") +
      (r.ncNewer ? `<NewerNoncurrentVersions>${esc(r.ncNewer)}</NewerNoncurrentVersions>` : "");
    if (nc) x += `<NoncurrentVersionExpiration>${nc}</NoncurrentVersionExpiration>`;
    if (r.abortDays) x += `<AbortIncompleteMultipartUpload><DaysAfterInitiation>${esc(r.abortDays)}</DaysAfterInitiation></AbortIncompleteMultipartUpload>`;
    return `<Rule>${x}</Rule>`;
  }).join("");
  return `<LifecycleConfiguration xmlns="${NS}">${body}</LifecycleConfiguration>`;
}

function num(name, value, label, hint) {
  return field(label, h("input", { name, type: "number", min: "1", step: "1", value: value || "", inputmode: "numeric" }), hint);
}

// ruleFieldset is one rule's controls; read() returns the rule.
function ruleFieldset(r, onremove) {
  const legend = h("legend", {}, "Rule");
  const tags = h("textarea", { name: "tags", rows: "2" }, r.tags.map(([k, v]) => `${k}=${v}`).join("\n"));
  const marker = h("input", { name: "exp-marker", type: "checkbox", checked: r.expMarker });
  const fs = h("fieldset", { class: "lc-rule" }, legend,
    field("Rule ID", h("input", { name: "id", value: r.id, maxlength: "255", autocomplete: "off" })),
    field("Status", h("select", { name: "status" }, ["Enabled", "Disabled"].map((s) => h("option", { value: s, selected: s === r.status }, s)))),
    field("Prefix filter", h("input", { name: "prefix", value: r.prefix, autocomplete: "off" }), "Only keys starting with this; empty: every object."),
    field("Tag filter", tags, "One key=value a line; an object must carry every tag."),
    num("exp-days", r.expDays, "Expire current versions after (days)"),
    field("Expire current versions on (date)", h("input", { name: "exp-date", type: "date", value: r.expDate })),
    h("label", { class: "check" }, marker, "Remove expired object delete markers"),
    num("nc-days", r.ncDays, "Expire noncurrent versions after (days)"),
    num("nc-newer", r.ncNewer, "…but keep this many newer noncurrent versions", "Optional, with the days above."),
    num("abort-days", r.abortDays, "Abort incomplete multipart uploads after (days)"),
    h("div", { class: "actions" }, h("button", { type: "button", class: "small danger", onclick: () => { fs.remove(); onremove(); } }, "Remove rule")));
  fs.read = () => {
    const v = (n) => fs.querySelector(`[name="${n}"]`).value.trim();
    const tagList = v("tags").split("\n").map((l) => l.trim()).filter(Boolean).map((l) => {
      const i = l.indexOf("=");
      return i < 0 ? [l, ""] : [l.slice(0, i).trim(), l.slice(i + 1).trim()];
    });
    return { id: v("id"), status: v("status"), prefix: v("prefix"), tags: tagList, expDays: v("exp-days"), expDate: v("exp-date"),
      expMarker: fs.querySelector(`[name="exp-marker"]`).checked, ncDays: v("nc-days"), ncNewer: v("nc-newer"), abortDays: v("abort-days") };
  };
  return fs;
}

const EMPTY_RULE = { id: "", status: "Enabled", prefix: "", tags: [], expDays: "", expDate: "", expMarker: false, ncDays: "", ncNewer: "", abortDays: "" };

// lifecycleForm edits the rules of xml; save(xml) stores the result ("":
// delete the configuration).
export function lifecycleForm(xml, save) {
  const parsed = parseLifecycle(xml);
  const list = h("div", { class: "lc-rules" });
  const renumber = () => [...list.children].forEach((fs, i) => { fs.querySelector("legend").textContent = `Rule ${i + 1}`; });
  const add = (r) => { list.append(ruleFieldset(r, renumber)); renumber(); };
  parsed.rules.forEach(add);
  const warn = parsed.dropped.length
    ? h("p", { class: "error", role: "alert" }, `The stored configuration also has ${[...new Set(parsed.dropped)].join(", ")}, which this form does not show: saving the form drops them (use the XML view to keep them).`)
    : null;
  return form([
    h("h3", {}, "Lifecycle rules"), warn, list,
    h("div", { class: "actions" }, h("button", { type: "button", class: "small", id: "lc-add", onclick: () => add({ ...EMPTY_RULE, tags: [] }) }, "Add rule")),
    h("p", { class: "muted" }, "No rule: saving deletes the lifecycle configuration."),
  ], "Save lifecycle", async () => save(lifecycleXML([...list.children].map((fs) => fs.read()))), { id: "lifecycle-form" });
}

// --- Object Lock -----------------------------------------------------------------

export function parseObjectLock(xml) {
  const d = parse(xml);
  if (!d) return { enabled: false, mode: "", days: "", years: "" };
  const dr = kidEl(kidEl(d.documentElement, "Rule"), "DefaultRetention");
  return { enabled: kid(d.documentElement, "ObjectLockEnabled") === "Enabled", mode: kid(dr, "Mode"), days: kid(dr, "Days"), years: kid(dr, "Years") };
}

export function objectLockXML(c) {
  let rule = "";
  if (c.mode) rule = `<Rule><DefaultRetention><Mode>${esc(c.mode)}</Mode>${c.years ? `<Years>${esc(c.years)}</Years>` : `<Days>${esc(c.days)}</Days>`}</DefaultRetention></Rule>`;
  return `<ObjectLockConfiguration xmlns="${NS}"><ObjectLockEnabled>Enabled</ObjectLockEnabled>${rule}</ObjectLockConfiguration>`;
}

// objectLockForm edits a bucket's Object Lock: enabling it (once, on a
// versioned bucket) and its default retention.
export function objectLockForm(xml, save) {
  const c = parseObjectLock(xml);
  const enabled = h("input", { type: "checkbox", name: "enabled", id: "lock-enabled", checked: c.enabled, disabled: c.enabled });
  const unit = c.years ? "years" : "days";
  return form([
    h("h3", {}, "Object Lock"),
    h("label", { class: "check" }, enabled, "Object Lock enabled",
      h("small", { class: "muted" }, c.enabled ? " (cannot be turned off)" : " (needs versioning enabled; cannot be turned off once on)")),
    field("Default retention mode", h("select", { name: "mode", id: "lock-mode" },
      [["", "none"], ["GOVERNANCE", "GOVERNANCE (users with s3:BypassGovernanceRetention may shorten it)"], ["COMPLIANCE", "COMPLIANCE (nobody may shorten it)"]]
        .map(([v, l]) => h("option", { value: v, selected: v === c.mode }, l))), "Applies to versions written afterwards without their own retention."),
    field("Default retention period", h("input", { name: "period", id: "lock-period", type: "number", min: "1", step: "1", value: c.years || c.days || "" })),
    field("Period unit", h("select", { name: "unit", id: "lock-unit" }, ["days", "years"].map((u) => h("option", { value: u, selected: u === unit }, u)))),
  ], "Save Object Lock", async (d) => {
    if (!c.enabled && !enabled.checked) throw new ApiError("Tick “Object Lock enabled” to turn Object Lock on.", { target: "enabled" });
    if (d.mode && !d.period) throw new ApiError("A default retention needs a period.", { target: "period" });
    await save(objectLockXML({ mode: d.mode, days: d.unit === "days" ? d.period : "", years: d.unit === "years" ? d.period : "" }));
  }, { id: "object-lock-form" });
}

// --- an object version's retention and legal hold ------------------------------

export function retentionXML(mode, until) {
  if (!mode) return `<Retention xmlns="${NS}"/>`;
  return `<Retention xmlns="${NS}"><Mode>${esc(mode)}</Mode><RetainUntilDate>${esc(until)}</RetainUntilDate></Retention>`;
}

export function legalHoldXML(on) {
  return `<LegalHold xmlns="${NS}"><Status>${on ? "ON" : "OFF"}</Status></LegalHold>`;
}

// objectLockControls edits a version's retention and legal hold, from
// the HEAD headers (meta) that show them; put(kind, xml, headers) stores.
export function objectLockControls(meta, put) {
  const mode = meta["x-amz-object-lock-mode"] || "";
  const until = meta["x-amz-object-lock-retain-until-date"] || "";
  const hold = meta["x-amz-object-lock-legal-hold"] === "ON";
  const holdBox = h("input", { type: "checkbox", name: "hold", id: "obj-legal-hold", checked: hold });
  const bypass = h("input", { type: "checkbox", name: "bypass", id: "obj-bypass" });
  return form([
    h("h3", {}, "Retention and legal hold"),
    field("Retention mode", h("select", { name: "mode", id: "obj-retention-mode" },
      [["", "none"], ["GOVERNANCE", "GOVERNANCE"], ["COMPLIANCE", "COMPLIANCE"]].map(([v, l]) => h("option", { value: v, selected: v === mode }, l)))),
    field("Retain until (UTC date)", h("input", { name: "until", id: "obj-retain-until", type: "date", value: until.slice(0, 10) })),
    h("label", { class: "check" }, bypass, "Bypass governance retention (to shorten or remove it)"),
    h("label", { class: "check" }, holdBox, "Legal hold"),
  ], "Save retention and legal hold", async (d) => {
    if (d.mode && !d.until) throw new ApiError("A retention needs a date.", { target: "until" });
    const untilISO = d.until ? new Date(d.until + "T00:00:00Z").toISOString() : "";
    if (d.mode !== mode || untilISO.slice(0, 10) !== until.slice(0, 10)) {
      await put("retention", retentionXML(d.mode, untilISO), bypass.checked ? { "x-amz-bypass-governance-retention": "true" } : {});
    }
    if (holdBox.checked !== hold) await put("legal-hold", legalHoldXML(holdBox.checked), {});
  }, { id: "object-lock-controls" });
}
