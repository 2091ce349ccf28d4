/* The phone ballot (/v/<token>); plain ES2017. Each slot "item:aspect" is kept in localStorage
   under the card's token as {id: ballot uuid, pick: chosen, sent: confirmed, ok: acknowledged,
   note?: the item's comment, on its first aspect's slot}; while sent !== ok the vote is pending
   and is resent, with the same id (and comment), on every connect. A comment goes with a
   ballot's first sending only: the server keeps it once, apart from the ballot. */
(function () {
"use strict";
var $ = function (id) { return document.getElementById(id); };
var T = JSON.parse($("i18n").textContent), TOKEN = $("app").dataset.token;
var KEY = "ceping.voter." + TOKEN, S = store();
var state = null, at = 0, items = {}, voted = {}, confirming = false, editing = false;
var refused = null, inflight = false, gen = 0, built = "", MAT = $("app").dataset.mat;

function fmt(s, v) { return s.replace(/%\((\w+)\)s/g, function (m, k) { return k in v ? v[k] : m; }); }
function el(tag, cls, text, parent) {
  var e = document.createElement(tag);
  e.className = cls || "";
  if (text != null) e.textContent = text;
  if (parent) parent.appendChild(e);
  return e;
}
function uuid4() {
  var b = new Uint8Array(16), h = "";
  crypto.getRandomValues(b);
  b[6] = (b[6] & 15) | 64;
  b[8] = (b[8] & 63) | 128;
  for (var i = 0; i < 16; i++) h += (i === 4 || i === 6 || i === 8 || i === 10 ? "-" : "") + (b[i] + 256).toString(16).slice(1);
  return h;
}
function store() {
  try { var d = JSON.parse(localStorage.getItem(KEY)); if (d && d.slots) return d; } catch (e) { /* none */ }
  return { slots: {} };
}
function save() { try { localStorage.setItem(KEY, JSON.stringify(S)); } catch (e) { /* memory only */ } }
function blank() { return { id: null, pick: null, sent: null, ok: null }; }
function get(k) { return S.slots[k] || blank(); }
function slot(k) { return S.slots[k] || (S.slots[k] = blank()); }
function itemOf(k) { return k.split(":")[0]; }
function pending(k) { var e = get(k); return e.sent != null && e.sent !== e.ok; }
function done(k) { return voted[k] && !pending(k); }
function canChange(k) { return state.meeting.allow_change && get(k).ok != null; }
function noteable(k) { return editable(k) && get(k).ok == null; } /* a first ballot only */
var NOTE_MAX = 500;
function editable(k) { return !pending(k) && (!voted[k] || (editing && canChange(k))); }
function chosen(k) { return voted[k] || pending(k) || get(k).pick != null; }
function toSend() {
  return keys().filter(function (k) { var e = get(k); return editable(k) && e.pick != null && e.pick !== e.ok; });
}
function keys() { /* the open slots, in order */
  var out = [];
  (state ? state.items : []).forEach(function (it) {
    for (var a = 0; a < state.aspects.length; a++) out.push(it.id + ":" + a);
  });
  return out;
}
function name(k) {
  var it = items[itemOf(k)] || {}, a = state.aspects[k.split(":")[1]];
  return (it.subject || "") + (state.aspects.length > 1 ? " · " + a : "");
}
function subjects(ids, from) { /* whole items, by id, looked up in `from` */
  return names(ids.map(function (id) { return id + ":0"; }), from, true);
}
function names(ks, from, whole) { /* `from`: where the items are looked up (gone ones too) */
  var seen = [], now = items;
  items = from || items;
  ks.forEach(function (k) { var n = whole ? items[itemOf(k)].subject : name(k); if (seen.indexOf(n) < 0) seen.push(n); });
  items = now;
  return seen.slice(0, 3).join("、") + (seen.length > 3 ? fmt(T.more, { n: seen.length }) : "");
}
function label(c) {
  if (c == null) return T.submitted;
  if (state.scale.score) return fmt(T.score, { n: c });
  var o = state.scale.options.filter(function (x) { return x.key === c; })[0];
  return o ? o.label : c;
}
function band(c) { return (state.scale.bands || []).filter(function (b) { return c != null && +c >= b.min; })[0]; }
function tone(c) { /* best level green, worst red, those between amber, 弃权 grey */
  var lv = state.scale.levels, b = state.scale.score && band(c), i = lv.indexOf(b ? b.key : c);
  return "tone-" + (i < 0 ? "none" : i === 0 ? "good" : i === lv.length - 1 ? "bad" : "mid");
}


function screen() {
  var ks = keys();
  if (refused) return "refused";
  if (!state) return "connecting";
  if (!ks.length) return "waiting";
  if (confirming) return "confirm";
  if (editing) return "ballot";
  if (ks.every(done)) return "done";
  return ks.every(function (k) { return voted[k] || pending(k); }) ? "confirm" : "ballot";
}

function render() {
  var s = screen();
  document.body.dataset.screen = s;
  ["connecting", "waiting", "ballot", "confirm", "done", "refused"].forEach(function (n) { $("s-" + n).hidden = n !== s; });
  if (s === "ballot") ballot();
  if (s === "confirm") confirmScreen();
  if (s === "done") {
    var change = keys().some(canChange);
    summary($("d-list"), keys(), "ok");
    $("change").hidden = $("d-change-note").hidden = !change;
  }
  if (s === "refused") {
    $("refused-reason").dataset.error = refused;
    $("refused-reason").textContent = T[refused] || T.unknown_card;
    $("retry").hidden = refused === "unknown_card" || refused === "revoked";
    $("net").hidden = true;
  }
  tick();
}

function ballot() {
  var ks = keys(), sig = editing + ks.map(function (k) { return k + voted[k] + pending(k); }).join();
  if (sig !== built) build(ks);
  built = sig;
  var n = ks.filter(chosen).length, todo = ks.length - n;
  $("progress").textContent = fmt(T.progress, { n: n, total: ks.length });
  $("meter").style.width = (100 * n) / ks.length + "%";
  $("todo-text").textContent = todo ? fmt(T.left, { n: todo }) : T.all;
  $("submit").disabled = !!todo;
  $("todo").hidden = ks.length < 2;
}

function build(ks) {
  var list = $("items"), its = state.items, one = its.length === 1, multi = state.aspects.length > 1;
  var batch = its[0].batch, same = its.every(function (it) { return it.batch === batch; });
  list.textContent = "";
  list.className = "items" + (one ? " single" : "");
  $("b-title").textContent = one ? T["kind_" + its[0].kind] || T.kind_other : batch && same ? batch : T.kind_other;
  $("b-sub").textContent = editing ? T.edit : !one ? fmt(T.many, { n: its.length })
    : multi ? T.aspects : state.scale.score ? T.one_score : T.one;
  $("cancel-edit").hidden = !editing;
  its.forEach(function (it, i) {
    var li = el("li", "item", null, list), head = el("div", "item-h", null, li);
    if (!one) el("span", "no", i + 1, head);
    var who = el("div", "who", null, head);
    el("div", "subj", it.subject, who);
    if (it.person) el("div", "person", it.person, who);
    if (MAT.indexOf(" " + it.id + " ") >= 0) el("button", "mat", T.mat, who).dataset.mat = it.id;
    ks.filter(function (k) { return itemOf(k) === String(it.id); }).forEach(function (k) {
      var a = k.split(":")[1], box = el("div", "aspect", null, li), e = get(k);
      box.dataset.k = k;
      if (multi) el("div", "aname", state.aspects[a], box);
      if (!editable(k)) {
        var lock = el("div", "lock" + (pending(k) ? " wait" : ""), null, box), c = pending(k) ? e.sent : e.ok;
        el("span", "", pending(k) ? T.sending : "✓ " + T.submitted, lock);
        if (c != null) el("span", "chip " + tone(c), label(c), lock);
      } else if (state.scale.score) {
        var wrap = el("label", "score", null, box), inp = el("input", "", null, wrap);
        inp.type = "number";
        inp.setAttribute("aria-label", name(k));
        inp.setAttribute("inputmode", "numeric");
        inp.min = 0;
        inp.max = 100;
        inp.placeholder = "0–100";
        inp.dataset.k = k;
        if (e.pick != null) inp.value = e.pick;
        el("span", "unit", T.unit, wrap);
        el("span", "chip", null, wrap);
        showBand(inp);
      } else {
        var opts = el("div", "opts n" + state.scale.options.length, null, box);
        opts.setAttribute("role", "group");
        opts.setAttribute("aria-label", name(k));
        state.scale.options.forEach(function (o) {
          var b = el("button", "option " + tone(o.key), o.label, opts);
          b.type = "button";
          b.dataset.item = it.id;
          b.dataset.aspect = a;
          b.dataset.choice = o.key;
          b.setAttribute("aria-pressed", String(e.pick === o.key));
        });
      }
    });
    if (noteable(it.id + ":0")) note(li, it.id + ":0");
  });
}

function note(li, k) { /* the optional comment: a quiet toggle, then a box with a count */
  var text = get(k).note || "", wrap = el("div", "note", null, li);
  var open = el("button", "note-open", text ? T.note_close : T.note_open, wrap);
  var area = el("label", "note-box", null, wrap), input = el("textarea", "", null, area);
  var count = el("span", "note-count", fmt(T.note_count, { n: text.length }), area);
  open.type = "button";
  open.setAttribute("aria-expanded", String(!!text));
  area.hidden = !text;
  input.maxLength = NOTE_MAX;
  input.rows = 3;
  input.placeholder = T.note_hint;
  input.setAttribute("aria-label", T.note_label);
  input.dataset.note = k;
  input.value = text;
  open.addEventListener("click", function () {
    area.hidden = !area.hidden;
    open.setAttribute("aria-expanded", String(!area.hidden));
    open.textContent = area.hidden ? T.note_open : T.note_close;
    if (!area.hidden) input.focus();
  });
}

function showBand(inp) { /* the band a score falls in, e.g. 85 → 良好 */
  var c = get(inp.dataset.k).pick, b = band(c), chip = inp.parentNode.lastChild;
  chip.hidden = !b;
  if (b) { chip.textContent = b.label; chip.className = "chip " + tone(c); }
}

function summary(list, ks, which) {
  list.textContent = "";
  ks.forEach(function (k) {
    var li = el("li", "", null, list), c = get(k)[which], text = get(k).note;
    el("span", "subj", name(k), li);
    el("span", "chip " + (c == null ? "tone-none" : tone(c)), label(c), li);
    if (text && which !== "ok") el("span", "said", T.note_label + "：" + text, li);
  });
}

function confirmScreen() {
  var sending = !confirming, which = sending ? "sent" : "pick", ks = sending ? keys().filter(pending) : toSend();
  var counts = $("c-count");
  summary($("c-list"), ks, which);
  counts.textContent = "";
  if (ks.length > 1 && !state.scale.score) {
    state.scale.options.forEach(function (o) {
      var n = ks.filter(function (k) { return get(k)[which] === o.key; }).length;
      if (n) el("span", "chip " + tone(o.key), o.label + " " + n, counts);
    });
  }
  $("c-actions").hidden = $("c-note").hidden = sending;
  $("c-title").textContent = !sending ? T.confirm : socket.connected ? T.sending : T.wait_send;
  $("c-status").hidden = !sending || socket.connected;
}

function mmss(t) { var s = t % 60; return Math.floor(t / 60) + ":" + (s < 10 ? "0" : "") + s; }
function tick() { /* the countdowns (the vote's, a 述法 speech's), from the seconds last received */
  var sp = state && !refused && state.speech, l;
  $("speech").hidden = !sp;
  if (sp) {
    l = sp.remaining - (sp.status == "running" ? Math.floor((Date.now() - at) / 1000) : 0);
    $("sp-who").textContent = fmt(T.speaking, { who: sp.subject + " " + sp.person });
    $("sp-t").textContent = (sp.status == "paused" ? T.paused + " · " : "") + fmt(l > 0 ? T.clock : T.over, { t: mmss(Math.abs(l)) });
    $("speech").className = "speech" + (l > 60 ? "" : l > 0 ? " warn" : " over");
  }
  var left = null, clock = $("clock");
  (state && !refused ? state.items : []).forEach(function (it) {
    if (it.seconds_left != null && (left == null || it.seconds_left < left)) left = it.seconds_left;
  });
  clock.hidden = left == null;
  if (left == null) return;
  left = Math.max(0, Math.round(left - (Date.now() - at) / 1000));
  clock.textContent = left ? fmt(T.clock, { t: mmss(left) }) : T.clock_end;
  clock.className = left <= 30 ? "soon" : "";
}

function message(text) {
  $("msg-text").textContent = text;
  $("msg").hidden = !text;
  if (text) window.scrollTo(0, 0);
}
function refuse(code) {
  refused = code;
  socket.disconnect();
  render();
}


var socket = io("/voter", { /* polling first, then upgrade; reconnects for ever, backing off */
  auth: { token: TOKEN }, reconnectionDelay: 1000, reconnectionDelayMax: 5000
});

function net(down) { $("net").hidden = !down || !!refused; }
socket.on("connect", function () { net(false); render(); }); /* `state` follows by itself */
socket.on("disconnect", function (reason) {
  inflight = false;
  gen++;
  net(true);
  render();
  if (reason === "io server disconnect") why(true); /* the secretary released or withdrew it */
});
socket.on("connect_error", function (err) {
  var code = err && err.data && err.data.error;
  if (code === "unknown_card" || code === "card_in_use" || code === "revoked") return refuse(code);
  net(true);
  if (!socket.active) why(false); /* refused without a reason: the page tells */
});

function why(dropped) { /* ask the page (which binds nothing) whether this phone may go on */
  var again = function () { setTimeout(function () { socket.connect(); }, 3000); };
  fetch(location.pathname, { credentials: "same-origin", cache: "no-store" }).then(function (r) {
    if (r.ok) return dropped ? refuse("released") : again();
    return r.text().then(function (t) {
      var m = /data-error="(\w+)"/.exec(t);
      refuse(m ? m[1] : "unknown_card");
    });
  }, again);
}

socket.on("state", applyState);

/* Back from the background, a freeze or lost Wi-Fi: catch up now instead of waiting. A socket
   that still looks connected may be dead (the Wi-Fi changed under it; Engine.IO would notice only
   after its ping timeout): it must answer a `state` request within 5 s, else it is replaced. A
   socket waiting to reconnect tries again at once instead of at the end of its back-off. */
var checking = false;
function resume() {
  if (refused || checking || document.visibilityState === "hidden") return;
  if (!socket.connected) {
    if (socket.active) socket.disconnect().connect();
    return;
  }
  checking = true;
  socket.timeout(5000).emit("state", null, function (err, r) {
    checking = false;
    if (err || (r && r.error === "not_connected")) return socket.disconnect().connect();
    if (r && r.ok) applyState(r.state); /* a connect brings its own `state` and the resend */
  });
}
document.addEventListener("visibilitychange", resume);
document.addEventListener("resume", resume); /* the page was frozen */
window.addEventListener("pageshow", function (ev) { if (ev.persisted) resume(); });
window.addEventListener("online", resume);
/* The scale's labels in the page's language (T.labels, {} in Chinese) */
function localise(s) {
  var L = T.labels || {}, c = s.scale, f = function (x) { return L.hasOwnProperty(x) ? L[x] : x; },
    g = function (o) { return Object.assign({}, o, { label: f(o.label) }); };
  if (!c || !Object.keys(L).length) return s;
  s.aspects = s.aspects.map(f);
  s.scale = Object.assign({}, c, { name: f(c.name), options: c.options.map(g), bands: c.bands && c.bands.map(g) });
  return s;
}
function applyState(s) {
  s = localise(s);
  var was = items, lost = [], first = !state, open = {};
  state = s;
  at = Date.now();
  items = {};
  s.items.forEach(function (it) { items[it.id] = it; });
  if (s.voted) { /* null: sent to every phone at once; what this phone knew still holds */
    voted = {};
    s.voted.forEach(function (p) { voted[p[0] + ":" + p[1]] = true; });
  }
  if (s.revoked) return refuse("revoked");
  keys().forEach(function (k) { open[k] = true; });
  Object.keys(S.slots).forEach(function (k) {
    var e = S.slots[k];
    if (!open[k]) { /* closed: what was not submitted is dropped, and the voter is told */
      if (!first && was[itemOf(k)] && (pending(k) || (e.pick != null && e.ok == null))) lost.push(k);
      if (e.ok == null) delete S.slots[k];
      else e.sent = e.pick = e.ok;
    } else if (!voted[k] && e.ok != null && !pending(k)) {
      S.slots[k] = blank(); /* the secretary reset the item: vote again */
    }
  });
  /* why items left or came back: the secretary withdrew them (a reset, an undo) or reopened them */
  var back = (s.withdrawn || []).filter(function (id) { return was[id]; });
  var again = (s.reopened || []).filter(function (id) { return items[id] && !was[id]; });
  lost = lost.filter(function (k) { return back.indexOf(+itemOf(k)) < 0; });
  var fresh = !first && keys().some(function (k) { return !was[itemOf(k)]; });
  var told = back.length ? fmt(T.withdrawn, { names: subjects(back, was) })
    : again.length ? fmt(T.reopened, { names: subjects(again) })
    : lost.length ? fmt(T.ended, { names: names(lost, was) }) : null;
  if (told != null) message(told);
  else if (fresh) message(""); /* the next ballot opened: yesterday's news goes */
  save();
  if (!toSend().length || !keys().every(chosen)) confirming = false;
  if (!keys().some(canChange)) editing = false;
  built = "";
  render();
  flush();
}

function flush() { /* send every pending vote in one message */
  if (!socket.connected || inflight || !state || refused) return;
  var ks = keys().filter(pending), mine = ++gen;
  if (!ks.length) return;
  var votes = ks.map(function (k) {
    var e = get(k), v = { item: +itemOf(k), aspect: +k.split(":")[1], choice: e.sent, ballot: e.id };
    if (e.note && e.ok == null && v.aspect === 0) v.comment = e.note.slice(0, NOTE_MAX);
    return v;
  });
  inflight = true;
  socket.timeout(20000).emit("vote", { votes: votes }, function (err, ack) {
    if (mine !== gen) return;
    inflight = false;
    if (err) return socket.connected && setTimeout(flush, 2000);
    answer(ks, votes, ack || {});
  });
  render();
}

function answer(ks, votes, ack) {
  var code = ack.error, item = ack.item;
  if (ack.ok) {
    votes.forEach(function (v, i) {
      if (S.slots[ks[i]]) { S.slots[ks[i]].ok = v.choice; voted[ks[i]] = true; delete S.slots[ks[i]].note; }
    });
  } else if (code === "revoked") {
    return refuse(code);
  } else if (code === "not_connected") {
    return socket.disconnect().connect();
  } else { /* all or nothing: drop the refused item's vote, keep the others' and resend */
    var hit = ks.filter(function (k) { return itemOf(k) === String(item); });
    if (!hit.length) hit = ks, item = null;
    hit.forEach(function (k) {
      var e = slot(k);
      if (code === "ballot_taken") e.id = uuid4();
      else if (code === "not_open" || code === "change_not_allowed") e.sent = e.pick = e.ok;
      else e.sent = e.ok;
    });
    message(code === "ballot_taken" ? "" : code === "not_open" ? fmt(T.ended, { names: names(hit) })
      : code === "already_voted" ? fmt(T.already_voted, { name: names(hit) })
      : code === "change_not_allowed" ? T.change_not_allowed
      : item == null ? T.failed_all : fmt(T.failed, { name: names(hit) }));
    if (code === "already_voted") { /* which slots does the server hold for this card? */
      socket.emit("state", null, function (r) { if (r && r.ok) applyState(r.state); });
    }
    if (item == null) ks = [];
  }
  save();
  built = "";
  render();
  if (ks.length) setTimeout(flush, 0);
}


function calm(node) { /* answered: drop the "still to choose" mark */
  while (node && !/\bitem\b/.test(node.className)) node = node.parentNode;
  if (node) node.className = "item";
}
$("items").addEventListener("click", function (ev) {
  var b = ev.target;
  while (b && !/\boption\b/.test(b.className)) b = b.parentNode;
  var k = b && b.dataset.item + ":" + b.dataset.aspect;
  if (!b || !editable(k)) return;
  slot(k).pick = b.dataset.choice;
  save();
  [].forEach.call(b.parentNode.children, function (o) { o.setAttribute("aria-pressed", String(o === b)); });
  calm(b);
  ballot();
});
$("items").addEventListener("input", function (ev) {
  var t = ev.target, v = String(t.value).trim(), ok = /^\d{1,3}$/.test(v) && +v <= 100;
  if (t.dataset && t.dataset.note) { /* kept as typed, sent with the vote */
    if (!noteable(t.dataset.note)) return;
    slot(t.dataset.note).note = t.value.trim() ? t.value : undefined;
    t.nextSibling.textContent = fmt(T.note_count, { n: t.value.length });
    save();
    return;
  }
  if (!t.dataset || !t.dataset.k) return;
  slot(t.dataset.k).pick = ok ? String(+v) : null;
  t.className = v !== "" && !ok ? "bad" : "";
  showBand(t);
  calm(t);
  save();
  ballot();
});
$("todo").addEventListener("click", function () {
  var k = keys().filter(function (x) { return !chosen(x); })[0];
  var box = k && document.querySelector('.aspect[data-k="' + k + '"]');
  if (!box) return;
  box.parentNode.className = "item need";
  box.parentNode.scrollIntoView({ behavior: "smooth", block: "center" });
  if (box.querySelector("button")) box.querySelector("button").focus({ preventScroll: true });
});
$("submit").addEventListener("click", function () {
  if (!keys().every(chosen)) return;
  if (toSend().length) confirming = true;
  else editing = false;
  render();
  window.scrollTo(0, 0);
});
$("confirm-no").addEventListener("click", function () {
  confirming = false;
  render();
});
$("confirm-yes").addEventListener("click", function () {
  toSend().forEach(function (k) {
    var e = slot(k);
    e.id = e.id || uuid4();
    e.sent = e.pick;
  });
  save();
  confirming = editing = false;
  message("");
  render();
  flush();
});
function edit(on) {
  editing = on;
  keys().forEach(function (k) { if (canChange(k)) slot(k).pick = get(k).ok; });
  save();
  built = "";
  render();
  window.scrollTo(0, 0);
}
$("change").addEventListener("click", function () { edit(true); });
$("cancel-edit").addEventListener("click", function () { edit(false); });
window.addEventListener("storage", function (ev) { /* another tab of this card saved */
  if (ev.key !== KEY) return;
  S = store();
  built = "";
  render();
});
document.addEventListener("click", function (ev) { /* 查看材料: static/reader.js, loaded once */
  var b = ev.target.closest && ev.target.closest(".mat"), s;
  if (!b) return;
  if (window.CepingReader) return CepingReader.open($("app").dataset.meeting, TOKEN, b.dataset.mat, b);
  s = el("script", "", null, document.head);
  s.onload = function () { b.click(); };
  s.src = $("app").dataset.reader;
});
$("msg-x").addEventListener("click", function () { message(""); });
var root = document.documentElement, big = $("large-text");
function large(on) { /* 大字: voter.html's first script set the class from localStorage */
  root.classList.toggle("large", on);
  big.setAttribute("aria-pressed", String(on));
  try { localStorage.setItem("ceping.large", on ? "1" : ""); } catch (e) { /* this visit only */ }
}
large(root.classList.contains("large"));
big.addEventListener("click", function () { large(!root.classList.contains("large")); });
$("retry").addEventListener("click", function () { location.reload(); });

setInterval(tick, 1000);
render();
})();
