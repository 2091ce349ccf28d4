/* The ranked tables: a batch's result (more than four items) and the summary of the whole
   meeting, ranked as voting/rules.py ranks, with the verdict counts; fit.js lays their rows out. */
import { S, T, add, clear, commonBatch, el, expected, figure, firstResult, fmt, levelClass, pct, present,
  rateLabel, scale } from "./state.js";
import { ruleLine, verdictNode } from "./results.js";

/* Rank entries as voting/rules.py does: 满意率 desc, then the best level's share; ties share. */
function ranked(entries) {
  function sortKey(e) {
    var r = firstResult(e);
    if (!r || r.rate === null || r.rate === undefined) return [1, 0, 0];
    var best = r.options && r.options.length ? r.options[0].share : 0;
    return [0, -r.rate, -best];
  }
  var keyed = entries.map(function (e, index) {
    return { e: e, k: sortKey(e), i: index };
  });
  keyed.sort(function (a, b) {
    for (var j = 0; j < 3; j++) if (a.k[j] !== b.k[j]) return a.k[j] - b.k[j];
    return a.i - b.i;
  });
  var out = [];
  var rank = 0;
  keyed.forEach(function (x, pos) {
    var prev = keyed[pos - 1];
    if (!prev || prev.k.join() !== x.k.join()) rank = pos + 1;
    out.push({ rank: rank, entry: x.e });
  });
  return out;
}

function columnsOf(entries) {
  for (var i = 0; i < entries.length; i++) {
    var r = firstResult(entries[i]);
    if (r && r.options && r.options.length) return r.options;
  }
  return [];
}

/* A column head that takes no more room than its counts: long labels on two lines. */
function headLabel(label, cls) {
  var th = el("th", cls);
  var text = String(label);
  if (text.length >= 3 && !/[\s\x21-\x7e]/.test(text)) { // Chinese: two lines; a word stays whole
    var half = text.length === 3 ? 1 : Math.ceil(text.length / 2);
    add(th, el("span", "th-line", text.slice(0, half)), el("span", "th-line", text.slice(half)));
  } else {
    add(th, el("span", "th-line", text));
  }
  return th;
}

function tableOf(rows, columns) {
  var table = el("table", "rank-table");
  var head = el("tr");
  add(head, el("th", "c-rank", T.rank), el("th", "c-subject", T.subject));
  columns.forEach(function (c) {
    add(head, headLabel(c.label, "c-opt " + levelClass(c.key)));
  });
  if (scale().score) add(head, el("th", "c-score", T.score_mean));
  add(head, el("th", "c-rate", rateLabel()), el("th", "c-verdict", T.verdict));
  add(table, add(el("thead"), head));
  var body = el("tbody");
  rows.forEach(function (row) {
    var e = row.entry;
    var r = firstResult(e) || { options: [] };
    var tr = el("tr");
    tr.setAttribute("data-item", String(e.id));
    if (row.rank <= 3 && r.rate !== null && r.rate !== undefined) tr.className = "top";
    var subject = el("td", "c-subject");
    add(subject, el("span", "subj-text", e.subject));
    add(tr, el("td", "c-rank", row.rank), subject);
    columns.forEach(function (c) {
      var count = 0;
      r.options.forEach(function (o) {
        if (o.key === c.key) count = o.count;
      });
      var td = el("td", "c-opt", count);
      td.setAttribute("data-option", c.key);
      add(tr, td);
    });
    if (scale().score) add(tr, el("td", "c-score", r.score === null || r.score === undefined ? "—" : Number(r.score).toFixed(2)));
    var rateCell = el("td", "c-rate");
    add(rateCell, el("span", "rate", pct(r.rate)));
    var verdictCell = el("td", "c-verdict");
    add(verdictCell, verdictNode(r, "verdict-chip"));
    add(tr, rateCell, verdictCell);
    add(body, tr);
  });
  add(table, body);
  return table;
}

function verdictCounts(entries) {
  var counts = {};
  entries.forEach(function (e) {
    var r = firstResult(e);
    if (r && r.verdict) counts[r.verdict] = (counts[r.verdict] || 0) + 1;
  });
  var box = el("div", "verdict-counts");
  var levels = scale().levels || [];
  levels.forEach(function (level) {
    var label = level;
    entries.forEach(function (e) {
      var r = firstResult(e);
      if (r && r.verdict === level) label = r.verdict_label;
    });
    if (label === level) {
      columnsOf(entries).forEach(function (c) {
        if (c.key === level) label = c.label;
      });
    }
    var chip = el("div", "vc " + levelClass(level));
    chip.setAttribute("data-verdict", level);
    add(chip, el("span", "vc-label", label), el("span", "vc-num", counts[level] || 0), el("span", "vc-unit", T.unit_items));
    add(box, chip);
  });
  return box;
}

function drawTableView(view, title, entries, extra) {
  var head = el("div", "t-head");
  var titles = el("div", "t-titles");
  var sub = fmt(T.batch_count, { n: entries.length });
  var first = entries.length ? entries[0].aspects : [];
  if (first && first.length > 1) sub += " · " + first[0].name; // the table shows the first aspect
  add(titles, el("h2", "t-title", title), el("div", "t-sub", sub), el("div", "t-pageno", ""));
  add(head, titles, verdictCounts(entries), extra);
  var body = el("div", "t-body");
  body.id = view.id + "-tables";
  add(view, head, body, ruleLine());
  view._rows = ranked(entries);
  view._columns = columnsOf(entries);
  view._build = tableOf; // previous.js builds its own rows
}

export function drawBatch(ids) {
  var view = clear(document.getElementById("view-batch-result"));
  var entries = ids.map(function (id) {
    return S.byId[id];
  });
  var label = commonBatch(entries);
  drawTableView(view, fmt(T.batch_result_title, { label: label ? label + " " : "" }), entries, null);
}

export function drawSummary() {
  var view = clear(document.getElementById("view-summary"));
  var entries = (S.results ? S.results.items : []).slice();
  var turnout = el("div", "t-turnout");
  add(
    turnout,
    figure(T.present, (S.results && S.results.present) || present(), null, "fig-present"),
    el("span", "fig-sep", "/"),
    figure(T.expected, expected(), null, "fig-expected")
  );
  drawTableView(view, T.summary_title, entries, turnout);
}
