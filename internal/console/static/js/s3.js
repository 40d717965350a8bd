// An S3 client for the object browser: requests signed in the browser
// (sigv4.js) with an S3 user's keys, sent to S3 on the console's own
// origin (the management listener answers S3 under /S3, the path prefix
// the S3 listener also serves).

import { signHeaders, presign, uriEncode, sha256Base64 } from "./sigv4.js";
import { consoleApi, ApiError } from "./api.js";

const KEYS = "coffer.s3keys";
let info = null;

export async function s3Info() {
  if (!info) info = await consoleApi("/info");
  return info;
}

// keys are the S3 user's keys for this tab (sessionStorage).
export const keys = {
  get() {
    try { return JSON.parse(sessionStorage.getItem(KEYS) || "null"); } catch { return null; }
  },
  set(k) { sessionStorage.setItem(KEYS, JSON.stringify(k)); },
  clear() { sessionStorage.removeItem(KEYS); },
};

export const MULTIPART_THRESHOLD = 16 * 1024 * 1024;
export const PART_SIZE = 8 * 1024 * 1024;

function objPath(bucket, key) {
  return "/" + bucket + (key !== undefined && key !== null ? "/" + key : "");
}

function s3Error(status, text) {
  const doc = text ? new DOMParser().parseFromString(text, "application/xml") : null;
  const code = doc?.querySelector("Error > Code")?.textContent || "";
  const msg = doc?.querySelector("Error > Message")?.textContent || "";
  return new ApiError(code ? `${code}: ${msg}` : `S3 answered HTTP ${status}`, { status, code });
}

function creds() {
  const k = keys.get();
  if (!k) throw new ApiError("No S3 keys for the object browser: enter an S3 user's keys first.");
  return k;
}

// request sends one signed S3 request. opts: {query: [[k,v]], headers,
// body, onprogress(loaded,total), responseType}. Returns the XHR.
export async function request(method, bucket, key, opts = {}) {
  const { region, s3_proxy: proxy } = await s3Info();
  const query = opts.query || [];
  const path = proxy + objPath(bucket, key);
  const hdrs = await signHeaders({ creds: creds(), region, method, host: location.host, path, query, headers: opts.headers || {} });
  const qstr = query.map(([k, v]) => uriEncode(k) + "=" + uriEncode(v ?? "")).join("&");
  const url = uriEncode(path, true) + (qstr ? "?" + qstr : "");
  return new Promise((resolve, reject) => {
    const x = new XMLHttpRequest();
    x.open(method, url);
    for (const [k, v] of Object.entries(hdrs)) x.setRequestHeader(k, v);
    if (opts.responseType) x.responseType = opts.responseType;
    if (opts.onprogress && x.upload) x.upload.onprogress = (e) => opts.onprogress(e.loaded, e.total);
    if (opts.signal) opts.signal.addEventListener("abort", () => x.abort());
    x.onload = () => {
      if (x.status >= 200 && x.status < 300) resolve(x);
      else {
        if (x.responseType === "" || x.responseType === "text") reject(s3Error(x.status, x.responseText));
        else reject(new ApiError(`S3 answered HTTP ${x.status}`, { status: x.status }));
      }
    };
    x.onerror = () => reject(new ApiError("The request failed (network)."));
    x.onabort = () => reject(new ApiError("Cancelled."));
    x.send(opts.body ?? null);
  });
}

function xml(x) {
  return new DOMParser().parseFromString(x.responseText, "application/xml");
}

function text(el, sel) {
  return el.querySelector(sel)?.textContent ?? "";
}

export async function listBuckets() {
  const { region, s3_proxy: proxy } = await s3Info();
  const hdrs = await signHeaders({ creds: creds(), region, method: "GET", host: location.host, path: proxy + "/" });
  const r = await fetch(proxy + "/", { headers: hdrs });
  const t = await r.text();
  if (!r.ok) throw s3Error(r.status, t);
  const d = new DOMParser().parseFromString(t, "application/xml");
  return [...d.querySelectorAll("Buckets > Bucket")].map((b) => ({ name: text(b, "Name"), created: text(b, "CreationDate") }));
}

