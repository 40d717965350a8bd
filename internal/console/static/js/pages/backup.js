// The Commvault side: plans, vaults (with their users), clients/nodes and
// jobs with live progress.

import { h, field, form, table, dialog, btn, notice, section, bytes, when } from "../ui.js";
import { cv } from "../api.js";
import { showSecret } from "./common.js";

const reload = () => window.dispatchEvent(new HashChangeEvent("hashchange"));

function b64(s) {
  return btoa(String.fromCharCode(...new TextEncoder().encode(s)));
}

export async function renderPlans(root) {
  const j = await cv("GET", "/V4/Plan/Summary");
  root.append(section("Create a plan", form([
    field("Name", h("input", { name: "name", required: true, id: "plan-name" })),
    field("Retention (days)", h("input", { name: "days", type: "number", min: "1", value: "30", required: true, id: "plan-days" }),
      "Versions that objects leave behind are kept this long, then removed by a data-aging job."),
    field("Storage pool", h("input", { name: "pool", value: "pool1" })),
  ], "Create plan", async (d) => {
    await cv("POST", "/V4/ServerPlan", { planName: d.name,
      backupDestinations: [{ backupDestinationName: "Primary", retentionPeriodDays: Number(d.days), storagePool: { name: d.pool || "pool1" } }] });
    notice(`Plan ${d.name} created.`, "ok");
    reload();
  }, { id: "create-plan" })));
  root.append(section("Plans", table("Plans", [
    { label: "Id", get: (p) => String(p.plan.id) },
    { label: "Name", get: (p) => h("strong", {}, p.plan.name) },
    { label: "Retention", get: (p) => `${p.retentionPeriodDays} days` },
    { label: "Vaults", get: (p) => String(p.associatedEntities ?? 0) },
    { label: "Created", get: (p) => when(p.createdTime) },
    { label: "Actions", get: (p) => btn("Delete", async () => {
      if (!confirm(`Delete plan ${p.plan.name}?`)) return;
      try { await cv("DELETE", "/V4/ServerPlan/" + p.plan.id); reload(); } catch (e) { notice(e.message, "error"); }
    }, "small danger") },
  ], j.plans || [], "No plan yet.")));
}

export async function renderVaults(root) {
  const [vaults, plans, users, clients] = await Promise.all([
    cv("GET", "/V4/CVS3Stores"), cv("GET", "/V4/Plan/Summary"), cv("GET", "/V4/user"), cv("GET", "/Client"),
  ]);
  const userList = users.users || [];
  const nodes = clients.clientProperties || [];
  root.append(section("Create a vault", form([
    field("Name", h("input", { name: "name", required: true, id: "vault-name" })),
    field("Plan", h("select", { name: "plan", id: "vault-plan", required: true },
      (plans.plans || []).map((p) => h("option", { value: String(p.plan.id) }, `${p.plan.name} (${p.retentionPeriodDays} days)`))),
    (plans.plans || []).length ? "Its retention applies to the versions the vault's objects leave behind." : h("span", {}, "Create a plan first under ", h("a", { href: "#/plans" }, "Plans"), ".")),
    field("Owners", h("select", { name: "owners", multiple: true, id: "vault-owners", size: String(Math.min(5, Math.max(2, userList.length))) },
      userList.map((u) => h("option", { value: String(u.id) }, u.name))), "Ctrl or Shift to choose several."),
    h("label", { class: "check" }, h("input", { type: "checkbox", name: "rotate" }), "Issue new S3 keys to the owners"),
  ], "Create vault", async (d, f) => {
    const owners = [...f.querySelector("[name=owners]").selectedOptions].map((o) => ({ userId: Number(o.value), __type__: 13 }));
    const body = { bucket: { clientName: d.name }, owners, rotateKeys: !!d.rotate,
      cvs3Endpoints: nodes.slice(0, 1).map((n) => ({ clientId: n.client.clientEntity.clientId, clientName: n.client.clientEntity.clientName })) };
    if (d.plan) body.plan = { planId: Number(d.plan) };
    const r = await cv("POST", "/V4/CVS3Store", body);
    notice(`Vault ${d.name} created.` + (r.response?.warningMessage ? " " + r.response.warningMessage : ""), "ok");
    reload();
  }, { id: "create-vault" })));
  root.append(section("Vaults", table("Vaults", [
    { label: "Name", get: (v) => h("a", { href: "#/objects?bucket=" + encodeURIComponent(v.name) }, v.name) },
    { label: "Plan", get: (v) => (v.plan ? `${v.plan.planName} (${v.retentionPeriodDays ?? "?"} days)` : "none") },
    { label: "Objects", get: (v) => String(v.numberOfObjects ?? 0) },
    { label: "Size", get: (v) => bytes(v.sizeInBytes) },
    { label: "Versioning", get: (v) => v.versioning },
    { label: "Owners", get: (v) => (v.owners || []).map((o) => o.userName).join(", ") },
    { label: "Actions", get: (v) => btn("Delete", async () => {
      if (!confirm(`Delete vault ${v.name}? It must be empty.`)) return;
      try { await cv("DELETE", "/V4/CVS3Store/" + v.id); reload(); } catch (e) { notice(e.message, "error"); }
    }, "small danger") },
  ], vaults.CVS3Stores || [], "No vault yet.")));
  root.append(section("Vault users (the default company)", form([
    field("Name", h("input", { name: "name", required: true, id: "cvuser-name" })),
    field("Password", h("input", { name: "password", type: "password", autocomplete: "new-password" }), "Optional: lets the user log in and rotate its own keys."),
  ], "Create user", async (d) => {
    await cv("POST", "/V4/user", { users: [{ name: d.name, ...(d.password ? { password: b64(d.password) } : {}) }] });
    reload();
  }, { id: "create-cvuser" }), table("Vault users", [
    { label: "Name", get: (u) => h("strong", {}, u.name) },
    { label: "State", get: (u) => h("span", { class: "badge " + (u.enabled === false ? "bad" : "ok") }, u.enabled === false ? "disabled" : "enabled") },
    { label: "Actions", get: (u) => h("div", { class: "actions" },
      btn(u.enabled === false ? "Enable" : "Disable", async () => {
        try { await cv("PUT", `/User/${u.id}/${u.enabled === false ? "enable" : "disable"}`); reload(); } catch (e) { notice(e.message, "error"); }
      }, "small"),
      btn("Rotate S3 key", async () => {
        try {
          const k = await cv("PUT", `/V4/User/${u.id}/S3AccessKey`);
          showSecret({ title: `New S3 keys of ${u.name}`, user: u.name, svm: { name: "default", uuid: "" }, accessKey: k.accessKeyID, secretKey: k.secretAccessKey })
            .el.addEventListener("close", reload);
        } catch (e) { notice(e.message, "error"); }
      }, "small")) },
  ], userList, "No user yet.")));
}

