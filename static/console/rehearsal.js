/* A rehearsal (演练) and the real sitting: the header's 演练 badge and its 转为正式 button.
 *
 * The button first asks the server what would be discarded (make-real without `confirm` answers
 * 409 with the counts), shows that in a dialog, and only on 确定 sends `confirm: true`. The page
 * then reloads: every tab starts again from the real sitting's empty records. */
import { $, fill, texts } from "../lib/dom.js";
import { api, fail, show } from "../lib/api.js";
import { MID } from "./meeting.js";

const T = texts();
const PATH = () => "/api/meetings/" + MID + "/make-real";

function ask() {
  api("POST", PATH(), {}).then(
    () => window.location.reload(), // turned real already (not expected without confirm)
    (err) => {
      if (err.code !== "confirm_make_real" || !err.discard) return fail(err);
      $("make-real-text").textContent = fill(T.make_real_confirm, err.discard);
      $("make-real-dialog").showModal();
    }
  );
}

function confirmed() {
  $("make-real-dialog").close();
  api("POST", PATH(), { confirm: true }).then(() => {
    show(T.made_real);
    window.location.reload();
  }, fail);
}

export function setupRehearsal() {
  const button = $("make-real");
  if (!button) return;
  button.addEventListener("click", ask);
  $("make-real-cancel").addEventListener("click", () => $("make-real-dialog").close());
  $("make-real-ok").addEventListener("click", confirmed);
}
