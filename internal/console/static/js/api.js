// The management plane's APIs as the console calls them: ONTAP's /api
// (HTTP Basic), Commvault's /commandcenter/api (the Login token) and the
// console's own /console/api. Errors become ApiError with the dialect's
// message, code and field.

const KEY = "coffer.session";
// IDLE_MS matches Commvault's session: 30 minutes without use.
export const IDLE_MS = 30 * 60 * 1000;

export class ApiError extends Error {
  constructor(message, { status = 0, code = "", target = "" } = {}) {
    super(message);
    this.status = status;
    this.code = code;
    this.target = target;
  }
}

function b64utf8(s) {
  return btoa(String.fromCharCode(...new TextEncoder().encode(s)));
}

// session is the logged-in administrator, in sessionStorage (this tab
// only; gone when the tab closes): the name, the Basic credentials ONTAP
// needs, and the Commvault token.
export const session = {
  get() {
    try {
      const s = JSON.parse(sessionStorage.getItem(KEY) || "null");
      if (s && Date.now() - s.last > IDLE_MS) {
        this.clear();
        session.expired = true;
        return null;
      }
      return s;
    } catch {
      return null;
    }
  },
  touch() {
    const s = this.get();
    if (s) {
      s.last = Date.now();
      sessionStorage.setItem(KEY, JSON.stringify(s));
    }
  },
  clear() {
    sessionStorage.removeItem(KEY);
    sessionStorage.removeItem("coffer.s3keys");
  },
  expired: false,
};

function expire() {
  session.clear();
  session.expired = true;
  window.dispatchEvent(new Event("coffer-session-expired"));
}

// login checks the credentials with Commvault's POST /Login, which counts
// failures and locks a name after five (the lockout is shown as the API
// answers it), and keeps the session.
export async function login(username, password) {
  const r = await fetch("/commandcenter/api/Login", {
    method: "POST", headers: { "Content-Type": "application/json", Accept: "application/json" },
    body: JSON.stringify({ username, password: b64utf8(password) }),
  });
  let j = {};
  try { j = await r.json(); } catch { /* empty */ }
  if (j.isAccountLocked) {
    throw new ApiError(`The account ${username} is locked after too many failed logins; try again in ${j.remainingLockTime} seconds.`,
      { status: r.status, code: "locked" });
  }
  if (!r.ok || !j.token) throw cvError(r.status, j, "Login failed: wrong user name or password.");
  const s = { user: j.userName || username, basic: "Basic " + b64utf8(username + ":" + password), token: j.token, last: Date.now(), role: "admin" };
  // Only administrators reach the ONTAP API; a tenant user (a Commvault
  // user with a password) gets the pages a user may use: its own keys and
  // the object browser.
  const probe = await fetch("/console/api/admin", { credentials: "omit", headers: { Authorization: s.basic, Accept: "application/json" } });
  if (probe.status === 401 || probe.status === 403) {
    s.role = "user";
    delete s.basic;
  }
  sessionStorage.setItem(KEY, JSON.stringify(s));
  session.expired = false;
  return s;
}

export async function logout() {
  const s = session.get();
  session.clear();
  if (s) {
    try { await fetch("/commandcenter/api/Logout", { method: "POST", headers: { Authtoken: s.token } }); } catch { /* gone anyway */ }
  }
}

// need answers the session; touch is false for background polling, which
// must not keep an unattended session alive.
function need(touch = true) {
  const s = session.get();
  if (!s) {
    expire();
    throw new ApiError("Your session expired; log in again.", { status: 401 });
  }
  if (touch) session.touch();
  return s;
}

function qs(query) {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(query || {})) if (v !== undefined && v !== null && v !== "") p.set(k, v);
  const s = p.toString();
  return s ? "?" + s : "";
}

