// The audit log: ONTAP's GET /api/security/audit/messages with filters.

import { h, field, form, table, section, when, errorBox } from "../ui.js";
import { ontap } from "../api.js";

export async function render(root, params) {
  const f = form([
    h("div", { class: "toolbar" },
      field("User", h("input", { name: "user", value: params.get("user") || "", id: "audit-user" })),
      field("Application", h("select", { name: "application", id: "audit-app" },
        ["", "http", "ontapi", "ssh", "console"].map((a) => h("option", { value: a, selected: params.get("application") === a }, a || "any")))),
      field("State", h("select", { name: "state", id: "audit-state" },
        ["", "success", "error", "pending"].map((a) => h("option", { value: a, selected: params.get("state") === a }, a || "any")))),
      field("Contains", h("input", { name: "input", value: params.get("input") || "", id: "audit-input" })),
      field("Since", h("input", { name: "since", type: "datetime-local", value: params.get("since") || "", id: "audit-since" }))),
  ], "Filter", async (d) => {
    const q = new URLSearchParams(Object.entries(d).filter(([, v]) => v));
    location.hash = "#/audit?" + q.toString();
  }, { id: "audit-filter" });
  root.append(section("Filters", f));
  const query = { fields: "*", max_records: 200, order_by: "timestamp desc" };
  if (params.get("user")) query.user = "*" + params.get("user") + "*";
  if (params.get("application")) query.application = params.get("application");
  if (params.get("state")) query.state = params.get("state");
  if (params.get("input")) query.input = "*" + params.get("input") + "*";
  if (params.get("since")) query.timestamp = ">=" + new Date(params.get("since")).toISOString();
  let recs = [];
  try {
    recs = (await ontap("GET", "/security/audit/messages", { query })).records || [];
  } catch (e) {
    if (e.status === 404) {
      root.append(section("Messages", h("p", { class: "empty", role: "status" }, "This server keeps no audit log yet (GET /api/security/audit/messages is not available).")));
      return;
    }
    root.append(section("Messages", errorBox(e)));
    return;
  }
  root.append(section("Messages", table("Audit messages", [
    { label: "When", get: (m) => when(m.timestamp) },
    { label: "User", get: (m) => m.user || "" },
    { label: "Application", get: (m) => m.application || "" },
    { label: "Location", get: (m) => m.location || "" },
    { label: "Request", get: (m) => h("span", { class: "mono" }, m.input || "") },
    { label: "State", get: (m) => h("span", { class: "badge " + (m.state === "success" ? "ok" : m.state === "error" ? "bad" : "") }, m.state || "") },
    { label: "Message", get: (m) => m.message || "" },
  ], recs, "No message matches.")));
}
