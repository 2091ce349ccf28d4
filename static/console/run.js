/* 进行: the items' table with their states, 已投 and countdowns, and the actions: open (the
 * selected, a batch, every written report), close, reveal, undo, release a card. */
import { $, all, clear, el, fill, pad, texts } from "../lib/dom.js";
import { api, localError, show } from "../lib/api.js";
import {
  BASE, S, applyStates, bestNeeded, batches, deadline, exclusive, groups, idsNames, inState, item,
  items, names, refresh, renderAll, shortNames, stateBadge, voted
} from "./meeting.js";
import { release } from "./cards.js";
import { loadResults } from "./results.js";

const T = texts();

function clock(seconds) {
  seconds = Math.max(0, Math.ceil(seconds));
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  return (h ? h + ":" + pad(m) : pad(m)) + ":" + pad(s);
}

function select(ids, on) {
  ids.forEach((id) => {
    if (on) S.selected[id] = true;
    else delete S.selected[id];
  });
}

// -- the table ---------------------------------------------------------------------------------

function groupRow(g) {
  const drafts = g.items.filter((i) => i.state === "draft").length;
  const every = g.items.every((i) => S.selected[i.id]);
  const box = el("input", { type: "checkbox", class: "select-group", checked: every && g.items.length > 0,
    "aria-label": g.label });
  box.addEventListener("change", () => {
    select(g.items.map((i) => i.id), box.checked);
    renderRun();
    renderButtons();
  });
  return el("tr", { class: "group-row" }, [
    el("th", { colSpan: 8 }, [
      el("label", {}, [box, " ", el("span", { class: "group-name", text: g.label }),
        el("span", { class: "muted small", text: " · " + fill(T.n_items, { n: g.items.length }) +
          (drafts && drafts < g.items.length ? " · " + T.states.draft + " " + drafts : "") })])
    ])
  ]);
}

export function renderRun() {
  const body = $("run-body");
  clear(body);
  let position = 0;
  groups().forEach((g) => {
    body.appendChild(groupRow(g));
    g.items.forEach((i) => {
      position += 1;
      body.appendChild(runRow(i, position));
    });
  });
  const everything = items().length > 0 && items().every((i) => S.selected[i.id]);
  $("select-all").checked = everything;
  renderVoted();
  renderTimers();
}

function rowAction(i) {
  if (!T.row_actions[i.state]) return null;
  const action = el("button", { type: "button", class: "btn small row-action " + i.state,
    text: T.row_actions[i.state], disabled: S.busy });
  action.addEventListener("click", (event) => {
    event.stopPropagation();
    const step = { draft: "open", open: "close", closed: "reveal" }[i.state];
    exclusive(() => (step === "open" ? openItems([i.id]) : move(step, [i.id])));
  });
  return action;
}

function runRow(i, position) {
  const box = el("input", { type: "checkbox", class: "select", checked: !!S.selected[i.id],
    "aria-label": i.subject });
  const row = el("tr", { "data-item": i.id, "data-state": i.state,
    class: "item-row state-" + i.state + (S.selected[i.id] ? " is-selected" : "") }, [
    el("td", { class: "check-col" }, [box]),
    el("td", { class: "num muted", text: position }),
    el("td", { class: "subject" }, [el("strong", { text: i.subject })]),
    el("td", { class: "person", text: i.person }),
    el("td", {}, [stateBadge(i.state)]),
    el("td", { class: "voted-col" }, [
      el("span", { class: "voted", text: i.state === "draft" ? "—" : voted(i.id) }),
      el("span", { class: "of muted" }),
      el("span", { class: "bar" }, [el("span", { class: "bar-fill" })])
    ]),
    el("td", { class: "timer-col" }, [el("span", { class: "timer" })]),
    el("td", { class: "row-action-col" }, [rowAction(i)])
  ]);
  box.addEventListener("change", () => {
    select([i.id], box.checked);
    row.classList.toggle("is-selected", box.checked);
    renderButtons();
  });
  row.addEventListener("click", (event) => {
    const tag = event.target.tagName;
    if (tag === "INPUT" || tag === "BUTTON" || tag === "A" || tag === "LABEL") return;
    box.checked = !box.checked;
    box.dispatchEvent(new Event("change"));
  });
  return row;
}

export function renderVoted() {
  const present = (S.turnout && S.turnout.present_all) || 0;
  all("#run-body tr[data-item]").forEach((row) => {
    const i = item(row.getAttribute("data-item"));
    if (!i) return;
    const n = voted(i.id);
    const draft = i.state === "draft";
    row.querySelector(".voted").textContent = draft ? "—" : n;
    row.querySelector(".of").textContent = draft ? "" : " " + fill(T.of_present, { n: present });
    const bar = row.querySelector(".bar");
    bar.hidden = draft;
    bar.firstChild.style.width = (present ? Math.min(100, (100 * n) / present) : 0) + "%";
    bar.classList.toggle("full", present > 0 && n >= present);
  });
  renderLive();
}

