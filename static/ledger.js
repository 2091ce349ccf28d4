/* The follow-up ledger (整改台账): every follow-up of the real meetings, filtered as the page's
 * address says (so a link can open it filtered), its XLSX, and the department's answer on one.
 * Plain ES module, no framework; everything through the HTTP API. */
import { $, clear, el, fill, pad, texts } from "./lib/dom.js";
import { api, fail, setupToast, show, uploadEach } from "./lib/api.js";

const T = texts();
const FILTERS = ["status", "meeting", "department", "overdue", "due_soon"];
let rows = [];
let editing = null;

// -- the filters, in the address ----------------------------------------------------------------

function readForm() {
  const q = new URLSearchParams();
  const department = $("filter-department").value.trim();
  if ($("filter-status").value) q.set("status", $("filter-status").value);
  if ($("filter-meeting").value) q.set("meeting", $("filter-meeting").value);
  if (department) q.set("department", department);
  if ($("filter-overdue").checked) q.set("overdue", "1");
  if ($("filter-due-soon").checked) q.set("due_soon", "1");
  return q;
}

function fillForm(q) {
  $("filter-status").value = q.get("status") || "";
  $("filter-department").value = q.get("department") || "";
  $("filter-overdue").checked = q.get("overdue") === "1";
  $("filter-due-soon").checked = q.get("due_soon") === "1";
}

function query() {
  const q = new URLSearchParams(window.location.search);
  FILTERS.forEach((k) => { if (!q.get(k)) q.delete(k); });
  return q;
}

function apply(q) {
  const text = q.toString();
  window.history.replaceState(null, "", window.location.pathname + (text ? "?" + text : ""));
  load();
}

// -- the table ------------------------------------------------------------------------------

function days(r) {
  if (r.days_left === null) return el("span", { class: "muted", text: r.due ? T.closed : T.no_due });
  if (r.overdue) return el("span", { class: "days overdue", text: fill(T.days_overdue, { n: r.days_overdue }) });
  const text = r.days_left === 0 ? T.due_today : fill(T.days_left, { n: r.days_left });
  return el("span", { class: "days" + (r.due_soon ? " soon" : ""), text: text });
}

function rowOf(r) {
  const tr = el("tr", { "data-item": r.item, class: r.overdue ? "overdue" : r.due_soon ? "soon" : "" }, [
    el("td", {}, [el("strong", { class: "nowrap", text: r.subject }), el("div", { class: "muted small", text: r.person }),
      r.carried_from ? el("div", { class: "muted small", text: fill(T.carried, { id: r.carried_from }) }) : null]),
    el("td", {}, [r.meeting_title, el("div", { class: "muted small" }, [r.meeting_date,
      r.archived ? " · " + T.archived : ""])]),
    el("td", { class: "nowrap", text: r.verdict_label || "—" }),
    el("td", { class: "nowrap", text: r.due || T.no_due }),
    el("td", {}, [el("span", { class: "badge " + r.status, text: T.status[r.status] })]),
    el("td", { class: "num nowrap" }, [days(r)]),
    el("td", { class: "report" }, [r.received ? fill(T.received, { date: r.received }) : el("span",
      { class: "muted", text: T.not_received }), r.report ? el("p", { text: r.report }) : null,
      r.files.length ? el("div", { class: "muted small files", text: T.fields.files + "：" + r.files.map((f) => f.name).join(T.list_sep) }) : null]),
    el("td", { class: "report" }, [el("strong", { text: T.grades[r.grade] || "—" }),
      r.assessment ? el("p", { text: r.assessment }) : null]),
    el("td", {}, [el("button", { type: "button", class: "btn small edit", text: T.edit,
      onclick: () => edit(r) })])
  ]);
  return tr;
}

function meetingsOf(list, wanted) {
  const select = $("filter-meeting");
  const first = select.options[0];
  clear(select);
  select.appendChild(first);
  list.forEach((m) => select.appendChild(el("option", { value: String(m.id),
    text: m.title + "（" + m.date + "）", selected: String(m.id) === wanted })));
  select.value = wanted || "";
}

function counts(got) {
  const w = got.warnings;
  [["count-overdue", T.ledger_overdue, w.overdue], ["count-due-soon", T.ledger_due_soon, w.due_soon]]
    .forEach(([id, template, n]) => {
      $(id).textContent = fill(template, { n: n });
      $(id).hidden = !n;
    });
  $("ledger-summary").textContent = fill(T.summary, { total: got.counts.total, shown: got.counts.shown });
  $("ledger-today").textContent = got.today;
}

function render(got) {
  rows = got.rows;
  const q = query();
  meetingsOf(got.meetings, q.get("meeting"));
  counts(got);
  const body = $("ledger-body");
  clear(body);
  rows.forEach((r) => body.appendChild(rowOf(r)));
  $("ledger-table").hidden = !rows.length;
  $("ledger-empty").hidden = !!rows.length;
  $("ledger-empty").textContent = got.counts.total ? T.empty_filtered : T.empty_all;
  const text = q.toString();
  $("ledger-xlsx").href = "/api/ledger.xlsx" + (text ? "?" + text : "");
}

function load() {
  const q = query();
  fillForm(q);
  const text = q.toString();
  return api("GET", "/api/ledger" + (text ? "?" + text : "")).then(render, fail);
}

// -- the answer -----------------------------------------------------------------------------