export async function renderClients(root) {
  const j = await cv("GET", "/Client");
  root.append(section("Clients and nodes", table("Clients", [
    { label: "Id", get: (c) => String(c.client.clientEntity.clientId) },
    { label: "Name", get: (c) => h("strong", {}, c.client.clientEntity.clientName) },
    { label: "State", get: (c) => h("span", { class: "badge " + (c.clientProps.isRunning ? "ok" : "bad") }, c.clientProps.readinessStatus || "?") },
    { label: "S3 endpoint", get: (c) => h("span", { class: "mono" }, c.clientProps.s3Endpoint || "") },
    { label: "Version", get: (c) => c.clientProps.version || "" },
    { label: "Last heartbeat", get: (c) => when(c.clientProps.lastHeartbeat) },
    { label: "This node", get: (c) => (c.clientProps.thisNode ? "yes" : "") },
  ], j.clientProperties || [], "No client.")));
}

function jobRows(jobs) {
  return table("Jobs", [
    { label: "Job", get: (j) => String(j.jobId) },
    { label: "Type", get: (j) => j.jobType || j.localizedOperationName || "" },
    { label: "Client", get: (j) => j.subclient?.clientName || j.clientName || "" },
    { label: "Status", get: (j) => h("span", { class: "badge " + (/complet/i.test(j.status) ? "ok" : /fail|kill/i.test(j.status) ? "bad" : "warn") }, j.status) },
    { label: "Progress", get: (j) => h("div", {}, h("progress", { max: "100", value: String(j.percentComplete ?? 0), "aria-label": `Job ${j.jobId} progress` }),
      h("small", {}, `${j.percentComplete ?? 0}% ${j.progressMessage || j.pendingReason || ""}`)) },
    { label: "Started", get: (j) => when(j.jobStartTime) },
    { label: "Actions", get: (j) => (/running|pending|waiting|queued|suspend/i.test(j.status) ? btn("Kill", async () => {
      if (!confirm(`Kill job ${j.jobId}?`)) return;
      try { await cv("POST", `/Job/${j.jobId}/action/kill`); } catch (e) { notice(e.message, "error"); }
    }, "small danger") : "") },
  ], jobs, "No job.");
}

// renderJobs polls the job list every 2 s while the page is shown.
export async function renderJobs(root, params, current) {
  const box = h("div", { id: "jobs", "aria-live": "polite" });
  const status = h("p", { class: "muted" });
  root.append(section("Jobs", status, box));
  const load = async (poll) => {
    const j = await cv("GET", "/Job", undefined, { poll });
    box.replaceChildren(jobRows((j.jobs || []).map((x) => x.jobSummary)));
    status.textContent = `Updated ${new Date().toLocaleTimeString()}; refreshes every 2 seconds.`;
  };
  await load(false);
  const timer = setInterval(async () => {
    if (!current() || !document.body.contains(box)) { clearInterval(timer); return; }
    try { await load(true); } catch { /* the next tick retries */ }
  }, 2000);
}
