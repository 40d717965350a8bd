// The object browser: S3 calls signed in the browser with an S3 user's
// keys. Prefixes are folders; uploads (drag and drop or a file picker,
// several at once, multipart past 16 MiB) show a progress bar each.

import { h, field, form, table, dialog, btn, notice, section, bytes, when, copyButton, errorBox } from "../ui.js";
import * as s3 from "../s3.js";
import { objectLockControls } from "./bucketforms.js";

function go(params) {
  const q = new URLSearchParams(params);
  location.hash = "#/objects?" + q.toString();
}

function keysForm(root, again) {
  const cur = s3.keys.get();
  root.append(section("S3 keys", h("p", { class: "muted" },
    "The object browser speaks S3 as one of a tenant's users: its requests are signed in this tab with the user's keys, which stay in this tab's session storage. ",
    "Keys are shown when a user or S3 service is created or a key rotated; choose \"Use these keys\" there, or paste them here."),
  form([
    field("Access key", h("input", { name: "accessKey", required: true, id: "s3-access-key", autocomplete: "off", value: cur?.accessKey || "" })),
    field("Secret key", h("input", { name: "secretKey", required: true, type: "password", id: "s3-secret-key", autocomplete: "off" })),
  ], "Use keys", async (d) => {
    s3.keys.set({ accessKey: d.accessKey.trim(), secretKey: d.secretKey.trim(), label: d.accessKey.slice(0, 12) + "…" });
    again();
  }, { id: "keys-form" })));
}

export async function render(root, params) {
  const again = () => window.dispatchEvent(new HashChangeEvent("hashchange"));
  const k = s3.keys.get();
  if (!k || params.get("keys") === "change") {
    keysForm(root, () => go({}));
    return;
  }
  const bucket = params.get("bucket");
  const who = h("div", { class: "toolbar" }, h("span", {}, "Signed as ", h("strong", {}, k.label)),
    btn("Change keys", () => go({ keys: "change" }), "small"));
  root.append(who);
  if (!bucket) {
    const open = form([field("Bucket", h("input", { name: "bucket", required: true, id: "open-bucket" }))], "Open", async (d) => go({ bucket: d.bucket }),
      { class: "form toolbar" });
    root.append(section("Open a bucket", open));
    try {
      const list = await s3.listBuckets();
      root.append(section("Buckets", table("Buckets", [
        { label: "Bucket", get: (b) => h("a", { href: "#/objects?bucket=" + encodeURIComponent(b.name) }, b.name) },
        { label: "Created", get: (b) => when(b.created) },
      ], list, "This user sees no bucket.")));
    } catch (e) {
      root.append(errorBox(e));
    }
    return;
  }
  const prefix = params.get("prefix") || "";
  const showVersions = params.get("versions") === "1";
  const crumbs = h("nav", { class: "crumbs", "aria-label": "Folder" },
    h("a", { href: "#/objects" }, "Buckets"), " / ",
    h("a", { href: "#/objects?" + new URLSearchParams({ bucket }) }, bucket));
  let acc = "";
  for (const part of prefix.split("/").filter(Boolean)) {
    acc += part + "/";
    crumbs.append(" / ", h("a", { href: "#/objects?" + new URLSearchParams({ bucket, prefix: acc }) }, part));
  }
  root.append(crumbs);

  // Uploads.
  const input = h("input", { type: "file", multiple: true, id: "upload-input" });
  const uploads = h("ul", { class: "uploads", "aria-label": "Uploads" });
  const zone = h("div", { class: "dropzone", id: "dropzone" }, "Drop files here, or ",
    h("label", { for: input.id, class: "button" }, "choose files"), input);
  input.classList.add("sr-only");
  let pending = 0;
  const start = (files) => {
    for (const f of files) {
      const bar = h("progress", { max: String(f.size || 1), value: "0", "aria-label": "Upload of " + f.name });
      const state = h("span", { class: "state" }, "0%");
      const li = h("li", { dataset: { name: f.name } }, h("span", { class: "name", title: f.name }, f.name), bar, state);
      uploads.append(li);
      pending++;
      s3.upload(bucket, prefix + f.name, f, (l, t) => {
        bar.value = l;
        state.textContent = Math.floor((100 * l) / (t || 1)) + "%";
      }).then(() => {
        bar.value = f.size || 1;
        state.textContent = "done";
        li.classList.add("done");
      }, (e) => {
        state.replaceChildren(h("span", { class: "error", role: "alert" }, e.message));
        li.classList.add("failed");
      }).finally(() => {
        pending--;
        if (pending === 0) refresh();
      });
    }
  };
  input.addEventListener("change", () => { start([...input.files]); input.value = ""; });
  zone.addEventListener("dragover", (e) => { e.preventDefault(); zone.classList.add("over"); });
  zone.addEventListener("dragleave", () => zone.classList.remove("over"));
  zone.addEventListener("drop", (e) => { e.preventDefault(); zone.classList.remove("over"); start([...e.dataTransfer.files]); });

  const tools = h("div", { class: "toolbar" },
    h("label", { class: "check" }, h("input", { type: "checkbox", id: "show-versions", checked: showVersions,
      onchange: (e) => go({ bucket, prefix, ...(e.target.checked ? { versions: "1" } : {}) }) }), "Show versions and delete markers"),
    btn("New folder", () => {
      const d = dialog("New folder", form([field("Name", h("input", { name: "name", required: true, pattern: "[^/]+" }))], "Create", async (x) => {
        await s3.request("PUT", bucket, prefix + x.name + "/", { body: "" });
        d.close();
        refresh();
      }));
    }, "small"),
    btn("Refresh", () => refresh(), "small"));
  root.append(section("Upload", zone, uploads), tools);
  const listing = h("div", { id: "listing" });
  root.append(listing);

  async function refresh() {
    listing.replaceChildren(h("p", { class: "muted" }, "Loading…"));
    try {
      listing.replaceChildren(showVersions ? await versionsTable(bucket, prefix, refresh) : await objectsTable(bucket, prefix, refresh));
    } catch (e) {
      listing.replaceChildren(errorBox(e));
    }
  }
  await refresh();
}

