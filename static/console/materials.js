/* 看一看 in 准备: upload each item's report and basis documents (and the meeting's general ones),
 * see and delete them, the items still without any (缺少材料), and the reading link (make, print
 * as a QR code, withdraw). A material is viewed with the phones' own reader (static/reader.js),
 * which the console may use without a key. */
import { $, clear, el, fill, texts } from "../lib/dom.js";
import { api, fail, show, uploadEach } from "../lib/api.js";
import { BASE, MID, items } from "./meeting.js";

const T = texts();
const M = { list: [], reading: null, url: null, loaded: false };
const LIMIT_MB = Number($("materials").dataset.limit || 20);

function load() {
  return api("GET", BASE + "/materials").then((data) => {
    M.list = data.materials;
    M.reading = data.reading_key;
    M.url = data.reading_url;
    M.loaded = true;
    renderMaterials();
  }, fail);
}

function subject(id) {
  const it = items().filter((i) => i.id === id)[0];
  return it ? it.subject : T.mat_general;
}

function size(bytes) {
  return bytes >= 1048576 ? (bytes / 1048576).toFixed(1) + " MB" : Math.max(1, Math.round(bytes / 1024)) + " KB";
}

function renderTargets() {
  const select = $("material-item");
  const chosen = select.value;
  clear(select);
  select.appendChild(el("option", { value: "", text: T.mat_general }));
  items().forEach((it, n) => {
    select.appendChild(el("option", { value: String(it.id), text: (n + 1) + ". " + it.subject }));
  });
  if (chosen) select.value = chosen;
}

function renderMissing() {
  const have = {};
  M.list.forEach((m) => { if (m.item_id !== null) have[m.item_id] = true; });
  const missing = items().filter((i) => !have[i.id]);
  const box = $("materials-missing");
  box.className = "materials-missing " + (missing.length ? "lacking" : "complete");
  box.textContent = missing.length
    ? fill(T.mat_missing, { n: missing.length, names: missing.map((i) => i.subject).join("、") })
    : T.mat_missing_none;
}

function row(m) {
  const kind = (T.mat_kinds || {})[m.kind] || m.kind;
  const pages = m.pages ? fill(T.mat_pages, { n: m.pages }) : T.mat_text;
  return el("tr", { "data-material": m.id }, [
    el("td", { text: subject(m.item_id) }),
    el("td", { class: "mat-name", text: m.name }),
    el("td", { text: kind + " · " + pages }),
    el("td", { class: "num", text: size(m.bytes) }),
    el("td", { class: "actions" }, [
      el("button", { type: "button", class: "btn small", text: T.mat_view, onclick: () => view(m.item_id) }),
      el("button", { type: "button", class: "btn small danger", text: T.mat_delete, onclick: () => remove(m) }),
    ]),
  ]);
}

function renderReading() {
  const link = $("reading-url");
  link.hidden = !M.url;
  link.textContent = M.url || "";
  link.href = M.url || "#";
  $("reading-state").textContent = M.url ? "" : T.reading_none;
  $("reading-state").hidden = !!M.url;
  $("reading-print").hidden = !M.url;
  $("reading-withdraw").hidden = !M.url;
  $("reading-make").textContent = M.url ? T.reading_renew : T.reading_make;
  const qr = $("reading-qr");
  qr.hidden = !M.url;
  if (M.url) qr.src = "/console/meetings/" + MID + "/reading.svg?k=" + encodeURIComponent(M.reading);
}

/* Redrawn with the rest of the page (items added, renamed, deleted) and after every change here. */
export function renderMaterials() {
  if (!M.loaded) return;
  renderTargets();
  renderMissing();
  const body = $("materials-body");
  clear(body);
  if (!M.list.length) body.appendChild(el("tr", {}, [el("td", { colSpan: 5, class: "muted", text: T.mat_none })]));
  M.list.forEach((m) => body.appendChild(row(m)));
  renderReading();
}

function view(itemId) {
  const go = () => window.CepingReader.open(MID, "", itemId === null ? "g" : itemId, document.activeElement);
  if (window.CepingReader) return go();
  const script = document.createElement("script");
  script.src = $("materials").dataset.reader;
  script.onload = go;
  document.head.appendChild(script);
}

function remove(m) {
  if (!window.confirm(fill(T.mat_confirm_delete, { name: m.name }))) return;
  api("DELETE", BASE + "/materials/" + m.id).then(() => {
    show(fill(T.mat_deleted, { name: m.name }));
    return load();
  }, fail);
}

/* One file after another, to an item or (none chosen) to the meeting's general materials. */
function upload(files) {
  const item = $("material-item").value;
  const words = { too_large: T.mat_too_large, uploading: T.mat_uploading, uploaded: T.mat_uploaded };
  return uploadEach(files, BASE + "/materials", LIMIT_MB, words, item ? { item: item } : {}, load);
}

function reading(method, confirmText) {
  if (confirmText && !window.confirm(confirmText)) return;
  api(method, BASE + "/reading").then((data) => {
    M.reading = data.reading_key;
    M.url = data.reading_url;
    show(method === "POST" ? T.reading_made : T.reading_withdrawn);
    renderReading();
  }, fail);
}

export function setupMaterials() {
  $("material-file").addEventListener("change", (ev) => {
    const files = Array.prototype.slice.call(ev.target.files || []);
    ev.target.value = "";
    upload(files);
  });
  $("reading-make").addEventListener("click", () => reading("POST", M.url ? T.reading_confirm_renew : null));
  $("reading-withdraw").addEventListener("click", () => reading("DELETE", T.reading_confirm_withdraw));
  load();
}
