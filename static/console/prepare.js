/* 准备: the meeting's settings, its items (edit, delete, reorder by buttons or dragging) and
 * the items read from pasted lines or an uploaded table. The cards are in cards.js. */
import { $, all, clear, el, fill, texts } from "../lib/dom.js";
import { api, fail, localError, show } from "../lib/api.js";
import { field, readSettings } from "../lib/settings.js";
import { BASE, S, exclusive, items, refresh, renderAll, stateBadge, started } from "./meeting.js";
import { renderRun } from "./run.js";

const T = texts();

// -- settings ----------------------------------------------------------------------------------

function form() {
  return $("settings-form");
}

function setRadio(name, value) {
  all('input[name="' + name + '"]', form()).forEach((r) => { r.checked = r.value === value; });
}

function setQuorum(value) {
  const quorum = field(form(), "quorum");
  const same = (o) => Math.abs(Number(o.value) - value) < 1e-9;
  if (!Array.prototype.some.call(quorum.options, same)) {
    quorum.appendChild(el("option", { value: String(value), text: String(value) }));
  }
  Array.prototype.forEach.call(quorum.options, (o) => { o.selected = same(o); });
}

/* Put the meeting's settings into the form (and forget what the secretary changed there). */
export function fillSettings() {
  const m = S.meeting;
  const f = (name) => field(form(), name);
  f("title").value = m.title;
  f("expected").value = m.expected;
  f("scale").value = m.scale;
  f("aspects").value = (m.aspects || []).join("、");
  setRadio("secret", m.secret ? "1" : "0");
  setRadio("join_mode", m.join_mode);
  setQuorum(m.quorum);
  const rule = m.rule || {};
  setRadio("rule_kind", rule.kind || "majority");
  f("rule_base").value = rule.base || "expected";
  f("thresholds").value = (rule.thresholds || [80, 60]).join(", ");
  f("allow_change").checked = !!m.allow_change;
  f("live_tallies").checked = !!m.live_tallies;
  f("auto_close").checked = !!m.auto_close;
  f("speech_minutes").value = m.speech_minutes || 8;
  f("speech_opens_vote").checked = !!m.speech_opens_vote;
  const combine = m.combine || {};
  setRadio("combine_kind", combine.kind || "members_only");
  if (combine.weights) {
    if (combine.weights.member) f("weight_member").value = combine.weights.member;
    if (combine.weights.deputy) f("weight_deputy").value = combine.weights.deputy;
  }
  S.settingsDirty = false;
}

/* Once an item has opened, only the title and the 述法 timer's settings may change. */
const UNLOCKED = ["title", "speech_minutes", "speech_opens_vote"];

export function lockSettings() {
  const locked = started();
  Array.prototype.forEach.call(form().elements, (control) => {
    if (control.name && UNLOCKED.indexOf(control.name) < 0) control.disabled = locked;
  });
  const note = $("settings-locked");
  note.hidden = !locked;
  note.textContent = locked ? T.settings_locked : "";
}

export function renderTitle() {
  $("meeting-title").textContent = S.meeting.title;
  document.title = S.meeting.title;
}

function saveSettings(event) {
  event.preventDefault();
  if (!form().reportValidity()) return;
  exclusive(() => {
    const settings = readSettings(form());
    const unlocked = { title: settings.title, speech_minutes: settings.speech_minutes,
      speech_opens_vote: settings.speech_opens_vote };
    return api("PATCH", BASE, started() ? unlocked : settings).then((updated) => {
      Object.assign(S.meeting, updated);
      fillSettings();
      renderTitle();
      show(T.settings_saved);
      return refresh();
    });
  });
}

// -- the items editor --------------------------------------------------------------------------

let dragged = null;

function editor() {
  return $("editor-body");
}

function kindSelect(value, disabled) {
  const select = el("select", { class: "kind", disabled: disabled, "aria-label": T.columns.kind });
  ["oral", "written", "other", "rectification"].forEach((k) => {
    select.appendChild(el("option", { value: k, text: T.kinds[k], selected: k === value }));
  });
  return select;
}

function iconButton(cls, label, text, disabled, onclick) {
  return el("button", { type: "button", class: "icon-btn " + cls, title: label, "aria-label": label,
    text: text, disabled: disabled, onclick: onclick });
}