async function objectsTable(bucket, prefix, refresh) {
  const res = await s3.list(bucket, prefix);
  const rows = [...res.folders.map((p) => ({ folder: p })), ...res.objects.filter((o) => o.key !== prefix)];
  return table("Objects", [
    { label: "Name", get: (o) => (o.folder
      ? h("a", { href: "#/objects?" + new URLSearchParams({ bucket, prefix: o.folder }), class: "folder" }, "📁 " + o.folder.slice(prefix.length))
      : h("span", { class: "mono" }, o.key.slice(prefix.length))) },
    { label: "Size", get: (o) => (o.folder ? "folder" : bytes(o.size)) },
    { label: "Modified", get: (o) => (o.folder ? "" : when(o.modified)) },
    { label: "Actions", get: (o) => (o.folder ? "" : h("div", { class: "actions" },
      btn("Download", () => download(bucket, o.key), "small"),
      btn("Details", () => details(bucket, o.key), "small"),
      btn("Share", () => share(bucket, o.key), "small"),
      btn("Delete", async () => {
        if (!confirm(`Delete ${o.key}?`)) return;
        try { await s3.remove(bucket, o.key); notice(`${o.key} deleted.`, "ok"); refresh(); } catch (e) { notice(e.message, "error"); }
      }, "small danger"))) },
  ], rows, "This folder is empty.");
}

async function versionsTable(bucket, prefix, refresh) {
  const vs = await s3.versions(bucket, prefix);
  return table("Versions", [
    { label: "Key", get: (v) => h("span", { class: "mono" }, v.key.slice(prefix.length)) },
    { label: "Version", get: (v) => h("span", { class: "mono" }, v.versionId) },
    { label: "Kind", get: (v) => [v.marker ? h("span", { class: "badge warn" }, "delete marker") : h("span", { class: "badge" }, "version"),
      v.latest ? h("span", { class: "badge ok" }, "latest") : null] },
    { label: "Size", get: (v) => (v.marker ? "" : bytes(v.size)) },
    { label: "Modified", get: (v) => when(v.modified) },
    { label: "Actions", get: (v) => h("div", { class: "actions" },
      v.marker ? null : btn("Download", () => download(bucket, v.key, v.versionId), "small"),
      v.marker ? null : btn("Details", () => details(bucket, v.key, v.versionId), "small"),
      btn("Delete version", async () => {
        if (!confirm(`Delete version ${v.versionId} of ${v.key} permanently?`)) return;
        try { await s3.remove(bucket, v.key, v.versionId); refresh(); } catch (e) { notice(e.message, "error"); }
      }, "small danger")) },
  ], vs, "No versions here.");
}

