// Small DOM helpers: element building, dialogs, notices, tables, forms.

// h builds an element: h("button", {class: "x", onclick: fn}, "text", child).
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith("on") && typeof v === "function") el.addEventListener(k.slice(2), v);
    else if (k === "class") el.className = v;
    else if (k === "dataset") Object.assign(el.dataset, v);
    else if (k === "value") el.value = v;
    else if (v === true) el.setAttribute(k, "");
    else el.setAttribute(k, v);
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c === undefined || c === null || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

let uid = 0;
export function nextId(prefix = "f") {
  uid += 1;
  return `${prefix}-${uid}`;
}

// field is a labelled control: field("Name", h("input", {name: "name"})).
export function field(label, control, hint) {
  if (!control.id) control.id = nextId();
  const hintEl = hint ? h("small", { class: "hint", id: control.id + "-hint" }, hint) : null;
  if (hintEl) control.setAttribute("aria-describedby", hintEl.id);
  return h("div", { class: "field" }, h("label", { for: control.id }, label), control, hintEl);
}

export function bytes(n) {
  if (n === undefined || n === null || isNaN(n)) return "–";
  const u = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
  let i = 0;
  let v = Number(n);
  while (Math.abs(v) >= 1024 && i < u.length - 1) { v /= 1024; i++; }
  return (i === 0 ? v.toFixed(0) : v.toFixed(v < 10 ? 2 : 1)) + " " + u[i];
}

export function when(t) {
  if (!t) return "–";
  const d = typeof t === "number" ? new Date(t < 1e12 ? t * 1000 : t) : new Date(t);
  return isNaN(d) ? String(t) : d.toLocaleString();
}

// table renders rows with columns [{label, get(row) -> node|string}].
export function table(caption, columns, rows, empty = "Nothing here yet.") {
  if (!rows || rows.length === 0) return h("p", { class: "empty", role: "status" }, empty);
  return h("div", { class: "table-wrap", tabindex: "0", role: "region", "aria-label": caption },
    h("table", {},
      h("caption", { class: "sr-only" }, caption),
      h("thead", {}, h("tr", {}, columns.map((c) => h("th", { scope: "col" }, c.label)))),
      h("tbody", {}, rows.map((r) => h("tr", {}, columns.map((c) => h("td", { "data-label": c.label }, c.get(r))))))));
}

// notice shows a message in the page's live region.
export function notice(msg, kind = "info") {
  const box = document.getElementById("notices");
  const el = h("div", { class: "notice " + kind, role: kind === "error" ? "alert" : "status" }, msg,
    h("button", { class: "link", "aria-label": "Dismiss", onclick: () => el.remove() }, "×"));
  box.append(el);
  while (box.children.length > 3) box.firstElementChild.remove(); // the newest three
  if (kind !== "error") setTimeout(() => el.remove(), 6000);
  return el;
}

// errorBox renders an error inline (forms keep it next to the controls).
export function errorBox(err) {
  return h("div", { class: "error", role: "alert" }, err && err.message ? err.message : String(err),
    err && err.target ? h("span", { class: "target" }, ` (field: ${err.target})`) : null);
}

// dialog opens a modal <dialog>; returns {el, close}. Escape closes it.
export function dialog(title, body, { onclose } = {}) {
  const d = h("dialog", { "aria-labelledby": nextId("dlg") });
  const titleId = d.getAttribute("aria-labelledby");
  const close = () => { d.close(); d.remove(); if (onclose) onclose(); };
  d.append(h("div", { class: "dialog-head" }, h("h2", { id: titleId }, title),
    h("button", { class: "link close", "aria-label": "Close", onclick: close }, "×")), body);
  d.addEventListener("cancel", (e) => { e.preventDefault(); close(); });
  document.body.append(d);
  d.showModal();
  const first = d.querySelector("input, textarea, select, button:not(.close)");
  if (first) first.focus();
  return { el: d, close };
}

// form builds a <form> whose submit calls onsubmit(data, form); errors it
// throws are shown inside the form; the submit button is disabled meanwhile.
export function form(fields, submitLabel, onsubmit, extra = {}) {
  const err = h("div", { class: "form-error" });
  const btn = h("button", { type: "submit", class: "primary" }, submitLabel);
  const f = h("form", { class: "form", ...extra }, fields, err, h("div", { class: "actions" }, btn));
  f.addEventListener("submit", async (e) => {
    e.preventDefault();
    err.replaceChildren();
    btn.disabled = true;
    try {
      const data = Object.fromEntries(new FormData(f).entries());
      await onsubmit(data, f);
    } catch (e2) {
      err.replaceChildren(errorBox(e2));
    } finally {
      btn.disabled = false;
    }
  });
  return f;
}

// copyButton copies text to the clipboard.
export function copyButton(text, label = "Copy") {
  const b = h("button", { type: "button", class: "small" }, label);
  b.addEventListener("click", async () => {
    try {
      await navigator.clipboard.writeText(text);
      b.textContent = "Copied";
    } catch {
      // Without clipboard permission: select the text for Ctrl+C.
      const r = document.createRange();
      r.selectNodeContents(b.previousElementSibling || b);
      getSelection().removeAllRanges();
      getSelection().addRange(r);
      b.textContent = "Selected: press Ctrl+C";
    }
  });
  return b;
}

export function section(title, ...children) {
  return h("section", { class: "card", "aria-label": title }, h("h2", {}, title), children);
}

export function btn(label, onclick, cls = "") {
  return h("button", { type: "button", class: cls, onclick }, label);
}