export function renderTimers() {
  const now = Date.now();
  all("#run-body tr[data-item]").forEach((row) => {
    const i = item(row.getAttribute("data-item"));
    const cell = row.querySelector(".timer");
    const end = i ? deadline(i) : null;
    cell.textContent = end === null ? "" : clock((end - now) / 1000);
    cell.classList.toggle("urgent", end !== null && end - now < 10000);
  });
  const open = inState("open").map(deadline).filter((d) => d !== null);
  const timer = $("live-timer");
  if (open.length) {
    const left = (Math.min.apply(null, open) - now) / 1000;
    timer.hidden = false;
    timer.textContent = clock(left);
    timer.classList.toggle("urgent", left < 10);
  } else {
    timer.hidden = true;
  }
}

function renderLive() {
  const open = inState("open");
  const strip = $("live-strip");
  strip.classList.toggle("active", open.length > 0);
  const closed = inState("closed");
  strip.classList.toggle("waiting", !open.length && closed.length > 0);
  if (!open.length) {
    $("live-title").textContent = closed.length ? fill(T.live_closed, { names: names(closed) })
      : T.live_none;
    $("live-detail").textContent = "";
  } else {
    $("live-title").textContent = fill(T.live_open, { names: names(open) });
    const least = Math.min.apply(null, open.map((i) => voted(i.id)));
    $("live-detail").textContent = fill(T.live_min, { voted: least,
      present: (S.turnout && S.turnout.present_all) || 0 });
  }
  const counts = { draft: 0, open: 0, closed: 0, revealed: 0 };
  items().forEach((i) => { counts[i.state] = (counts[i.state] || 0) + 1; });
  $("state-summary").textContent = fill(T.summary, counts);
  $("auto-close-note").hidden = !S.meeting.auto_close;
}

// -- the buttons -------------------------------------------------------------------------------

function setButton(button, enabled, count) {
  button.disabled = S.busy || !enabled;
  const n = button.querySelector(".n");
  if (n) n.textContent = count ? fill(T.count, { n: count }) : "";
}

function selectedDrafts() {
  return items().filter((i) => S.selected[i.id] && i.state === "draft");
}

function draftsOf(test) {
  return items().filter((i) => test(i) && i.state === "draft").map((i) => i.id);
}

function batchButton(label) {
  const b = el("button", { type: "button", class: "btn big open-batch", "data-batch": label }, [
    el("span", { class: "btn-label", text: fill(T.open_batch, { batch: label }) }), " ",
    el("span", { class: "n" })
  ]);
  b.addEventListener("click", () => openBatch(label));
  return b;
}

function renderBatchButtons() {
  const list = batches();
  const holder = $("batch-buttons");
  if (S.batchKey !== list.join("\n")) {
    S.batchKey = list.join("\n");
    clear(holder);
    list.forEach((label) => holder.appendChild(batchButton(label)));
  }
  all("button.open-batch", holder).forEach((b) => {
    const label = b.getAttribute("data-batch");
    const n = draftsOf((i) => i.batch === label).length;
    setButton(b, n > 0, n);
  });
}

function renderUndo() {
  const undoButton = $("undo");
  const lm = S.lastMove;
  const label = undoButton.querySelector(".btn-label");
  if (canUndo()) {
    label.textContent = fill(T.undo_label, { what: describe(lm) });
    undoButton.disabled = S.busy;
    undoButton.title = "";
  } else {
    label.textContent = T.undo_none;
    undoButton.disabled = true;
    undoButton.title = lm ? T.errors.cannot_undo : T.errors.nothing_to_undo;
  }
}

export function renderButtons() {
  const drafts = selectedDrafts();
  setButton($("open-selected"), drafts.length > 0, drafts.length);
  renderBatchButtons();
  const written = items().filter((i) => i.kind === "written");
  const writtenDrafts = written.filter((i) => i.state === "draft").length;
  $("open-written").hidden = written.length === 0;
  setButton($("open-written"), writtenDrafts > 0, writtenDrafts);
  setButton($("close"), inState("open").length > 0, inState("open").length);
  setButton($("reveal"), inState("closed").length > 0, inState("closed").length);
  renderUndo();
  all(".row-action").forEach((b) => { b.disabled = S.busy; });
}

function canUndo() {
  const lm = S.lastMove;
  return !!lm && (lm.action === "open" || lm.action === "close" || lm.action === "reopen");
}

function describe(lm) {
  return fill(T.what, { action: T.actions[lm.action] || lm.action, names: shortNames(lm.items) });
}

// -- the actions -------------------------------------------------------------------------------

function countdownSeconds() {
  const input = $("countdown");
  const raw = input.value.trim();
  if (!raw) return null;
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || n < 5 || n > 86400) {
    input.focus();
    throw localError(T.countdown_bad);
  }
  return n;
}

