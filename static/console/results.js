/* 结果: the ranked results, the audit head, and paper ballots (补录); the comments and the
 * follow-up are in followups.js. */
import { $, all, clear, el, fill, texts } from "../lib/dom.js";
import { api, fail, localError, oneAtATime, show } from "../lib/api.js";
import { BASE, S, item, items, stateBadge, verdictLabel } from "./meeting.js";
import { loadPublish } from "./followups.js";
import { loadAnnouncement } from "./announce.js";

const T = texts();

export const loadResults = oneAtATime(() => api("GET", BASE + "/results").then((data) => {
  S.results = data;
  renderResults();
  loadAnnouncement();
}));

function percent(value) {
  return value === null || value === undefined ? "—" : value.toFixed(2) + "%";
}

// -- the table ---------------------------------------------------------------------------------

function renderHead(data, aspects) {
  const scale = data.scale;
  const list = data.items || [];
  const options = list.length ? list[0].aspects[0].result.options : [];
  const cells = [
    el("th", { class: "num", text: T.rank }),
    el("th", { text: T.subject }),
    el("th", { text: T.person }),
    aspects ? el("th", { text: "" }) : null,
    el("th", { text: T.state })
  ];
  options.forEach((o) => cells.push(el("th", { class: "num", text: o.label })));
  cells.push(el("th", { class: "num", text: T.valid }));
  const rateLabel = T.rate[scale.key] || T.rate.satisfaction;
  $("results-note").textContent = fill(T.results_note, { rate: rateLabel });
  $("results-rule").hidden = !data.rule_text;
  $("results-rule").textContent = fill(T.rule_line, { rule: data.rule_text || "" });
  cells.push(el("th", { class: "num", text: rateLabel }));
  if (scale.score) cells.push(el("th", { class: "num", text: T.mean_score }));
  cells.push(el("th", { text: T.verdict }));
  const head = $("results-head");
  clear(head);
  head.appendChild(el("tr", {}, cells));
}

function sorted(list) {
  if (!$("sort-rank").checked) return list;
  return list.slice().sort((a, b) => (a.rank || 1e9) - (b.rank || 1e9) || a.position - b.position);
}

/* The first cells of an aspect's row: rank, subject, person, the aspect's name, state. */
function leadCells(i, a, first, tied, aspects) {
  return [
    el("td", { class: "num rank" }, first && i.rank ? [String(i.rank),
      tied ? el("small", { class: "tie", text: T.tie }) : null] : []),
    el("td", { class: "subject" }, first ? [el("strong", { text: i.subject })] : []),
    el("td", { class: "person", text: first ? i.person : "" }),
    aspects ? el("td", { class: "muted", text: a.name }) : null,
    el("td", {}, first ? [stateBadge(i.state)] : [])
  ];
}

function resultRow(i, a, n, scale, tied, aspects) {
  const r = a.result;
  const first = n === 0;
  const row = el("tr", first ? { "data-result": i.id, class: "state-" + i.state }
    : { "data-result-aspect": i.id + ":" + n, class: "aspect-row" }, leadCells(i, a, first, tied, aspects));
  r.options.forEach((o) => {
    row.appendChild(el("td", { class: "num" }, [String(o.count),
      el("small", { class: "share", text: percent(o.share) })]));
  });
  const onPaper = Object.keys(a.paper || {}).reduce((sum, k) => sum + a.paper[k], 0);
  row.appendChild(el("td", { class: "num" }, [String(r.valid), onPaper ? el("small",
    { class: "paper-mark", "data-paper": onPaper, text: fill(T.paper_of, { n: onPaper }) }) : null]));
  row.appendChild(el("td", { class: "num rate", text: percent(r.rate) }));
  if (scale.score) {
    row.appendChild(el("td", { class: "num", text: r.score === null ? "—" : r.score.toFixed(2) }));
  }
  row.appendChild(el("td", {}, [verdictLabel(scale, r)]));
  return row;
}

function renderAudit(headInfo) {
  $("audit-entries").textContent = fill(T.audit_entries, { n: headInfo.entries || 0 });
  const hash = $("audit-hash");
  hash.textContent = (headInfo.hash || "").slice(0, 16) + "…";
  hash.title = headInfo.hash || "";
}

