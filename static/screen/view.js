/* Which view the projector shows (decide), drawn anew only when that changes (render), and
   the parts that change without a redraw (update). See main.js for the views. */
import { S, T, add, el, expected, figure, fmt, itemById, present, revealedCount, setText } from "./state.js";
import { drawVoting, updateVoting } from "./voting.js";
import { drawResult } from "./results.js";
import { drawBatch, drawSummary } from "./ranking.js";
import { drawPrevious } from "./previous.js";
import { fitTables } from "./fit.js";
import { updateSpeech } from "./speech.js";

var SUMMARY_AFTER = 15; // seconds a last result stays up before the summary
var RESULT_HOLD = 20; // seconds a result stays up while other items are already open
var FEW = 4; // up to this many revealed items: result cards; more: the ranked table

function decide() {
  var m = S.meeting;
  if (!m) return { view: "connecting" };
  if (S.overlay && S.overlay.view === "previous_round") return { view: "previous-round" };
  if (m.speech && m.speech.status !== "ended") return { view: "speech", speech: m.speech };
  var items = m.items;
  var open = items.filter(function (i) {
    return i.state === "open";
  });
  var allRevealed =
    items.length > 0 &&
    items.every(function (i) {
      return i.state === "revealed";
    });
  var focus = m.focus;
  var age = (Date.now() - S.focusAt) / 1000;
  if (focus && focus.action === "reveal") {
    var shown = focus.items.filter(function (id) {
      return S.byId[id];
    });
    if (shown.length && shown.length === focus.items.length) {
      if (open.length && age >= RESULT_HOLD) return { view: "voting", items: open };
      if (allRevealed && !open.length && age >= SUMMARY_AFTER) return { view: "summary" };
      return { view: shown.length <= FEW ? "result" : "batch-result", ids: shown };
    }
    if (!open.length) {
      var waiting = focus.items.map(itemById).filter(Boolean);
      if (waiting.length) return { view: "voting", items: waiting, closed: true };
    }
  }
  if (open.length) return { view: "voting", items: open };
  if (focus && focus.action === "close") {
    var closed = focus.items.map(itemById).filter(function (i) {
      return i && i.state === "closed";
    });
    if (closed.length) return { view: "voting", items: closed, closed: true };
  }
  if (allRevealed && Object.keys(S.byId).length) return { view: "summary" };
  return { view: "idle" };
}

function signatureOf(d) {
  var parts = [d.view, d.closed ? "closed" : ""];
  if (d.items)
    parts.push(
      d.items
        .map(function (i) {
          return i.id + ":" + i.state;
        })
        .join(",")
    );
  if (d.ids) parts.push(d.ids.join(","));
  if (d.speech) parts.push(d.speech.item);
  if (d.view === "voting" || d.view === "idle") parts.push(S.meeting ? S.meeting.title : "");
  if (d.view === "result" || d.view === "batch-result" || d.view === "summary")
    parts.push(S.resultsVersion || 0);
  if (d.view === "previous-round") parts.push(S.overlayVersion || 0);
  return parts.join("|");
}

export function render() {
  var d = decide();
  var sig = signatureOf(d);
  if (sig !== S.signature) {
    S.signature = sig;
    S.current = d;
    document.body.dataset.view = d.view; // first: the drawing measures the shown view
    if (d.view === "voting") drawVoting(d);
    else if (d.view === "result") drawResult(d.ids);
    else if (d.view === "batch-result") drawBatch(d.ids);
    else if (d.view === "summary") drawSummary();
    else if (d.view === "previous-round") drawPrevious();
    if (d.view === "batch-result" || d.view === "summary" || d.view === "previous-round") fitTables();
  }
  update();
}

/* The parts that change without a redraw: turnout, countdown, header, footer. */
export function update() {
  var d = S.current || { view: "connecting" };
  if (S.meeting) document.getElementById("title").textContent = S.meeting.title;
  if (S.meeting) document.getElementById("rehearsal-mark").hidden = !S.meeting.rehearsal;
  var total = S.meeting ? S.meeting.items.length : 0;
  var turnoutText =
    T.expected + " " + expected() + " · " + T.present + " " + (S.turnout ? present() : "—");
  document.getElementById("foot-turnout").textContent = S.meeting ? turnoutText : "";
  document.getElementById("foot-progress").textContent = total
    ? fmt(T.revealed_progress, { n: revealedCount(), total: total })
    : "";
  var idleTurnout = document.getElementById("idle-turnout");
  if (idleTurnout && d.view === "idle") {
    if (!document.getElementById("idle-present")) {
      add(
        idleTurnout,
        figure(T.present, "—", "idle-present", "fig-present"),
        el("span", "fig-sep", "/"),
        figure(T.expected, "—", "idle-expected", "fig-expected")
      );
    }
    setText("idle-present", S.turnout ? present() : "—");
    setText("idle-expected", expected());
  }
  if (d.view === "voting") updateVoting(d);
  if (d.view === "speech" && S.meeting.speech) updateSpeech(S.meeting.speech); // the latest push
}
