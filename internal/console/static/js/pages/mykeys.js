// A tenant user's own S3 keys (Commvault's /V4/User/S3AccessKey).

import { h, btn, section, notice } from "../ui.js";
import { cv, session } from "../api.js";
import { showSecret } from "./common.js";

export async function render(root) {
  const reload = () => window.dispatchEvent(new HashChangeEvent("hashchange"));
  let key = null;
  try {
    key = await cv("GET", "/V4/User/S3AccessKey");
  } catch (e) {
    if (e.status !== 404) throw e;
  }
  const user = session.get()?.user || "";
  root.append(section("My S3 keys",
    key && key.accessKeyID
      ? h("dl", { class: "kv" }, h("dt", {}, "Access key"), h("dd", { class: "mono", id: "my-access-key" }, key.accessKeyID),
        h("dt", {}, "Status"), h("dd", {}, key.status || ""), h("dt", {}, "Secret key"), h("dd", { class: "muted" }, "shown once, when the key is made"))
      : h("p", { class: "empty" }, "You have no S3 key yet."),
    h("div", { class: "actions" }, btn(key && key.accessKeyID ? "Rotate my key" : "Create my key", async () => {
      try {
        const k = await cv("PUT", "/V4/User/S3AccessKey");
        showSecret({ title: "Your new S3 keys", user, svm: { name: "default", uuid: "" }, accessKey: k.accessKeyID, secretKey: k.secretAccessKey })
          .el.addEventListener("close", reload);
      } catch (e) {
        notice(e.message, "error");
      }
    }, "primary")),
    h("p", { class: "muted" }, "Rotating makes a new pair; the old keys stop working at once.")));
}
