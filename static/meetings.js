/* The console's list of meetings: create a meeting, copy, delete or archive one. Plain ES module,
 * no framework. */
import { $, all, fill, texts } from "./lib/dom.js";
import { api, errorText, fail, setupToast, show } from "./lib/api.js";
import { readSettings } from "./lib/settings.js";
import { showWarnings } from "./lib/warnings.js";

const T = texts();

function enter(meeting, message) {
  show(fill(message, { title: meeting.title }));
  window.location.href = "/console/meetings/" + meeting.id + "#prepare";
}

// -- create ------------------------------------------------------------------------------------

function create(form, button) {
  if (!form.reportValidity()) return;
  let settings;
  try {
    settings = readSettings(form);
  } catch (err) {
    fail(err);
    return;
  }
  settings.rehearsal = $("create-rehearsal").checked;
  button.disabled = true;
  show(T.working, "info");
  api("POST", "/api/meetings", settings).then(
    (meeting) => enter(meeting, T.created),
    (err) => {
      button.disabled = false;
      show(errorText(err), "error");
    }
  );
}

// -- copy --------------------------------------------------------------------------------------

let copyFrom = null;

function copy(id, title) {
  return api("POST", "/api/meetings/" + id + "/copy", { title: title }).then(
    (meeting) => enter(meeting, T.copied),
    fail
  );
}

function askCopy(button) {
  const dialog = $("copy-dialog");
  const title = fill(T.copy_title, { title: button.getAttribute("data-title") });
  copyFrom = button.getAttribute("data-id");
  if (dialog && typeof dialog.showModal === "function") {
    $("copy-title").value = title;
    dialog.showModal();
    $("copy-title").select();
  } else {
    const answer = window.prompt(T.copy_prompt, title);
    if (answer) copy(copyFrom, answer.trim());
  }
}

function wireCopyDialog(dialog) {
  $("copy-cancel").addEventListener("click", () => dialog.close());
  $("copy-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const title = $("copy-title").value.trim();
    if (!title) {
      $("copy-title").focus();
      return;
    }
    dialog.close();
    copy(copyFrom, title);
  });
}

// -- delete, archive ----------------------------------------------------------------------------

function remove(button) {
  const title = button.getAttribute("data-title");
  if (!window.confirm(fill(T.delete_confirm, { title: title }))) return;
  button.disabled = true;
  api("DELETE", "/api/meetings/" + button.getAttribute("data-id")).then((done) => {
    show(fill(T.deleted, { title: title, backup: done.backup }));
    button.closest("tr").remove();
  }, (err) => {
    button.disabled = false;
    fail(err);
  });
}

function archive(button, action) {
  const title = button.getAttribute("data-title");
  api("POST", "/api/meetings/" + button.getAttribute("data-id") + "/" + action).then(() => {
    show(fill(T[action + "d"], { title: title }));
    window.setTimeout(() => window.location.reload(), 800);
  }, fail);
}

function showArchived(on) {
  window.location.href = "/console/" + (on ? "?archived=1" : "");
}

// -- start -------------------------------------------------------------------------------------

setupToast({ hideAfter: 6000, stamp: false });
$("create-form").addEventListener("submit", (event) => {
  event.preventDefault();
  create($("create-form"), $("create"));
});
all("button.copy").forEach((button) => button.addEventListener("click", () => askCopy(button)));
if ($("copy-dialog")) wireCopyDialog($("copy-dialog"));
all("button.delete").forEach((button) => button.addEventListener("click", () => remove(button)));
all("button.archive").forEach((b) => b.addEventListener("click", () => archive(b, "archive")));
all("button.unarchive").forEach((b) => b.addEventListener("click", () => archive(b, "unarchive")));
$("show-archived").addEventListener("change", (event) => showArchived(event.target.checked));
showWarnings();