function historyLine(h) {
  const at = new Date(h.at);
  const when = isNaN(at.getTime()) ? h.at : at.getFullYear() + "-" + pad(at.getMonth() + 1) + "-" +
    pad(at.getDate()) + " " + pad(at.getHours()) + ":" + pad(at.getMinutes());
  const status = h.before && h.before !== h.status
    ? fill(T.history_status, { before: T.status[h.before], status: T.status[h.status] })
    : T.status[h.status] || "";
  const what = h.changed.map((f) => T.fields[f] || f).join(T.list_sep);
  return el("li", {}, [when + " · " + T.history[h.action] + " · " + status +
    (what ? fill(T.history_fields, { fields: what }) : "")]);
}

function edit(r) {
  editing = r;
  $("answer-title").textContent = fill(T.answer_title, { subject: r.subject });
  $("answer-meta").textContent = fill(T.answer_meta, { meeting: r.meeting_title, date: r.meeting_date,
    verdict: r.verdict_label || "—", due: r.due || T.no_due });
  $("answer-status").value = r.status;
  $("answer-received").value = r.received || "";
  $("answer-report").value = r.report;
  $("answer-assessment").value = r.assessment;
  $("answer-grade").value = r.grade;
  const list = $("answer-history");
  clear(list);
  r.history.forEach((h) => list.appendChild(historyLine(h)));
  drawFiles(r.files);
  $("answer-dialog").showModal();
}

// -- the answer's files (kept as the sitting's materials are; the console alone reads them) ----

function filesPath(r) {
  return "/api/meetings/" + r.meeting + "/followups/" + r.item + "/files";
}

function drawFiles(files) {
  const list = $("answer-file-list");
  clear(list);
  hideViewer();
  if (!files.length) list.appendChild(el("li", { class: "muted", text: T.files_none }));
  files.forEach((f) => {
    const what = T.file_kinds[f.kind] + " · " + (f.pages ? fill(T.file_pages, { n: f.pages }) : T.file_text);
    list.appendChild(el("li", { "data-file": f.id }, [el("span", { class: "file-name", text: f.name }),
      el("span", { class: "muted small", text: what }),
      el("button", { type: "button", class: "btn small", text: T.file_view, onclick: (ev) => view(f, ev.target) }),
      el("button", { type: "button", class: "btn small danger", text: T.file_delete, onclick: () => removeFile(f) })]));
  });
}

function hideViewer() {
  const box = $("answer-viewer");
  clear(box);
  box.hidden = true;
  delete box.dataset.file;
}

/* A file's pages (drawn at upload) or its text, under the list, through the materials' routes. */
function view(f, button) {
  const box = $("answer-viewer");
  if (box.dataset.file === String(f.id)) return hideViewer();
  hideViewer();
  box.dataset.file = String(f.id);
  box.hidden = false;
  const path = "/materials/" + editing.meeting + "/" + f.id + "/";
  box.appendChild(el("h3", { text: f.name }));
  for (let n = 1; n <= f.pages; n++) {
    box.appendChild(el("img", { src: path + n, alt: fill(T.page_alt, { name: f.name, n: n }), loading: "lazy" }));
  }
  if (!f.pages) {
    const text = el("pre", { text: "…" });
    box.appendChild(text);
    fetch(path + "text", { credentials: "same-origin" }).then((r) => {
      if (!r.ok) throw new Error(r.status);
      return r.text();
    }).then((t) => { text.textContent = t; }, () => { text.textContent = T.file_failed; });
  }
  box.appendChild(el("button", { type: "button", class: "btn small ghost", text: T.file_hide, onclick: () => {
    hideViewer();
    button.focus();
  } }));
}

/* The table again (as filtered), and the dialog's list and history from its row. */
function reloadFiles(r) {
  return load().then(() => {
    const now = rows.filter((x) => x.item === r.item)[0];
    if (!now || editing !== r) return;
    r.files = now.files;
    const list = $("answer-history");
    clear(list);
    now.history.forEach((h) => list.appendChild(historyLine(h)));
    drawFiles(r.files);
  });
}

function uploadFiles(files) {
  const r = editing;
  const limit = Number($("answer-files").dataset.limit || 20);
  const words = { too_large: T.file_too_large, uploading: T.file_uploading, uploaded: T.file_uploaded };
  return uploadEach(files, filesPath(r), limit, words, {}, () => reloadFiles(r));
}

function removeFile(f) {
  const r = editing;
  if (!window.confirm(fill(T.file_confirm_delete, { name: f.name }))) return;
  api("DELETE", filesPath(r) + "/" + f.id).then(() => {
    show(fill(T.file_deleted, { name: f.name }));
    return reloadFiles(r);
  }, fail);
}

function save(event) {
  event.preventDefault();
  const r = editing;
  const body = { status: $("answer-status").value, received: $("answer-received").value || null,
    report: $("answer-report").value, assessment: $("answer-assessment").value,
    grade: $("answer-grade").value };
  $("answer-save").disabled = true;
  api("PUT", "/api/meetings/" + r.meeting + "/followups/" + r.item + "/answer", body).then(() => {
    $("answer-save").disabled = false;
    $("answer-dialog").close();
    show(fill(T.saved, { subject: r.subject }));
    load();
  }, (err) => {
    $("answer-save").disabled = false;
    fail(err);
  });
}

// -- start ------------------------------------------------------------------------------------

setupToast({ hideAfter: 6000, stamp: false });
$("ledger-filters").addEventListener("change", () => apply(readForm()));
$("ledger-filters").addEventListener("submit", (event) => {
  event.preventDefault();
  apply(readForm());
});
$("filter-clear").addEventListener("click", () => apply(new URLSearchParams()));
$("answer-form").addEventListener("submit", save);
$("answer-cancel").addEventListener("click", () => $("answer-dialog").close());
$("answer-file").addEventListener("change", (ev) => {
  const files = Array.prototype.slice.call(ev.target.files || []);
  ev.target.value = "";
  uploadFiles(files);
});
load();
