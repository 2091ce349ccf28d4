/* The secretary's console for one meeting: 准备 (settings, items, cards), 进行 (open, close,
 * reveal, undo, live turnout) and 结果 (results, audit head, exports).
 *
 * Everything goes through the HTTP API with the login session and the page's CSRF token; live
 * changes come from the /console Socket.IO namespace. This module draws the header, switches the
 * tabs, listens to the socket and the keys (O, C, R, U), and starts the page; each tab has its
 * own module. Plain ES modules, no framework, no build step.
 */
import { $, clear, el, fill, fillNodes, texts } from "../lib/dom.js";
import { fail, setupToast } from "../lib/api.js";
import { MID, S, bestNeeded, drawWith, items, item, refresh, started } from "./meeting.js";
import { closeAll, openSelected, renderButtons, renderRun, renderVoted, renderTimers, revealAll,
  setupRun, undo } from "./run.js";
import { fillSettings, lockSettings, renderEditor, renderTitle, setupPrepare } from "./prepare.js";
import { loadCards, loadCardsSoon, setupCards } from "./cards.js";
import { loadResults, setupResults } from "./results.js";
import { setupDownloads } from "./downloads.js";
import { setupFollowups, showScreenView } from "./followups.js";
import { setupRehearsal } from "./rehearsal.js";
import { endSpeech, openOffered, pauseSpeech, renderSpeech, setupSpeech, startSpeech } from "./speech.js";
import { showWarnings } from "../lib/warnings.js";
import { renderMaterials, setupMaterials } from "./materials.js";

const T = texts();
const TABS = ["prepare", "run", "results"];

// -- the header: turnout and quorum ------------------------------------------------------------

function renderQuorum(present, expected) {
  const quorum = S.meeting.quorum;
  const q = $("quorum-state");
  const needed = bestNeeded();
  const best = $("best-state"); /* said before the open: the best level is out of reach */
  best.hidden = !(needed && present < needed);
  best.textContent = best.hidden ? "" : fill(T.best_missing, { needed: needed });
  if (!quorum) {
    q.textContent = T.quorum_none;
    q.className = "quorum none";
    return;
  }
  const need = Math.floor(expected * quorum + 1e-9);
  const ok = present > expected * quorum + 1e-9;
  q.textContent = ok ? T.quorum_ok : fill(T.quorum_missing, { need: need });
  q.className = "quorum " + (ok ? "ok" : "missing");
}

function renderPresent() {
  const t = S.turnout || {};
  const present = t.present || 0;
  const expected = t.expected || S.meeting.expected;
  const box = $("present");
  clear(box);
  box.appendChild(fillNodes(T.present, {
    present: el("b", { id: "present-count", text: present }),
    expected: el("b", { id: "expected-count", text: expected })
  }));
  const extra = (t.present_all || 0) - present;
  $("present-extra").hidden = extra <= 0;
  $("present-extra").textContent = extra > 0 ? fill(T.present_all, { n: extra }) : "";
  renderQuorum(present, expected);
}

function setConnection(ok) {
  const c = $("conn");
  c.textContent = ok ? T.conn_ok : T.conn_lost;
  c.className = "conn " + (ok ? "ok" : "lost");
}

// -- everything --------------------------------------------------------------------------------

function renderAll() {
  renderTitle();
  renderPresent();
  renderRun();
  renderButtons();
  renderSpeech();
  renderEditor();
  renderMaterials();
  lockSettings();
  if (!S.settingsDirty) fillSettings();
  const key = items().filter((i) => i.state === "closed" || i.state === "revealed")
    .map((i) => i.id + i.state).join(",");
  if (key !== S.resultsKey) {
    S.resultsKey = key;
    if (S.results || S.tab === "results") loadResults();
  }
}

function applyTurnout(t) {
  if (!t || t.meeting !== undefined && t.meeting !== MID) return;
  if (t.sent_at) S.offset = t.sent_at * 1000 - Date.now();
  S.turnout = t;
  renderPresent();
  renderVoted();
  loadCardsSoon();
}

/* The projector's picture of the meeting (a `meeting` push): states now, details by refresh. */
function applyPicture(p) {
  if (!p || p.id !== MID) return;
  const now = Date.now();
  (p.items || []).forEach((x) => {
    const found = item(x.id);
    if (!found) return;
    found.state = x.state;
    if (x.seconds_left !== null && x.seconds_left !== undefined) {
      found.closes_at = (now + S.offset) / 1000 + x.seconds_left;
    }
  });
  renderRun();
  renderButtons();
}

