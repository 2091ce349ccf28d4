/* The projector's state and its small helpers: the page's texts (T), the stage and what the
   template put on it, the latest pushes (S), DOM building, and what every view asks of them.
   Plain ES module, no framework; text goes in by textContent. */

export var T = JSON.parse(document.getElementById("i18n").textContent);
export var stage = document.getElementById("stage");
export var meetingId = parseInt(stage.getAttribute("data-meeting"), 10);
export var key = stage.getAttribute("data-key") || "";
export var joinMode = stage.getAttribute("data-join-mode");

export var S = {
  meeting: null,
  turnout: null,
  results: null,
  byId: {}, // revealed results by item id
  focusAt: 0, // Date.now() of the focus move, by this browser's clock
  deadlines: {}, // item id -> Date.now() at which its countdown ends
  connected: false,
  signature: "",
};

// ---- small helpers --------------------------------------------------------------------

export function fmt(text, values) {
  return String(text).replace(/%\((\w+)\)s/g, function (_, name) {
    return values[name] === undefined ? "" : String(values[name]);
  });
}

export function el(tag, cls, text) {
  var node = document.createElement(tag);
  if (cls) node.className = cls;
  if (text !== undefined && text !== null) node.textContent = String(text);
  return node;
}

export function add(parent) {
  for (var i = 1; i < arguments.length; i++) {
    if (arguments[i]) parent.appendChild(arguments[i]);
  }
  return parent;
}

export function clear(node) {
  while (node.firstChild) node.removeChild(node.firstChild);
  return node;
}

export function pct(value) {
  return value === null || value === undefined ? "—" : Number(value).toFixed(2) + "%";
}

export function kindLabel(kind) {
  return T["kind_" + kind] || "";
}

export function itemById(id) {
  var items = S.meeting ? S.meeting.items : [];
  for (var i = 0; i < items.length; i++) if (items[i].id === id) return items[i];
  return null;
}

export function scale() {
  return (S.results && S.results.scale) || { key: "satisfaction", levels: [], score: false };
}

export function rateLabel() {
  return T["rate_" + scale().key] || T.rate_satisfaction;
}

/* A colour class per level: the best green, the worst red, others between; 弃权 grey. */
export function levelClass(keyName) {
  var levels = scale().levels || [];
  var index = levels.indexOf(keyName);
  if (index < 0) return "lv-none";
  if (index === 0) return "lv-0";
  if (index === levels.length - 1) return "lv-last";
  return levels.length > 3 && index === 1 ? "lv-1" : "lv-mid";
}

export function firstResult(entry) {
  return entry && entry.aspects && entry.aspects.length ? entry.aspects[0].result : null;
}

export function present() {
  return S.turnout ? S.turnout.present : 0;
}

export function expected() {
  if (S.turnout && S.turnout.expected) return S.turnout.expected;
  return S.meeting ? S.meeting.expected : parseInt(stage.getAttribute("data-expected"), 10);
}

export function revealedCount() {
  var items = S.meeting ? S.meeting.items : [];
  var n = 0;
  for (var i = 0; i < items.length; i++) if (items[i].state === "revealed") n++;
  return n;
}

export function setText(id, value) {
  var node = document.getElementById(id);
  var text = String(value);
  if (node && node.textContent !== text) node.textContent = text;
}

export function figure(label, value, id, cls) {
  var box = el("div", "fig " + (cls || ""));
  var num = el("div", "fig-num", value);
  if (id) num.id = id;
  return add(box, el("div", "fig-label", label), num);
}

export function commonBatch(items) {
  var label = items[0].batch;
  for (var i = 1; i < items.length; i++) if (items[i].batch !== label) return "";
  return label || "";
}