/* An oral item's own time to speak, in minutes under its kind (empty: the meeting's, shown greyed). */
function speechField(i, locked) {
  const own = i.speech_seconds;
  return el("label", { class: "speech-own", title: T.speech_own_label }, [el("input", { type: "number", class: "speech",
    min: "0.5", max: "60", step: "0.5", value: own ? String(Math.round(own / 6) / 10) : "", disabled: locked,
    placeholder: String(S.meeting.speech_minutes || 8), "aria-label": T.speech_own_label }), T.minutes]);
}

function editSpeech(i, input) {
  const text = input.value.trim();
  const minutes = Number(text);
  const reset = () => { input.value = i.speech_seconds ? String(Math.round(i.speech_seconds / 6) / 10) : ""; };
  if (text && (!isFinite(minutes) || minutes < 0.5 || minutes > 60)) {
    reset();
    return fail(localError(T.speech_own_bad));
  }
  // a refused value puts the minutes back (editItem restores `control.value`)
  editItem(i, "speech_seconds", text ? Math.round(minutes * 60) : null, { set value(v) { reset(); } });
}

function textCell(i, name, locked, extra) {
  return el("td", {}, [el("input", Object.assign({ type: "text", class: name, value: i[name],
    disabled: locked }, extra))]);
}

function editorRow(i, n, count) {
  const locked = i.state !== "draft";
  return el("tr", { "data-edit-item": i.id, class: locked ? "locked" : "" }, [
    el("td", { class: "handle-col" }, [el("span", { class: "handle", title: T.drag, text: "⠿",
      "aria-hidden": "true" })]),
    el("td", { class: "num muted", text: n + 1 }),
    textCell(i, "subject", locked, { maxlength: "200", "aria-label": T.subject,
      title: locked ? T.locked_item : "" }),
    textCell(i, "person", locked, { maxlength: "200", "aria-label": T.person }),
    el("td", {}, [kindSelect(i.kind, locked), i.kind === "oral" ? speechField(i, locked) : null]),
    textCell(i, "batch", locked, { maxlength: "40", size: "8", "aria-label": T.columns.batch }),
    el("td", {}, [stateBadge(i.state)]),
    el("td", { class: "nowrap" }, [
      iconButton("up", T.move_up, "↑", n === 0, () => reorder(i.id, -1)),
      iconButton("down", T.move_down, "↓", n === count - 1, () => reorder(i.id, 1)),
      iconButton("delete", T.delete, "✕", locked, () => deleteItem(i))
    ])
  ]);
}

function wireEdits(row, i) {
  ["subject", "person", "batch"].forEach((name) => {
    const input = row.querySelector("input." + name);
    input.addEventListener("change", () => editItem(i, name, input.value, input));
    input.addEventListener("keydown", (event) => {
      if (event.key === "Enter") input.blur();
    });
  });
  const select = row.querySelector("select.kind");
  select.addEventListener("change", () => editItem(i, "kind", select.value, select));
  const speech = row.querySelector("input.speech");
  if (speech) {
    speech.addEventListener("change", () => editSpeech(i, speech));
    speech.addEventListener("keydown", (event) => { if (event.key === "Enter") speech.blur(); });
  }
}

function dropAfter(row, event) {
  const box = row.getBoundingClientRect();
  return event.clientY > box.top + box.height / 2;
}

function drop(row, i, event) {
  event.preventDefault();
  if (dragged === null || dragged === i.id) return;
  const ids = items().map((x) => x.id).filter((id) => id !== dragged);
  ids.splice(ids.indexOf(i.id) + (dropAfter(row, event) ? 1 : 0), 0, dragged);
  clearDropMarks();
  saveOrder(ids);
}

function wireDrag(row, i) {
  row.querySelector(".handle").addEventListener("mousedown", () => { row.draggable = true; });
  row.addEventListener("dragstart", (event) => {
    dragged = i.id;
    row.classList.add("dragging");
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", String(i.id));
  });
  row.addEventListener("dragend", () => {
    row.draggable = false;
    row.classList.remove("dragging");
    dragged = null;
    clearDropMarks();
  });
  row.addEventListener("dragover", (event) => {
    if (dragged === null || dragged === i.id) return;
    event.preventDefault();
    clearDropMarks();
    row.classList.add(dropAfter(row, event) ? "drop-after" : "drop-before");
  });
  row.addEventListener("drop", (event) => drop(row, i, event));
}