export function renderResults() {
  const data = S.results;
  if (!data) return;
  const list = data.items || [];
  const aspects = list.length && list[0].aspects.length > 1;
  renderHead(data, aspects);
  const ranks = {};
  list.forEach((i) => { if (i.rank) ranks[i.rank] = (ranks[i.rank] || 0) + 1; });
  const body = $("results-body");
  clear(body);
  sorted(list).forEach((i) => {
    i.aspects.forEach((a, n) => {
      body.appendChild(resultRow(i, a, n, data.scale, ranks[i.rank] > 1, aspects));
    });
  });
  $("results-table").hidden = list.length === 0;
  const empty = $("results-empty");
  empty.hidden = list.length > 0;
  empty.textContent = T.results_none;
  renderPaper();
  loadPublish();
  renderAudit(data.audit_head || {});
}

// -- paper ballots (补录) -----------------------------------------------------------------------

function voterGroups() { /* 常委会组成人员 first, then any other group that has cards */
  const out = [(S.results.combine && S.results.combine.group) || "member"];
  const add = (g) => { if (g && out.indexOf(g) < 0) out.push(g); };
  (S.results.items || []).forEach((i) => Object.keys(i.aspects[0].groups).forEach(add));
  (S.cards || []).forEach((c) => add(c.grp));
  return out;
}

function paperItems() {
  return items().filter((i) => i.state === "closed");
}

/* Fill `select` with `choices` ([value, text]), keeping what was chosen. */
function refill(select, choices) {
  const was = select.value;
  clear(select);
  choices.forEach((c) => {
    select.appendChild(el("option", { value: c[0], text: c[1], selected: c[0] === was }));
  });
}

function renderPaperCounts(scale) {
  const box = $("paper-counts");
  if (box.getAttribute("data-scale") === scale.key) return;
  box.setAttribute("data-scale", scale.key);
  clear(box);
  if (scale.score) {
    box.appendChild(el("label", { class: "wide" }, [T.paper_score,
      el("input", { type: "text", id: "paper-scores", placeholder: "85:3, 90:2" })]));
    return;
  }
  scale.options.forEach((o) => {
    box.appendChild(el("label", {}, [o.label, el("input", { type: "number", min: "0", step: "1",
      value: "0", "data-choice": o.key, class: "paper-n" })]));
  });
}

function renderPaper() {
  const scale = S.results && S.results.scale;
  const list = paperItems();
  $("paper-form").hidden = !list.length || !scale;
  $("paper-empty").hidden = !!list.length;
  $("paper-empty").textContent = T.paper_none;
  if (!list.length || !scale) return;
  refill($("paper-item"), list.map((i) => [String(i.id), i.subject]));
  const aspects = S.meeting.aspects || [];
  refill($("paper-aspect"), aspects.map((name, n) => [String(n), name]));
  $("paper-aspect-label").hidden = aspects.length < 2;
  refill($("paper-group"), voterGroups().map((g) => [g, T.groups[g] || g]));
  renderPaperCounts(scale);
}

function paperScores(text, counts, shown) {
  text.split(/[,，\s]+/).filter(Boolean).forEach((pair) => {
    const m = /^(\d{1,3})[:：](\d+)$/.exec(pair);
    if (!m) throw localError(T.paper_score);
    counts[m[1]] = (counts[m[1]] || 0) + Number(m[2]);
  });
  Object.keys(counts).forEach((k) => shown.push(k + ":" + counts[k]));
}

function paperCounts() {
  const counts = {};
  const shown = [];
  const scores = $("paper-scores");
  if (scores) {
    paperScores(scores.value, counts, shown);
  } else {
    all("#paper-counts .paper-n").forEach((inp) => {
      if (!/^\d+$/.test(inp.value.trim())) throw localError(T.paper_bad);
      counts[inp.getAttribute("data-choice")] = Number(inp.value);
      shown.push(inp.parentNode.firstChild.textContent + " " + Number(inp.value));
    });
  }
  if (!Object.keys(counts).length) throw localError(T.paper_score);
  return { counts: counts, shown: shown.join("、") };
}

function savePaper(ev) {
  ev.preventDefault();
  const id = Number($("paper-item").value);
  const found = item(id);
  let entry;
  try {
    entry = paperCounts();
  } catch (err) {
    fail(err);
    return;
  }
  const body = { counts: entry.counts, group: $("paper-group").value };
  if ((S.meeting.aspects || []).length > 1) body.aspect = Number($("paper-aspect").value);
  const name = found ? found.subject : id;
  if (!window.confirm(fill(T.confirm_paper, { name: name, counts: entry.shown }))) return;
  api("POST", BASE + "/items/" + id + "/paper", body).then(() => {
    show(fill(T.paper_saved, { name: name }));
    loadResults();
  }, fail);
}

export function setupResults() {
  $("refresh-results").addEventListener("click", () => loadResults());
  $("sort-rank").addEventListener("change", renderResults);
  $("paper-form").addEventListener("submit", savePaper);
}