// ontap calls /api<path>. It answers the parsed body (and the response as
// .response on objects).
export async function ontap(method, path, { query, body } = {}) {
  const s = need();
  const r = await fetch("/api" + path + qs(query), {
    credentials: "omit", // no browser password prompt on a 401 challenge
    method, headers: { Authorization: s.basic, Accept: "application/json", ...(body ? { "Content-Type": "application/json" } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  let j = {};
  const text = await r.text();
  try { j = text ? JSON.parse(text) : {}; } catch { j = { error: { message: text } }; }
  if (r.status === 401) {
    expire();
    throw new ApiError("Your session expired; log in again.", { status: 401 });
  }
  if (!r.ok) {
    const e = j.error || {};
    throw new ApiError(e.message || `${method} ${path}: HTTP ${r.status}`, { status: r.status, code: e.code, target: e.target });
  }
  if (j && typeof j === "object") Object.defineProperty(j, "response", { value: r, enumerable: false });
  return j;
}

// ontapJob runs an ONTAP call that may be a job: it waits up to 30 s in
// the request (return_timeout) and then polls the job until it ends.
export async function ontapJob(method, path, { query = {}, body } = {}) {
  const j = await ontap(method, path, { query: { return_timeout: 30, ...query }, body });
  if (j.response.status === 202 && j.job) {
    for (;;) {
      await new Promise((res) => setTimeout(res, 1000));
      const job = await ontap("GET", "/cluster/jobs/" + j.job.uuid, { query: { fields: "*" } });
      if (job.state === "failure") throw new ApiError(job.error?.message || job.message || "The job failed.", { code: job.code });
      if (job.state === "success") return j;
    }
  }
  return j;
}

// records lists an ONTAP collection, every page.
export async function records(path, query = {}) {
  let out = [];
  let j = await ontap("GET", path, { query: { max_records: 500, ...query } });
  out = out.concat(j.records || []);
  while (j._links && j._links.next) {
    const href = j._links.next.href.replace(/^\/api/, "");
    j = await ontap("GET", href);
    out = out.concat(j.records || []);
  }
  return out;
}

function cvError(status, j, fallback) {
  const msg = j.errorMessage || j.errMessage || (j.errList && j.errList[0] && (j.errList[0].errLogMessage || j.errList[0].errorMessage)) ||
    (j.response && j.response.errorMessage) || (j.error && j.error.errorMessage) || fallback || `HTTP ${status}`;
  return new ApiError(msg, { status, code: String(j.errorCode ?? "") });
}

// cv calls Commvault's /commandcenter/api<path> with the session's token
// ({poll: true}: a background refresh, which does not count as use).
export async function cv(method, path, body, { poll = false } = {}) {
  const s = need(!poll);
  const r = await fetch("/commandcenter/api" + path, {
    credentials: "omit",
    method, headers: { Authtoken: s.token, Accept: "application/json", ...(body ? { "Content-Type": "application/json" } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  let j = {};
  try { j = await r.json(); } catch { /* empty */ }
  if (r.status === 401) {
    expire();
    throw new ApiError("Your session expired; log in again.", { status: 401 });
  }
  const code = j.errorCode ?? (j.response && j.response.errorCode);
  if (!r.ok || (typeof code === "number" && code !== 0 && code !== 200)) throw cvError(r.status, j);
  return j;
}

// getJSON GETs a same-origin JSON document with the session's Basic
// credentials.
async function getJSON(url) {
  const s = need();
  const r = await fetch(url, { credentials: "omit", headers: { ...(s.basic ? { Authorization: s.basic } : {}), Accept: "application/json" } });
  const j = await r.json().catch(() => ({}));
  if (r.status === 401) {
    expire();
    throw new ApiError("Your session expired; log in again.", { status: 401 });
  }
  if (!r.ok) throw new ApiError(j.error?.message || `HTTP ${r.status}`, { status: r.status });
  return j;
}

// consoleApi calls the console's own /console/api<path> (info needs no
// administrator).
export function consoleApi(path) {
  return getJSON("/console/api" + path);
}

// stats is the server's request history of the last hour, capacity and
// usage per tenant (GET /api/coffer/stats, the metrics package's: an
// administrator's credentials read it as they read /metrics).
export function stats() {
  return getJSON("/api/coffer/stats");
}