/* Draw the editor when the items changed (or `force`), but not under the secretary's cursor. */
export function renderEditor(force) {
  const key = JSON.stringify(items().map((i) => [i.id, i.subject, i.person, i.kind, i.batch, i.state,
    i.speech_seconds, S.meeting.speech_minutes]));
  if (!force && key === S.editorKey) return;
  if (!force && editor().contains(document.activeElement) &&
      document.activeElement.tagName !== "BUTTON") {
    S.editorPending = true; // do not pull the field away from under the secretary's cursor
    return;
  }
  S.editorKey = key;
  S.editorPending = false;
  clear(editor());
  const list = items();
  $("items-count").textContent = list.length ? fill(T.count, { n: list.length }) : "";
  if (!list.length) {
    editor().appendChild(el("tr", {}, [el("td", { colSpan: 8, class: "empty", text: T.no_items })]));
    return;
  }
  list.forEach((i, n) => {
    const row = editorRow(i, n, list.length);
    wireEdits(row, i);
    wireDrag(row, i);
    editor().appendChild(row);
  });
}

function clearDropMarks() {
  all(".drop-before, .drop-after", editor()).forEach((r) => r.classList.remove("drop-before", "drop-after"));
}

function editItem(i, name, value, control) {
  const body = {};
  body[name] = typeof value === "string" ? value.trim() : value;
  if (name === "subject" && !body.subject) {
    control.value = i.subject;
    return;
  }
  api("PATCH", BASE + "/items/" + i.id, body).then(
    (updated) => {
      Object.assign(i, updated);
      show(fill(T.item_saved, { name: i.subject }));
      S.editorKey = "";
      renderEditor();
      renderAll();
    },
    (err) => {
      control.value = i[name];
      fail(err);
    }
  );
}

function deleteItem(i) {
  if (!window.confirm(fill(T.confirm_delete, { name: i.subject }))) return;
  exclusive(() => api("DELETE", BASE + "/items/" + i.id).then(() => {
    delete S.selected[i.id];
    S.meeting.items = items().filter((x) => x.id !== i.id);
    show(fill(T.item_deleted, { name: i.subject }));
    renderAll();
    return refresh();
  }));
}

function reorder(id, delta) {
  const ids = items().map((x) => x.id);
  const at = ids.indexOf(id);
  const to = at + delta;
  if (at < 0 || to < 0 || to >= ids.length) return;
  ids.splice(at, 1);
  ids.splice(to, 0, id);
  saveOrder(ids);
}

function saveOrder(ids) {
  const byId = {};
  items().forEach((x) => { byId[x.id] = x; });
  const before = S.meeting.items;
  S.meeting.items = ids.map((id, n) => {
    const x = byId[id];
    x.position = n + 1;
    return x;
  });
  renderEditor(true);
  renderRun();
  api("POST", BASE + "/items/order", { items: ids }).then(
    () => {
      show(T.order_saved);
      return refresh();
    },
    (err) => {
      S.meeting.items = before;
      renderEditor(true);
      fail(err);
      refresh();
    }
  );
}

// -- pasted lines and uploaded tables ----------------------------------------------------------

/* S.parsed: the items read, as POST …/items takes them; S.parsedRows: for each, its row number
 * in what was read and what the parser had to guess at (the preview API's `warnings`). */

function warningText(w) {
  const known = T.import_warnings[w.code];
  return known ? fill(known, { value: w.value }) : w.message;
}

function noteText(n) {
  if (n.code === "header" && n.columns) {
    const shown = Object.keys(n.columns).map((key) => n.columns[key] + " → " + (T.columns[key] || key));
    return fill(T.import_notes.header, { value: shown.join("、") });
  }
  const known = T.import_notes[n.code];
  return known ? fill(known, { value: n.value }) : n.message;
}

