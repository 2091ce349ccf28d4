/* 上一轮整改情况, put up from the console: each department's last verdict and its follow-up. */
import { S, T, add, clear, el, fmt, pct, rateLabel } from "./state.js";
import { verdictNode } from "./results.js";

var STATUS_LEVEL = { pending: "lv-last", in_progress: "lv-mid", re_evaluate: "lv-1", done: "lv-0" };

function statusChip(status, cls) {
  var chip = el("span", cls + " " + (STATUS_LEVEL[status] || "lv-none"), T["status_" + status] || status);
  chip.setAttribute("data-status", status);
  return chip;
}

function previousTable(rows) {
  var table = el("table", "rank-table prev-table");
  var head = el("tr");
  add(head, el("th", "c-subject", T.subject), el("th", "c-verdict", T.prev_verdict));
  add(head, el("th", "c-rate", rateLabel()), el("th", "c-status", T.prev_status), el("th", "c-date", T.prev_date));
  add(table, add(el("thead"), head));
  var body = el("tbody");
  rows.forEach(function (r) {
    var tr = el("tr");
    tr.setAttribute("data-item", String(r.item));
    var subject = add(el("td", "c-subject"), el("span", "subj-text", r.subject));
    var verdict = add(el("td", "c-verdict"), verdictNode(r, "verdict-chip"));
    var status = add(el("td", "c-status"), statusChip(r.status, "status-chip"));
    var when = el("td", "c-date" + (r.overdue ? " overdue" : ""));
    if (r.done_on) when.textContent = fmt(T.prev_done, { date: r.done_on });
    else if (r.due) add(when, el("span", "", fmt(T.prev_due, { date: r.due })),
      r.overdue ? el("span", "late", fmt(T.prev_overdue, { n: r.days_overdue })) : null);
    else when.textContent = "—";
    add(tr, subject, verdict, add(el("td", "c-rate"), el("span", "rate", pct(r.rate))), status, when);
    add(body, tr);
  });
  return add(table, body);
}

export function drawPrevious() {
  var view = clear(document.getElementById("view-previous-round"));
  var data = S.overlay.data || { rows: [], counts: {} };
  var rounds = [];
  data.rows.forEach(function (r) {
    var name = r.date + "《" + r.title + "》";
    if (rounds.indexOf(name) < 0) rounds.push(name);
  });
  var head = el("div", "t-head");
  var titles = add(el("div", "t-titles"), el("h2", "t-title", T.prev_title));
  add(titles, el("div", "t-sub", rounds.length ? fmt(T.prev_sub, { rounds: rounds.join("、") }) : ""), el("div", "t-pageno", ""));
  var counts = el("div", "verdict-counts");
  ["pending", "in_progress", "re_evaluate", "done"].forEach(function (s) {
    if (!data.counts[s]) return;
    var chip = add(el("div", "vc " + STATUS_LEVEL[s]), el("span", "vc-label", T["status_" + s]));
    add(chip, el("span", "vc-num", data.counts[s]), el("span", "vc-unit", T.unit_items));
    add(counts, chip);
  });
  var body = el("div", "t-body");
  body.id = view.id + "-tables";
  add(view, add(head, titles, counts), body);
  if (!data.rows.length) add(body, el("p", "prev-none", T.prev_none));
  view._rows = data.rows;
  view._columns = [];
  view._build = previousTable;
  view._rowMax = 116; // a few departments: larger rows, still read from 10 m when many
  view._fontMax = 52;
}