// list answers the folders (common prefixes) and objects under prefix.
export async function list(bucket, prefix, token) {
  const q = [["list-type", "2"], ["delimiter", "/"], ["prefix", prefix || ""], ["max-keys", "1000"]];
  if (token) q.push(["continuation-token", token]);
  const d = xml(await request("GET", bucket, null, { query: q }));
  return {
    folders: [...d.querySelectorAll("CommonPrefixes > Prefix")].map((p) => p.textContent),
    objects: [...d.querySelectorAll("ListBucketResult > Contents")].map((c) => ({
      key: text(c, "Key"), size: Number(text(c, "Size")), modified: text(c, "LastModified"), etag: text(c, "ETag"),
    })),
    next: text(d, "NextContinuationToken"),
  };
}

export async function versions(bucket, prefix) {
  const d = xml(await request("GET", bucket, null, { query: [["versions", ""], ["prefix", prefix || ""]] }));
  const out = [];
  for (const v of d.querySelector("ListVersionsResult")?.children || []) {
    if (v.tagName !== "Version" && v.tagName !== "DeleteMarker") continue;
    out.push({ key: text(v, "Key"), versionId: text(v, "VersionId"), latest: text(v, "IsLatest") === "true",
      modified: text(v, "LastModified"), size: Number(text(v, "Size") || 0), marker: v.tagName === "DeleteMarker" });
  }
  return out;
}

// upload puts a file, in parts when it is large; onprogress(loaded, total).
export async function upload(bucket, key, file, onprogress, signal) {
  const headers = { "Content-Type": file.type || "application/octet-stream" };
  if (file.size < MULTIPART_THRESHOLD) {
    // A checksum of the whole body: S3 checks it, and a bucket with a
    // default retention (Object Lock) refuses a PUT without one.
    headers["x-amz-checksum-sha256"] = await sha256Base64(await file.arrayBuffer());
    await request("PUT", bucket, key, { body: file, headers, onprogress: (l) => onprogress(l, file.size), signal });
    onprogress(file.size, file.size);
    return;
  }
  // Every part carries its SHA-256 (S3 checks it, and a bucket with a
  // default retention refuses a part without an integrity check); declared
  // at creation, the object's checksum is AWS's COMPOSITE one: the SHA-256
  // of the parts' digests, "-<parts>".
  headers["x-amz-checksum-algorithm"] = "SHA256";
  headers["x-amz-checksum-type"] = "COMPOSITE";
  const init = xml(await request("POST", bucket, key, { query: [["uploads", ""]], headers }));
  const uploadId = text(init, "UploadId");
  const etags = [];
  let done = 0;
  try {
    for (let off = 0, n = 1; off < file.size; off += PART_SIZE, n++) {
      const part = file.slice(off, Math.min(off + PART_SIZE, file.size));
      const sum = await sha256Base64(await part.arrayBuffer());
      const x = await request("PUT", bucket, key, { query: [["partNumber", String(n)], ["uploadId", uploadId]], body: part,
        headers: { "x-amz-checksum-sha256": sum }, onprogress: (l) => onprogress(done + l, file.size), signal });
      etags.push([n, x.getResponseHeader("ETag"), sum]);
      done += part.size;
      onprogress(done, file.size);
    }
    const body = "<CompleteMultipartUpload>" + etags.map(([n, e, c]) =>
      `<Part><PartNumber>${n}</PartNumber><ETag>${e}</ETag><ChecksumSHA256>${c}</ChecksumSHA256></Part>`).join("") +
      "</CompleteMultipartUpload>";
    const x = await request("POST", bucket, key, { query: [["uploadId", uploadId]], body, headers: { "Content-Type": "application/xml" } });
    if (/<Error>/.test(x.responseText)) throw s3Error(200, x.responseText);
  } catch (e) {
    await request("DELETE", bucket, key, { query: [["uploadId", uploadId]] }).catch(() => {});
    throw e;
  }
}

export async function remove(bucket, key, versionId) {
  await request("DELETE", bucket, key, { query: versionId ? [["versionId", versionId]] : [] });
}