function previewRow(p, n) {
  const info = S.parsedRows[n] || { n: n + 1, warnings: [] };
  const flagged = info.warnings.length > 0;
  return el("tr", { class: flagged ? "guessed" : "" }, [
    el("td", { class: "num muted", text: info.n }),
    el("td", { text: p.subject }),
    el("td", { text: p.person }),
    el("td", { text: T.kinds[p.kind] || p.kind }),
    el("td", { text: p.batch }),
    el("td", { class: "warnings" }, info.warnings.map((w) =>
      el("div", { class: "warning", text: "⚠ " + warningText(w) }))),
    el("td", {}, [el("button", { type: "button", class: "icon-btn", text: "✕", title: T.remove,
      "aria-label": T.remove, onclick: () => {
        S.parsed.splice(n, 1);
        S.parsedRows.splice(n, 1);
        renderPreview();
      } })])
  ]);
}

function flaggedCount() {
  return S.parsedRows.filter((r) => r.warnings.length > 0).length;
}

function renderPreview() {
  const body = $("preview-body");
  clear(body);
  $("preview").hidden = S.parsed.length === 0;
  const m = flaggedCount();
  $("preview-note").textContent = m ? fill(T.parsed_flagged, { n: S.parsed.length, m: m })
    : fill(T.parsed, { n: S.parsed.length });
  const notes = $("preview-notes");
  clear(notes);
  (S.parsedNotes || []).forEach((n) => notes.appendChild(el("li", { text: noteText(n) })));
  S.parsed.forEach((p, n) => body.appendChild(previewRow(p, n)));
  const add = $("add-parsed");
  add.textContent = fill(T.add_parsed, { n: S.parsed.length });
  add.disabled = S.parsed.length === 0;
}

/* Show what was read, and say in a toast what THIS reading gave (`file`: the upload's name). */
function parsed(data, file) {
  S.parsed = (data && data.items) || [];
  const warnings = (data && data.warnings) || [];
  const known = {};
  items().forEach((i) => { known[i.subject + "\u0000" + i.person] = true; });
  S.parsedRows = S.parsed.map((p, n) => {
    const flags = (warnings[n] || []).slice();
    if (known[p.subject + "\u0000" + p.person]) flags.push({ code: "exists", value: p.subject });
    return { n: n + 1, warnings: flags };
  });
  S.parsedNotes = (data && data.notes) || [];
  renderPreview();
  if (!S.parsed.length) {
    show(T.parsed_none, "error");
    return;
  }
  const m = flaggedCount();
  const said = { n: S.parsed.length, m: m, file: file || "" };
  const key = (file ? "read_file" : "read_paste") + (m ? "_flagged" : "");
  show(fill(T[key], said), m ? "info" : "ok");
}

function parsePasted() {
  const text = $("paste").value;
  if (!text.trim()) {
    show(T.parsed_none, "error");
    $("paste").focus();
    return;
  }
  api("POST", "/api/items/parse", { text: text, kind: $("import-kind").value,
    batch: $("import-batch").value.trim() }).then((data) => parsed(data), fail);
}

function parseUpload() {
  const input = $("upload");
  const file = input.files && input.files[0];
  if (!file) return;
  const data = new FormData();
  data.append("file", file, file.name);
  data.append("kind", $("import-kind").value);
  data.append("batch", $("import-batch").value.trim());
  api("POST", "/api/items/parse", undefined, data).then((answer) => parsed(answer, file.name), fail)
    .then(() => {
      input.value = "";
    });
}

function addParsed() {
  if (!S.parsed.length) return;
  const adding = S.parsed.slice();
  exclusive(() => api("POST", BASE + "/items", { items: adding }).then((done) => {
    show(fill(T.items_added, { n: done.ids.length }));
    S.parsed = [];
    S.parsedRows = [];
    S.parsedNotes = [];
    $("paste").value = "";
    renderPreview();
    return refresh();
  }));
}

export function setupPrepare() {
  const settings = form();
  settings.addEventListener("input", () => { S.settingsDirty = true; });
  settings.addEventListener("change", () => { S.settingsDirty = true; });
  settings.addEventListener("submit", saveSettings);
  editor().addEventListener("focusout", () => {
    setTimeout(() => {
      if (S.editorPending && !editor().contains(document.activeElement)) renderEditor();
    }, 0);
  });
  $("parse").addEventListener("click", parsePasted);
  $("upload").addEventListener("change", parseUpload);
  $("cancel-parsed").addEventListener("click", () => {
    S.parsed = [];
    S.parsedRows = [];
    S.parsedNotes = [];
    renderPreview();
  });
  $("add-parsed").addEventListener("click", addParsed);
}
