// Tenants: ONTAP SVMs and their S3 services.

import { h, field, form, table, dialog, btn, notice, section } from "../ui.js";
import { ontap, ontapJob, records } from "../api.js";
import { showSecret } from "./common.js";

export async function render(root, params, current) {
  const [svms, services] = await Promise.all([
    records("/svm/svms", { fields: "uuid,name,state,comment" }),
    records("/protocols/s3/services", { fields: "*" }),
  ]);
  const bySvm = Object.fromEntries(services.map((s) => [s.svm.uuid, s]));
  const reload = () => window.dispatchEvent(new HashChangeEvent("hashchange"));

  const create = form([
    field("Name", h("input", { name: "name", required: true, pattern: "[A-Za-z_][A-Za-z0-9_.\\-]{0,46}", id: "svm-name" }),
      "Letters, digits, _ . -; starts with a letter or _."),
    field("Comment", h("input", { name: "comment", id: "svm-comment" })),
    h("label", { class: "check" }, h("input", { type: "checkbox", name: "s3", id: "svm-s3", checked: true }), "Create its S3 service now"),
  ], "Create tenant", async (d) => {
    await ontapJob("POST", "/svm/svms", { body: { name: d.name, comment: d.comment || undefined } });
    if (d.s3) {
      const svm = (await records("/svm/svms", { name: d.name, fields: "uuid,name" }))[0];
      await createService(svm, d.name);
      return;
    }
    notice(`Tenant ${d.name} created.`, "ok");
    reload();
  }, { id: "create-svm" });

  async function createService(svm, name) {
    const r = await ontap("POST", "/protocols/s3/services", { body: { svm: { uuid: svm.uuid }, name } });
    const root = r.records?.[0]?.users?.[0];
    if (root && root.secret_key) {
      showSecret({ title: `S3 service of ${svm.name}: root keys`, user: root.name, svm, accessKey: root.access_key, secretKey: root.secret_key })
        .el.addEventListener("close", reload);
    } else {
      reload();
    }
  }

  root.append(section("Create a tenant", create));
  root.append(section("Tenants", table("Tenants", [
    { label: "Name", get: (s) => h("strong", {}, s.name) },
    { label: "State", get: (s) => h("span", { class: "badge " + (s.state === "running" ? "ok" : "warn") }, s.state) },
    { label: "Comment", get: (s) => s.comment || "" },
    { label: "S3 service", get: (s) => (bySvm[s.uuid] ? `${bySvm[s.uuid].name} (${bySvm[s.uuid].enabled === false ? "stopped" : "enabled"})` : h("span", { class: "muted" }, "none")) },
    { label: "UUID", get: (s) => h("span", { class: "mono" }, s.uuid) },
    { label: "Actions", get: (s) => h("div", { class: "actions" },
      bySvm[s.uuid]
        ? [h("a", { class: "button small", href: "#/users?svm=" + s.uuid }, "Users"), h("a", { class: "button small", href: "#/buckets?svm=" + s.uuid }, "Buckets"),
          btn("Delete S3 service", async () => {
            if (!confirm(`Delete the S3 service of ${s.name} with its users, groups, policies and empty buckets?`)) return;
            try { await ontapJob("DELETE", "/protocols/s3/services/" + s.uuid); notice("S3 service deleted.", "ok"); reload(); } catch (e) { notice(e.message, "error"); }
          }, "small danger")]
        : btn("Create S3 service", () => {
          const d = dialog(`S3 service of ${s.name}`, form([
            field("Server name", h("input", { name: "name", required: true, value: s.name })),
          ], "Create", async (x) => { d.close(); await createService(s, x.name); }));
        }, "small"),
      btn("Delete", async () => {
        if (!confirm(`Delete tenant ${s.name}?`)) return;
        try { await ontapJob("DELETE", "/svm/svms/" + s.uuid); notice(`Tenant ${s.name} deleted.`, "ok"); reload(); } catch (e) { notice(e.message, "error"); }
      }, "small danger")) },
  ], svms, "No tenant yet.")));
}
