/* The revealed result of one to four items: a card each, with its verdict, 满意率 (and the mean
   score), the bars of its options, and the rule line. */
import { S, T, add, clear, el, fmt, kindLabel, levelClass, pct, present, expected, rateLabel,
  scale } from "./state.js";
import { fitLines } from "./fit.js";

function optionsOf(result) {
  return (result && result.options) || [];
}

export function verdictNode(result, cls) {
  var has = result && result.verdict;
  var node = el("div", "verdict " + (cls || "") + " " + (has ? levelClass(result.verdict) : "lv-none"));
  node.textContent = has ? result.verdict_label : T.no_votes;
  return node;
}

function bars(result) {
  var chart = el("div", "bars");
  optionsOf(result).forEach(function (o) {
    var row = el("div", "bar-row " + levelClass(o.key));
    row.setAttribute("data-option", o.key);
    var fill = el("div", "bar-fill");
    fill.style.width = Math.max(0, Math.min(100, o.share)).toFixed(2) + "%";
    var count = el("span", "bar-count", o.count);
    add(
      row,
      el("div", "bar-label", o.label),
      add(el("div", "bar-track"), fill),
      add(el("div", "bar-nums"), count, el("span", "bar-unit", o.count === 1 ? T.vote : T.votes), el("span", "bar-share", pct(o.share)))
    );
    add(chart, row);
  });
  return chart;
}

/* The paper ballots (补录) counted in an aspect, 0 if none. */
function paperOf(aspect) {
  var n = 0;
  Object.keys(aspect.paper || {}).forEach(function (k) {
    n += Number(aspect.paper[k]) || 0;
  });
  return n;
}

/* How a verdict is reached, in one line (rules.describe): beside every verdict shown. */
export function ruleLine() {
  var text = S.results && S.results.rule_text;
  return text ? el("div", "rule-line", T.rule + text) : null;
}

function aspectBlock(aspect, many) {
  var result = aspect.result;
  var withScore = scale().score && result.score !== null && result.score !== undefined;
  var block = el("div", "aspect" + (withScore ? " has-score" : ""));
  if (many) add(block, el("div", "aspect-name", aspect.name));
  var rates = el("div", "rates");
  add(rates, add(el("div", "rate-box"), el("div", "rate-label", rateLabel()), el("div", "rate", pct(result.rate))));
  if (withScore) {
    add(rates, add(el("div", "rate-box"), el("div", "rate-label", T.score_mean), el("div", "score", Number(result.score).toFixed(2))));
  }
  var top = add(el("div", "aspect-top"), verdictNode(result, "verdict-big"), rates);
  var meta = el("div", "meta");
  add(
    meta,
    el("span", "", T.valid + " " + result.valid + " · " + T.invalid + " " + result.invalid),
    paperOf(aspect) ? el("span", "meta-paper", " · " + fmt(T.paper, { n: paperOf(aspect) })) : null,
    el(
      "span",
      "meta-turnout",
      " · " + T.present + " " + ((S.results && S.results.present) || present()) + " · " + T.expected + " " + expected()
    )
  );
  add(block, top, bars(result), meta);
  return block;
}

export function drawResult(ids) {
  var view = clear(document.getElementById("view-result"));
  var many = ids.some(function (id) {
    return S.byId[id].aspects.length > 1;
  });
  var grid = el("div", "r-grid n" + ids.length + (ids.length === 2 || many ? " compact" : ""));
  ids.forEach(function (id) {
    var entry = S.byId[id];
    var card = el("article", "r-card");
    card.setAttribute("data-item", String(id));
    var kind = kindLabel(entry.kind);
    var head = el("header", "r-head");
    add(
      head,
      add(el("div", "r-tags"), el("span", "r-title", T.result_title), kind ? el("span", "kind-tag kind-" + entry.kind, kind) : null),
      el("h2", "r-subject", entry.subject),
      entry.person ? el("div", "r-person", entry.person) : null
    );
    var body = el("div", "r-body aspects-" + entry.aspects.length);
    entry.aspects.forEach(function (a) {
      add(body, aspectBlock(a, entry.aspects.length > 1));
    });
    add(card, head, body);
    add(grid, card);
  });
  add(view, grid, ruleLine());
  fitLines(view.querySelectorAll(".r-subject"), 0.7);
}