// -- live updates ------------------------------------------------------------------------------

function watch(socket) {
  socket.emit("watch", { meeting: MID }, (ack) => {
    if (!ack || !ack.ok) {
      fail({ code: (ack && ack.error) || "not_found", serverMessage: ack && ack.message });
      return;
    }
    showScreenView(ack.view);
    refresh();
  });
}

function connect() {
  const socket = window.io ? window.io("/console") : null;
  if (!socket) return null;
  socket.on("connect", () => {
    setConnection(true);
    watch(socket);
  });
  socket.on("disconnect", () => setConnection(false));
  socket.on("connect_error", (err) => {
    setConnection(false);
    if (err && err.data && err.data.error === "unauthorized") fail({ code: "unauthorized" });
  });
  socket.on("meeting", (p) => {
    applyPicture(p);
    refresh();
  });
  socket.on("turnout", applyTurnout);
  socket.on("results", () => {
    loadResults();
    showWarnings(); /* a reveal may start follow-ups */
  });
  socket.on("view", (v) => showScreenView(v.view));
  return socket;
}

// -- tabs and keys -----------------------------------------------------------------------------

function setTab(name) {
  if (TABS.indexOf(name) < 0) name = "run";
  S.tab = name;
  TABS.forEach((tab) => {
    const button = $("tab-" + tab);
    const on = tab === name;
    button.setAttribute("aria-selected", on ? "true" : "false");
    button.classList.toggle("active", on);
    $("panel-" + tab).hidden = !on;
  });
  if (window.history && window.history.replaceState) {
    window.history.replaceState(null, "", "#" + name);
  }
  if (name === "results") loadResults();
  if (name === "prepare") loadCards();
}

function typing(target) {
  if (!target || !target.tagName) return false;
  if (target.isContentEditable) return true;
  const tag = target.tagName;
  if (tag === "TEXTAREA" || tag === "SELECT") return true;
  if (tag !== "INPUT") return false;
  return ["checkbox", "radio", "button", "submit", "reset"].indexOf(target.type) < 0;
}

const KEYS = { o: () => (!Object.keys(S.selected).length && openOffered()) || openSelected(),
  c: closeAll, r: revealAll, u: () => undo(true), s: startSpeech, p: pauseSpeech, e: endSpeech,
  enter: openOffered };

/* Keyboard on 进行: O open the selected, C close all open, R reveal all closed, U undo; the 述法
 * timer: S start, P pause / resume, E end, then Enter (or O, nothing selected) opens its vote. */
function onKey(event) {
  if (event.ctrlKey || event.metaKey || event.altKey || event.repeat) return;
  if (typing(event.target) || S.tab !== "run") return;
  if (document.querySelector("dialog[open]")) return;
  const action = KEYS[(event.key || "").toLowerCase()];
  if (!action) return;
  if (event.key === "Enter" && event.target.tagName === "BUTTON") return; /* the button's own */
  event.preventDefault();
  action(event);
}

/* The tabs stick under the header whatever its height (a rehearsal's badge and the ledger's
 * warnings make it taller than one line). */
function followHeader() {
  const bar = document.querySelector(".meeting-bar");
  if (!bar || !window.ResizeObserver) return;
  const set = () => document.documentElement.style.setProperty("--bar-h", bar.offsetHeight + "px");
  new ResizeObserver(set).observe(bar);
  set();
}

// -- start -------------------------------------------------------------------------------------

function start() {
  drawWith(renderAll, renderButtons);
  setupToast({ hideAfter: 8000, stamp: true });
  setupRun();
  setupPrepare();
  setupCards();
  setupResults();
  setupDownloads();
  setupFollowups();
  setupRehearsal();
  setupSpeech();
  showWarnings();
  setupMaterials();
  document.addEventListener("keydown", onKey);
  followHeader();
  TABS.forEach((tab) => $("tab-" + tab).addEventListener("click", () => setTab(tab)));
  const socket = connect();
  setConnection(!!(socket && socket.connected));
  // Without the live connection, keep the picture fresh by asking every few seconds.
  setInterval(() => {
    if (!socket || !socket.connected) refresh();
  }, 5000);
  setInterval(renderTimers, 500);
  document.addEventListener("visibilitychange", () => {
    if (!document.hidden) refresh();
  });
  fillSettings();
  renderAll();
  const wanted = (window.location.hash || "").replace("#", "");
  setTab(TABS.indexOf(wanted) >= 0 ? wanted : started() ? "run" : "prepare");
  refresh();
}

start();