async function download(bucket, key, versionId) {
  try {
    const a = h("a", { href: await s3.downloadURL(bucket, key, versionId), download: key.split("/").pop() });
    document.body.append(a);
    a.click();
    a.remove();
  } catch (e) {
    notice(e.message, "error");
  }
}

async function details(bucket, key, versionId) {
  const body = h("div", {}, h("p", { class: "muted" }, "Loading…"));
  dialog(key.split("/").pop(), body);
  try {
    const m = await s3.head(bucket, key, versionId);
    const rows = [["Key", key], ["Size", bytes(Number(m["content-length"]))], ["Type", m["content-type"]], ["ETag", m["etag"]],
      ["Modified", when(m["last-modified"])], ["Version", m["x-amz-version-id"] || "–"], ["Storage class", m["x-amz-storage-class"] || "STANDARD"],
      ...Object.entries(m).filter(([n]) => n.startsWith("x-amz-meta-")).map(([n, v]) => ["Metadata " + n.slice(11), v])];
    const kv = h("dl", { class: "kv" }, rows.map(([a, b]) => [h("dt", {}, a), h("dd", {}, b || "–")]));
    let tags = [];
    let tagErr = null;
    try { tags = await s3.getTags(bucket, key); } catch (e) { tagErr = e; }
    const ta = h("textarea", { name: "tags", id: "tags-editor", rows: "4" }, tags.map(([a, b]) => `${a}=${b}`).join("\n"));
    const tf = form([h("div", { class: "field" }, h("label", { for: ta.id }, "Tags (one key=value a line)"), ta), tagErr ? errorBox(tagErr) : null],
      "Save tags", async (d) => {
        const list = d.tags.split("\n").map((l) => l.trim()).filter(Boolean).map((l) => {
          const i = l.indexOf("=");
          return i < 0 ? [l, ""] : [l.slice(0, i).trim(), l.slice(i + 1).trim()];
        });
        await s3.putTags(bucket, key, list);
        notice("Tags saved.", "ok");
      });
    // Retention and legal hold, where the bucket has Object Lock.
    let lock = null;
    if (await s3.getConfig(bucket, "object-lock").catch(() => "")) {
      lock = objectLockControls(m, async (name, xml, headers) => {
        await s3.putObjectConfig(bucket, key, m["x-amz-version-id"] || versionId, name, xml, headers);
        notice(name === "retention" ? "Retention saved." : "Legal hold saved.", "ok");
      });
    }
    body.replaceChildren(...[kv, versionId ? null : tf, lock].filter(Boolean));
  } catch (e) {
    body.replaceChildren(errorBox(e));
  }
}

function share(bucket, key) {
  const out = h("div", { id: "share-output" });
  const d = dialog("Share " + key.split("/").pop(), h("div", {},
    h("p", { class: "muted" }, "A presigned link lets anyone with it download the object from the S3 endpoint until it expires, signed by the current keys (rotating them ends it too)."),
    form([field("Expires after", h("select", { name: "expires", id: "share-expiry" },
      [[900, "15 minutes"], [3600, "1 hour"], [86400, "1 day"], [604800, "7 days (the maximum)"]].map(([v, l]) => h("option", { value: String(v), selected: v === 3600 }, l))))],
    "Create link", async (x) => {
      const url = await s3.shareURL(bucket, key, Number(x.expires));
      out.replaceChildren(h("p", { class: "mono", id: "share-url" }, url), copyButton(url, "Copy link"));
    }), out));
  return d;
}