export async function head(bucket, key, versionId) {
  const x = await request("HEAD", bucket, key, { query: versionId ? [["versionId", versionId]] : [] });
  const meta = {};
  for (const line of x.getAllResponseHeaders().trim().split(/\r?\n/)) {
    const i = line.indexOf(":");
    meta[line.slice(0, i).toLowerCase()] = line.slice(i + 1).trim();
  }
  return meta;
}

export async function getTags(bucket, key) {
  const d = xml(await request("GET", bucket, key, { query: [["tagging", ""]] }));
  return [...d.querySelectorAll("TagSet > Tag")].map((t) => [text(t, "Key"), text(t, "Value")]);
}

function esc(s) {
  return s.replace(/[<>&'"]/g, (c) => ({ "<": "&lt;", ">": "&gt;", "&": "&amp;", "'": "&apos;", '"': "&quot;" })[c]);
}

export function tagsXML(tags) {
  return "<Tagging><TagSet>" + tags.map(([k, v]) => `<Tag><Key>${esc(k)}</Key><Value>${esc(v)}</Value></Tag>`).join("") + "</TagSet></Tagging>";
}

// xmlHeaders carry the integrity check S3 requires on configuration
// bodies (Content-MD5 or a flexible checksum; SubtleCrypto has SHA-256).
async function xmlHeaders(body) {
  return { "Content-Type": "application/xml", "x-amz-checksum-sha256": await sha256Base64(body) };
}

export async function putTags(bucket, key, tags) {
  const body = tagsXML(tags);
  await request("PUT", bucket, key, { query: [["tagging", ""]], body, headers: await xmlHeaders(body) });
}

// getConfig and putConfig read and write a bucket sub-resource (cors,
// lifecycle, tagging) as XML; an absent configuration answers "".
export async function getConfig(bucket, name) {
  try {
    return (await request("GET", bucket, null, { query: [[name, ""]] })).responseText;
  } catch (e) {
    if (e.status === 404) return "";
    throw e;
  }
}

export async function putConfig(bucket, name, body) {
  if (!body.trim()) {
    await request("DELETE", bucket, null, { query: [[name, ""]] });
    return;
  }
  const d = new DOMParser().parseFromString(body, "application/xml");
  if (d.querySelector("parsererror")) throw new ApiError("The XML is not well-formed: " + d.querySelector("parsererror").textContent.split("\n")[0]);
  await request("PUT", bucket, null, { query: [[name, ""]], body, headers: await xmlHeaders(body) });
}

// putObjectConfig writes an object version's sub-resource (retention,
// legal-hold) as XML, with extra headers (x-amz-bypass-governance-retention).
export async function putObjectConfig(bucket, key, versionId, name, body, headers = {}) {
  const query = [[name, ""]];
  if (versionId) query.push(["versionId", versionId]);
  await request("PUT", bucket, key, { query, body, headers: { ...(await xmlHeaders(body)), ...headers } });
}

// downloadURL is a presigned GET through the pass-through that the browser
// saves as a file.
export async function downloadURL(bucket, key, versionId) {
  const { region, s3_proxy: proxy } = await s3Info();
  const q = [["response-content-disposition", `attachment; filename="${key.split("/").pop().replace(/["\\]/g, "_")}"`]];
  if (versionId) q.push(["versionId", versionId]);
  const path = proxy + objPath(bucket, key);
  const qs = await presign({ creds: creds(), region, host: location.host, path, query: q, expires: 300 });
  return uriEncode(path, true) + "?" + qs;
}

// shareURL is a presigned GET on the S3 listener itself, for anyone.
export async function shareURL(bucket, key, seconds) {
  const { region, s3_endpoint: ep } = await s3Info();
  const u = new URL(ep);
  if (["0.0.0.0", "[::]", "::"].includes(u.hostname)) u.hostname = location.hostname;
  const qs = await presign({ creds: creds(), region, host: u.host, path: objPath(bucket, key), expires: seconds });
  return u.origin + uriEncode(objPath(bucket, key), true) + "?" + qs;
}
