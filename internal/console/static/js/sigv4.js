// AWS Signature Version 4 for S3, with the browser's SubtleCrypto.
// Requests are signed with UNSIGNED-PAYLOAD (the body is not hashed:
// HTTPS protects it, as for AWS's own presigned uploads); see
// https://docs.aws.amazon.com/AmazonS3/latest/API/sig-v4-header-based-auth.html

const enc = new TextEncoder();

function hex(buf) {
  return Array.from(new Uint8Array(buf), (b) => b.toString(16).padStart(2, "0")).join("");
}

export async function sha256Hex(data) {
  const bytes = typeof data === "string" ? enc.encode(data) : data;
  return hex(await crypto.subtle.digest("SHA-256", bytes));
}

// sha256Base64 is the value of an x-amz-checksum-sha256 header.
export async function sha256Base64(data) {
  const bytes = typeof data === "string" ? enc.encode(data) : data;
  return btoa(String.fromCharCode(...new Uint8Array(await crypto.subtle.digest("SHA-256", bytes))));
}

async function hmac(key, msg) {
  const k = await crypto.subtle.importKey("raw", typeof key === "string" ? enc.encode(key) : key,
    { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  return crypto.subtle.sign("HMAC", k, enc.encode(msg));
}

// uriEncode is SigV4's URI encoding: every byte but A-Za-z0-9-._~ as %XY
// (and "/" kept when encoding a path).
export function uriEncode(s, keepSlash) {
  let out = "";
  for (const b of enc.encode(s)) {
    const c = String.fromCharCode(b);
    if (/[A-Za-z0-9\-._~]/.test(c) || (keepSlash && c === "/")) out += c;
    else out += "%" + b.toString(16).toUpperCase().padStart(2, "0");
  }
  return out;
}

// amzDate returns the ISO basic timestamp (20260101T000000Z) and its day.
export function amzDate(d) {
  d = d || new Date();
  const s = d.toISOString().replace(/[-:]/g, "").replace(/\.\d{3}/, "");
  return { stamp: s, day: s.slice(0, 8) };
}

function canonicalQuery(params) {
  return params
    .map(([k, v]) => [uriEncode(k), uriEncode(v ?? "")])
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0))
    .map(([k, v]) => k + "=" + v)
    .join("&");
}

async function signingKey(secret, day, region) {
  let k = await hmac("AWS4" + secret, day);
  k = await hmac(k, region);
  k = await hmac(k, "s3");
  return hmac(k, "aws4_request");
}

// signature computes the signature of a canonical request.
async function signature(creds, region, stamp, day, canonical) {
  const scope = `${day}/${region}/s3/aws4_request`;
  const sts = ["AWS4-HMAC-SHA256", stamp, scope, await sha256Hex(canonical)].join("\n");
  const key = await signingKey(creds.secretKey, day, region);
  return { scope, sig: hex(await hmac(key, sts)) };
}

// signHeaders returns the headers (Authorization, x-amz-date,
// x-amz-content-sha256 and the given x-amz-* ones) for a request.
// path is the S3 path ("/bucket/key", not encoded); query a list of
// [name, value]; host what the browser sends as Host.
// payloadHash and date are for AWS's worked examples (the tests); the
// console signs UNSIGNED-PAYLOAD now.
export async function signHeaders({ creds, region, method, host, path, query = [], headers = {}, payloadHash = "UNSIGNED-PAYLOAD", date }) {
  const { stamp, day } = amzDate(date);
  const h = {};
  for (const [k, v] of Object.entries(headers)) h[k.toLowerCase()] = String(v).trim();
  h["x-amz-date"] = stamp;
  h["x-amz-content-sha256"] = payloadHash;
  const signed = { host, ...Object.fromEntries(Object.entries(h).filter(([k]) => k.startsWith("x-amz-"))) };
  const names = Object.keys(signed).sort();
  const canonical = [method, uriEncode(path, true), canonicalQuery(query),
    names.map((n) => n + ":" + signed[n] + "\n").join(""), names.join(";"), payloadHash].join("\n");
  const { scope, sig } = await signature(creds, region, stamp, day, canonical);
  h["authorization"] = `AWS4-HMAC-SHA256 Credential=${creds.accessKey}/${scope}, SignedHeaders=${names.join(";")}, Signature=${sig}`;
  return h;
}

// presign returns the query string (without "?") of a presigned URL.
export async function presign({ creds, region, method = "GET", host, path, query = [], expires = 3600, date }) {
  const { stamp, day } = amzDate(date);
  const scope = `${day}/${region}/s3/aws4_request`;
  const q = [...query, ["X-Amz-Algorithm", "AWS4-HMAC-SHA256"], ["X-Amz-Credential", `${creds.accessKey}/${scope}`],
    ["X-Amz-Date", stamp], ["X-Amz-Expires", String(expires)], ["X-Amz-SignedHeaders", "host"]];
  const canonical = [method, uriEncode(path, true), canonicalQuery(q), "host:" + host + "\n", "host", "UNSIGNED-PAYLOAD"].join("\n");
  const { sig } = await signature(creds, region, stamp, day, canonical);
  return canonicalQuery([...q, ["X-Amz-Signature", sig]]);
}
