// Dashboard: capacity, usage per tenant, the request rate of the last
// hour (GET /api/coffer/stats, the server's one request history), nodes
// and recent failed jobs.

import { h, table, bytes, when, section } from "../ui.js";
import { stats as cofferStats, cv, records } from "../api.js";

const SVG = "http://www.w3.org/2000/svg";

function s(tag, attrs = {}, ...kids) {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
  el.append(...kids);
  return el;
}

// chart draws requests per second and errors per second, one point a
// minute, as an SVG line chart, from /api/coffer/stats's minutes.
export function chart(minutes, step = 60) {
  // Narrow screens get a narrower drawing, so that its text stays legible.
  const W = window.matchMedia("(max-width: 760px)").matches ? 340 : 640, H = 200, L = 44, R = 8, T = 10, B = 24;
  const req = minutes.map((m) => m.requests / step);
  const err = minutes.map((m) => (m.client_errors + m.server_errors) / step);
  const max = Math.max(0.1, ...req, ...err);
  const x = (i) => L + (i * (W - L - R)) / Math.max(1, req.length - 1);
  const y = (v) => T + (H - T - B) * (1 - v / max);
  const pts = (arr) => arr.map((v, i) => `${x(i).toFixed(1)},${y(v).toFixed(1)}`).join(" ");
  const total = minutes.reduce((a, m) => a + m.requests, 0);
  const errors = err.reduce((a, b) => a + b, 0) * step;
  const svg = s("svg", { viewBox: `0 0 ${W} ${H}`, class: "chart", role: "img",
    "aria-label": `Requests (S3 and management) per second over the last hour: ${total} requests, ${errors} errors, peak ${max.toFixed(2)} per second` });
  for (const f of [0, 0.5, 1]) {
    svg.append(s("line", { x1: L, x2: W - R, y1: y(max * f), y2: y(max * f), class: "grid-line" }),
      s("text", { x: L - 6, y: y(max * f) + 4, "text-anchor": "end" }, (max * f).toFixed(max * f >= 10 ? 0 : 2)));
  }
  svg.append(s("text", { x: L, y: H - 6 }, "−60 min"), s("text", { x: W - R, y: H - 6, "text-anchor": "end" }, "now"),
    s("polyline", { points: pts(req), class: "req" }), s("polyline", { points: pts(err), class: "err" }));
  return h("figure", { class: "chart-box" }, svg,
    h("figcaption", { class: "legend" }, h("span", {}, h("span", { class: "sw req" }), "requests/s"),
      h("span", {}, h("span", { class: "sw err" }), "errors/s (4xx and 5xx)"),
      h("span", { class: "muted" }, `${total} requests, ${errors} errors in the hour`)));
}

export async function render(root) {
  const [stats, clients, jobs, cvJobs] = await Promise.all([
    cofferStats(),
    cv("GET", "/Client").catch(() => ({ clientProperties: [] })),
    records("/cluster/jobs", { fields: "*", state: "failure" }).catch(() => []),
    cv("GET", "/Job").catch(() => ({ jobs: [] })),
  ]);
  const c = stats.capacity || { total_bytes: 0, free_bytes: 0, used_bytes: 0, stored_bytes: 0 };
  stats.tenants = stats.tenants || [];
  const series = () => chart(stats.minutes || [], stats.interval_seconds || 60);
  const usedPct = c.total_bytes ? (100 * c.used_bytes) / c.total_bytes : 0;
  const totals = stats.tenants.reduce((a, t) => ({ objects: a.objects + t.objects, bytes: a.bytes + t.bytes, buckets: a.buckets + t.buckets }),
    { objects: 0, bytes: 0, buckets: 0 });
  root.append(h("div", { class: "grid" },
    h("section", { class: "card", "aria-label": "Capacity" }, h("h2", {}, "Capacity"),
      h("div", { class: "stat" }, bytes(c.free_bytes), h("span", { class: "muted" }, " free")),
      h("meter", { class: "meter", min: "0", max: "100", value: usedPct.toFixed(1), low: "70", high: "90", optimum: "10",
        "aria-label": `Disk ${usedPct.toFixed(0)}% used` }),
      h("p", { class: "muted" }, `${bytes(c.used_bytes)} used of ${bytes(c.total_bytes)} on the data directory's file system; ${bytes(c.stored_bytes)} stored in buckets.`)),
    h("section", { class: "card", "aria-label": "Objects" }, h("h2", {}, "Objects"),
      h("div", { class: "stat" }, totals.objects.toLocaleString()),
      h("p", { class: "muted" }, `${bytes(totals.bytes)} in ${totals.buckets} buckets of ${stats.tenants.length} tenants`)),
    h("section", { class: "card", "aria-label": "Nodes" }, h("h2", {}, "Nodes"),
      table("Nodes", [
        { label: "Node", get: (n) => n.client.clientEntity.clientName },
        { label: "State", get: (n) => h("span", { class: "badge " + (n.clientProps.isRunning ? "ok" : "bad") }, n.clientProps.readinessStatus || "?") },
        { label: "Heartbeat", get: (n) => when(n.clientProps.lastHeartbeat) },
      ], clients.clientProperties || [], "No node registered."))));
  let fig = series();
  root.append(section("Requests, last hour", fig));
  const mq = window.matchMedia("(max-width: 760px)");
  const redraw = () => {
    if (!document.contains(fig)) { mq.removeEventListener("change", redraw); return; }
    const next = series();
    fig.replaceWith(next);
    fig = next;
  };
  mq.addEventListener("change", redraw);
  root.append(section("Usage per tenant", table("Usage per tenant", [
    { label: "Tenant", get: (t) => h("a", { href: "#/buckets?svm=" + encodeURIComponent(t.uuid) }, t.name) },
    { label: "State", get: (t) => t.state || "running" },
    { label: "Buckets", get: (t) => String(t.buckets) },
    { label: "Objects", get: (t) => t.objects.toLocaleString() },
    { label: "Bytes", get: (t) => bytes(t.bytes) },
  ], stats.tenants, "No tenant yet: create one under Tenants.")));
  const failed = [
    ...jobs.map((j) => ({ id: j.uuid, api: "ONTAP", what: j.description, msg: j.error?.message || j.message, at: j.end_time || j.start_time })),
    ...(cvJobs.jobs || []).map((j) => j.jobSummary).filter((j) => /fail|kill/i.test(j.status || ""))
      .map((j) => ({ id: String(j.jobId), api: "Commvault", what: j.jobType, msg: j.pendingReason, at: j.lastUpdateTime || j.jobEndTime })),
  ].slice(0, 20);
  root.append(section("Recent failed jobs", table("Recent failed jobs", [
    { label: "Job", get: (j) => h("span", { class: "mono" }, j.id) },
    { label: "API", get: (j) => j.api },
    { label: "What", get: (j) => j.what || "" },
    { label: "Reason", get: (j) => j.msg || "" },
    { label: "When", get: (j) => when(j.at) },
  ], failed, "No failed job.")));
}