function askQuorum(ids) {
  const t = S.turnout || {};
  const needed = bestNeeded();
  const question = T.confirm_quorum + "\n" + fill(T.confirm_quorum_detail,
    { present: t.present || 0, expected: t.expected || S.meeting.expected })
    + (needed && (t.present || 0) < needed ? "\n" + fill(T.best_missing, { needed: needed }) : "");
  if (window.confirm(question)) return openItems(ids, { override_quorum: true });
  show(T.errors.no_quorum, "error");
  return null;
}

/* The rule asks more votes of the best level than there are people present (majority of 应到):
   say so, and go on only if the secretary confirms (the server logs it). */
function askUnreachable(ids, flags) {
  const t = S.turnout || {};
  const question = fill(T.confirm_unreachable, { needed: bestNeeded(), present: t.present || 0 });
  if (window.confirm(question)) return openItems(ids, { ...flags, accept_unreachable: true });
  show(T.errors.best_unreachable, "error");
  return null;
}

export function openItems(ids, flags) {
  const seconds = countdownSeconds();
  const body = { items: ids, ...(flags || {}) };
  if (seconds) body.seconds = seconds;
  return api("POST", BASE + "/open", body).then(
    (done) => {
      applyStates(done.items);
      select(ids, false);
      show(seconds ? fill(T.opened_countdown, { names: idsNames(ids), seconds: seconds })
        : fill(T.opened, { names: idsNames(ids) }));
      renderAll();
      return refresh();
    },
    (err) => {
      if (err.code === "no_quorum" && !body.override_quorum) return askQuorum(ids);
      if (err.code === "best_unreachable" && !body.accept_unreachable) return askUnreachable(ids, flags);
      throw err;
    }
  );
}

function move(action, ids) {
  return api("POST", BASE + "/" + action, { items: ids }).then((done) => {
    applyStates(done.items);
    show(fill(T[action === "close" ? "closed" : "revealed"], { names: idsNames(ids) }));
    renderAll();
    loadResults();
    return refresh();
  });
}

/* Run `act` on `ids` as the secretary's one action, or say `none` when there is nothing to do. */
function act(ids, none, fn) {
  if (!ids.length) {
    if (none) show(none, "info");
    return;
  }
  exclusive(() => fn(ids));
}

export function openSelected() {
  act(selectedDrafts().map((i) => i.id), T.nothing_selected, openItems);
}

function openBatch(label) {
  act(draftsOf((i) => i.batch === label), null, openItems);
}

function openWritten() {
  act(draftsOf((i) => i.kind === "written"), T.nothing_written, openItems);
}

export function closeAll() {
  act(inState("open").map((i) => i.id), T.nothing_open, (ids) => move("close", ids));
}

export function revealAll() {
  act(inState("closed").map((i) => i.id), T.nothing_closed, (ids) => move("reveal", ids));
}

/* Undo the last open or close, after a confirmation (from the keyboard: only for an open, whose
 * votes are lost). */
export function undo(fromKeyboard) {
  const lm = S.lastMove;
  if (!canUndo()) {
    show(lm ? T.errors.cannot_undo : T.errors.nothing_to_undo, "info");
    return;
  }
  const what = describe(lm);
  if (!fromKeyboard || lm.action === "open") {
    const votes = lm.items.reduce((sum, id) => sum + voted(id), 0);
    const key = { open: "confirm_undo_open", close: "confirm_undo_close",
      reopen: "confirm_undo_reopen" }[lm.action];
    if (!window.confirm(fill(T[key], { what: what, votes: votes }))) return;
  }
  exclusive(() => api("POST", BASE + "/undo", {}).then((done) => {
    applyStates(done.items);
    show(fill(T.undone, { what: what }));
    S.lastMove = null;
    renderAll();
    loadResults();
    return refresh();
  }));
}

function quickRelease(event) {
  event.preventDefault();
  const input = $("release-number");
  const number = parseInt(input.value, 10);
  if (!(number > 0)) {
    show(T.card_number_bad, "error");
    input.focus();
    return;
  }
  release(number, () => { input.value = ""; });
}

export function setupRun() {
  $("open-selected").addEventListener("click", openSelected);
  $("open-written").addEventListener("click", openWritten);
  $("close").addEventListener("click", closeAll);
  $("reveal").addEventListener("click", revealAll);
  $("undo").addEventListener("click", () => undo(false));
  $("select-all").addEventListener("change", () => {
    select(items().map((i) => i.id), $("select-all").checked);
    renderRun();
    renderButtons();
  });
  all(".presets [data-seconds]").forEach((b) => {
    b.addEventListener("click", () => { $("countdown").value = b.getAttribute("data-seconds"); });
  });
  $("quick-release").addEventListener("submit", quickRelease);
}
