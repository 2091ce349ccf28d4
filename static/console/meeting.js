/* The meeting as the console knows it: its data, what the three tabs ask of it, and the
 * secretary's actions, one at a time.
 *
 * The tabs' modules import this one, never the reverse: main.js tells it how to redraw the page.
 */
import { $, el, fill, has, texts } from "../lib/dom.js";
import { api, fail, onResponse, oneAtATime, show } from "../lib/api.js";

const T = texts();

export const MID = Number($("console").getAttribute("data-meeting"));
export const BASE = "/api/meetings/" + MID;

export const S = {
  meeting: JSON.parse($("meeting-data").textContent),
  turnout: null,
  lastMove: null,
  selected: {},
  busy: false,
  tab: null,
  results: null,
  resultsKey: "",
  cards: null,
  parsed: [],
  parsedRows: [],
  parsedNotes: [],
  offset: 0, // server clock minus this clock, in ms
  settingsDirty: false,
  editorKey: "",
  editorPending: false,
  batchKey: ""
};
S.turnout = S.meeting.turnout;

onResponse((response) => {
  const date = Date.parse(response.headers.get("Date") || "");
  if (!isNaN(date) && !S.turnout.sent_at) S.offset = date + 500 - Date.now();
});

/* The votes the best level needs when the rule is a majority of 应到 (rules.best_reachable),
   or 0 when the rule sets none; more than 实到 means no item can reach it. */
export function bestNeeded() {
  const m = S.meeting;
  const rule = m.rule || {}, combine = m.combine || {};
  if (m.scale === "score" || (rule.kind || "majority") !== "majority") return 0;
  if ((rule.base || "expected") !== "expected" || combine.kind === "weighted") return 0;
  return Math.ceil((m.expected || 0) / 2);
}

// -- redrawing ---------------------------------------------------------------------------------

const view = { all: function () {}, buttons: function () {} };

/* main.js's part: `all` redraws the whole page, `buttons` the actions' buttons. */
export function drawWith(all, buttons) {
  view.all = all;
  view.buttons = buttons;
}

export function renderAll() {
  view.all();
}

/* Fetch the meeting again and redraw; calls while a fetch runs are served by one more fetch. */
export const refresh = oneAtATime(() => api("GET", BASE).then((data) => {
  S.meeting = data;
  S.turnout = Object.assign({}, data.turnout, S.turnout && S.turnout.sent_at
    ? { sent_at: S.turnout.sent_at } : {});
  S.lastMove = data.last_move || null;
  renderAll();
}));

/* Run one secretary action at a time: buttons stay disabled while it is under way. */
export function exclusive(fn) {
  if (S.busy) {
    show(T.busy, "info");
    return Promise.resolve();
  }
  S.busy = true;
  view.buttons();
  const done = () => {
    S.busy = false;
    view.buttons();
  };
  return Promise.resolve().then(fn).then(done, (err) => {
    done();
    fail(err);
  });
}

// -- the meeting's items -----------------------------------------------------------------------

export function items() {
  return S.meeting.items || [];
}

export function item(id) {
  const list = items();
  for (let n = 0; n < list.length; n++) if (list[n].id === Number(id)) return list[n];
  return null;
}

export function inState(state) {
  return items().filter((i) => i.state === state);
}

export function started() {
  return items().some((i) => i.state !== "draft");
}

/* The states an action's answer gives (`{id: state}`), put into the items at once. */
export function applyStates(states) {
  Object.keys(states || {}).forEach((id) => {
    const found = item(id);
    if (found) found.state = states[id];
  });
}

export function names(list) {
  const subjects = list.map((i) => (typeof i === "object" ? i.subject : i));
  if (subjects.length <= 3) return subjects.join("、");
  return fill(T.names_more, { names: subjects.slice(0, 2).join("、"), n: subjects.length });
}

export function idsNames(ids) {
  return names(ids.map((id) => {
    const found = item(id);
    return found ? found.subject : "#" + id;
  }));
}

export function shortNames(ids) {
  if (ids.length === 1) return idsNames(ids);
  return fill(T.n_items, { n: ids.length });
}

function groupOf(i) {
  if (i.batch) return { key: "b:" + i.batch, label: i.batch };
  return { key: "k:" + i.kind, label: T.kinds[i.kind] || i.kind };
}

/* The items by batch (or by kind when they have none), in the meeting's order. */
export function groups() {
  const out = [];
  const seen = {};
  items().forEach((i) => {
    const g = groupOf(i);
    if (!has(seen, g.key)) {
      seen[g.key] = { key: g.key, label: g.label, items: [] };
      out.push(seen[g.key]);
    }
    seen[g.key].items.push(i);
  });
  return out;
}

export function batches() {
  const out = [];
  items().forEach((i) => {
    if (i.batch && out.indexOf(i.batch) < 0) out.push(i.batch);
  });
  return out;
}

export function voted(id) {
  const v = S.turnout && S.turnout.voted;
  return (v && v[String(id)]) || 0;
}

/* When an open item closes by itself, on this machine's clock (ms), or null. */
export function deadline(i) {
  if (i.state !== "open" || i.closes_at === null || i.closes_at === undefined) return null;
  return i.closes_at * 1000 - S.offset;
}

export function stateBadge(state) {
  return el("span", { class: "badge " + state, text: T.states[state] || state });
}

/* The class of a verdict's label: the best level is good, the last one bad. */
function verdictClass(scale, verdict) {
  const levels = scale.levels || [];
  const at = levels.indexOf(verdict);
  if (at < 0) return "verdict";
  if (at === 0) return "verdict good";
  if (at === levels.length - 1) return "verdict bad";
  return "verdict mid";
}

/* A result's verdict, labelled with its class, or a dash. */
export function verdictLabel(scale, r) {
  return r && r.verdict_label ? el("span", { class: verdictClass(scale, r.verdict), text: r.verdict_label })
    : "—";
}
