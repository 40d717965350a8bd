// Pieces several pages share: the SVM picker and the one-time secret.

import { h, field, dialog, copyButton, btn, notice } from "../ui.js";
import { records } from "../api.js";
import { keys } from "../s3.js";

const SVM_KEY = "coffer.svm";

// svmPicker lists the SVMs with an S3 service; it answers {el, svm} with
// the chosen one (remembered for the tab), or null when there are none.
export async function svmPicker(params, onchange) {
  const svms = await records("/protocols/s3/services", { fields: "svm.uuid,svm.name,name" });
  if (svms.length === 0) return null;
  let cur = params.get("svm") || sessionStorage.getItem(SVM_KEY);
  if (!svms.some((s) => s.svm.uuid === cur)) cur = svms[0].svm.uuid;
  sessionStorage.setItem(SVM_KEY, cur);
  const sel = h("select", { name: "svm", id: "svm-picker" },
    svms.map((s) => h("option", { value: s.svm.uuid, selected: s.svm.uuid === cur }, s.svm.name)));
  sel.addEventListener("change", () => {
    sessionStorage.setItem(SVM_KEY, sel.value);
    onchange(sel.value);
  });
  const svm = svms.find((s) => s.svm.uuid === cur).svm;
  return { el: field("Tenant (SVM)", sel), svm, svms };
}

// showSecret shows an S3 key pair once: the secret is in this dialog and
// nowhere else (the APIs never answer it again).
export function showSecret({ title, user, svm, accessKey, secretKey, expiry }) {
  const use = btn("Use these keys in the object browser", () => {
    keys.set({ accessKey, secretKey, label: `${user} (${svm.name})`, svm: svm.uuid });
    notice(`The object browser now signs as ${user}.`, "ok");
    use.disabled = true;
  });
  const d = dialog(title, h("div", { class: "secret-box" },
    h("p", {}, h("strong", {}, "This is the only time the secret key is shown."), " Copy it now; Coffer keeps only a sealed copy and no API answers it again."),
    h("div", { class: "secret" },
      h("div", {}, h("strong", {}, "Access key"), h("span", { class: "mono", id: "new-access-key" }, accessKey), copyButton(accessKey)),
      h("div", {}, h("strong", {}, "Secret key"), h("span", { class: "mono", id: "new-secret-key" }, secretKey), copyButton(secretKey)),
      expiry ? h("div", {}, h("strong", {}, "Expires "), expiry) : null),
    h("div", { class: "actions" }, use, btn("Done", () => d.close(), "primary"))));
  return d;
}
