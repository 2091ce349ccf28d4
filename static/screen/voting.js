/* The voting view: one item big, or a batch (its label, count and a compact list), with
   已投 / 实到 / 应到, the progress bar, the countdown and, where the meeting has them, the live
   tallies. */
import { S, T, add, clear, commonBatch, el, expected, figure, firstResult, fmt, kindLabel, levelClass,
  present, setText } from "./state.js";
import { fitLines } from "./fit.js";

var MAX_LIST = 24; // a batch being voted on lists its items up to this many

export function drawVoting(d) {
  var view = clear(document.getElementById("view-voting"));
  var items = d.items;
  view.classList.toggle("is-closed", !!d.closed);
  view.classList.toggle("is-batch", items.length > 1);
  var status = el("div", "v-status " + (d.closed ? "closed" : "live"));
  add(status, el("span", "v-status-dot"), el("span", "", d.closed ? T.voting_closed : T.voting_now));
  var head = el("div", "v-head");
  add(head, status);

  var what = el("div", "v-what");
  if (items.length === 1) {
    var item = items[0];
    var kind = kindLabel(item.kind);
    add(
      what,
      kind ? el("div", "kind-tag kind-" + item.kind, kind) : null,
      el("h2", "v-subject", item.subject),
      item.person ? el("div", "v-person", item.person) : null
    );
  } else {
    var label = commonBatch(items);
    add(
      what,
      el("h2", "v-subject", label || fmt(T.batch_together, { n: items.length })),
      el("div", "v-person", fmt(T.batch_count, { n: items.length }))
    );
    if (items.length <= MAX_LIST) {
      var list = el("ol", "v-list cols-" + listColumns(items.length));
      items.forEach(function (i) {
        add(list, el("li", "", i.subject));
      });
      add(what, list);
    }
  }

  var numbers = el("div", "v-turnout");
  add(
    numbers,
    figure(T.voted, "0", "turnout-voted", "fig-voted"),
    el("span", "fig-sep", "/"),
    figure(T.present, "0", "turnout-present", "fig-present"),
    el("span", "fig-sep", "/"),
    figure(T.expected, String(expected()), "turnout-expected", "fig-expected")
  );
  var clock = el("div", "v-countdown");
  clock.id = "countdown-box";
  var cd = el("div", "cd-num", "");
  cd.id = "countdown";
  add(clock, el("div", "fig-label", T.countdown), add(el("div", "cd-line"), cd, el("span", "cd-unit", T.seconds)));
  add(numbers, clock);

  var progress = el("div", "v-progress");
  var bar = el("div", "v-bar");
  bar.id = "turnout-bar";
  var percent = el("div", "v-pct", "");
  percent.id = "turnout-pct";
  add(progress, add(el("div", "v-track"), bar), percent);

  var hint = items.length > 1 ? el("div", "v-hint", fmt(T.batch_voted_hint, { n: items.length })) : null;
  var live = el("div", "v-live");
  live.id = "live-tally";
  add(view, head, what, numbers, progress, hint, live);
  fitLines(view.querySelectorAll(".v-subject"), 0.7);
}

function listColumns(n) {
  if (n <= 4) return 1;
  if (n <= 10) return 2;
  if (n <= 18) return 3;
  return 4;
}

export function updateVoting(d) {
  var items = d.items;
  var voted = null;
  var voteMap = (S.turnout && S.turnout.voted) || {};
  items.forEach(function (i) {
    var n = voteMap[String(i.id)] || 0;
    voted = voted === null ? n : Math.min(voted, n);
  });
  voted = voted || 0;
  var here = present();
  setText("turnout-voted", voted);
  setText("turnout-present", S.turnout ? here : "—");
  setText("turnout-expected", expected());
  var share = here ? Math.min(100, (100 * voted) / here) : 0;
  var bar = document.getElementById("turnout-bar");
  if (bar) bar.style.width = share.toFixed(1) + "%";
  setText("turnout-pct", here ? Math.round(share) + "%" : "");

  var left = null;
  if (!d.closed) {
    items.forEach(function (i) {
      var end = S.deadlines[i.id];
      if (end) {
        var s = Math.max(0, Math.ceil((end - Date.now()) / 1000));
        left = left === null ? s : Math.min(left, s);
      }
    });
  }
  var box = document.getElementById("countdown-box");
  if (box) {
    box.hidden = left === null;
    box.classList.toggle("urgent", left !== null && left <= 10);
    setText("countdown", left === null ? "" : left);
  }
  drawLive(items);
}

/* Live tallies: only where the meeting says so (the server sends them only then). */
function drawLive(items) {
  var box = document.getElementById("live-tally");
  if (!box) return;
  var tallies = (S.turnout && S.turnout.tallies) || null;
  if (!tallies || items.length !== 1) {
    if (box.firstChild) clear(box);
    return;
  }
  var entry = null;
  tallies.forEach(function (t) {
    if (t.id === items[0].id) entry = t;
  });
  var result = firstResult(entry);
  clear(box);
  if (!result) return;
  add(box, el("div", "fig-label", T.live_tally));
  var row = el("div", "live-row");
  result.options.forEach(function (o) {
    add(row, add(el("span", "live-opt " + levelClass(o.key)), el("b", "", o.label), el("span", "", " " + o.count)));
  });
  add(box, row);
}
