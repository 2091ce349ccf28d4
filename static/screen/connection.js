/* The connection: the /screen Socket.IO namespace (the vendored client's global `io`), its
   indicator in the header, and the pushes (meeting, turnout, results, view), their labels
   put in this page's language. */
import { S, T, joinMode, key, meetingId } from "./state.js";
import { render, update } from "./view.js";

function setConn(state, text) {
  var conn = document.getElementById("conn");
  conn.setAttribute("data-state", state);
  document.getElementById("conn-text").textContent = text;
}

function onMeeting(m) {
  if (m.join_mode !== joinMode) {
    window.location.reload(); // the join QR is drawn by the server
    return;
  }
  var now = Date.now();
  S.meeting = m;
  S.speechAt = now;
  S.focusAt = now - (m.focus ? m.focus.age * 1000 : 0);
  S.deadlines = {};
  m.items.forEach(function (i) {
    if (i.seconds_left !== null && i.seconds_left !== undefined)
      S.deadlines[i.id] = now + i.seconds_left * 1000;
  });
  render();
}

/* The scales' labels in this page's language. Pushes go to the whole room in Chinese (with the
   rule line in English beside it, rule_text_en); T.labels maps each label the app makes to this
   page's language, and is empty on a Chinese page. What the secretary typed stays as typed. */
var LABELS = T.labels || {};
var LABEL_KEYS = { label: 1, verdict_label: 1, name: 1 };
function swap(v, key) {
  if (typeof v === "string")
    return (key === undefined || LABEL_KEYS.hasOwnProperty(key)) && LABELS.hasOwnProperty(v) ? LABELS[v] : v;
  if (Array.isArray(v)) return v.map(function (x) { return swap(x); });
  if (!v || typeof v !== "object") return v;
  var out = {};
  Object.keys(v).forEach(function (k) { out[k] = swap(v[k], k); });
  if (typeof v.rule_text_en === "string") out.rule_text = v.rule_text_en;
  return out;
}
function localise(data) {
  return Object.keys(LABELS).length ? swap(data) : data;
}

function onView(v) {
  S.overlay = v && v.view !== "live" ? localise(v) : null;
  S.overlayVersion = (S.overlayVersion || 0) + 1;
  render();
}

function onTurnout(t) {
  t = localise(t);
  S.turnout = t;
  update();
}

function onResults(r) {
  r = localise(r);
  S.results = r;
  S.byId = {};
  (r.items || []).forEach(function (e) {
    S.byId[e.id] = e;
  });
  S.resultsVersion = (S.resultsVersion || 0) + 1;
  render();
}

export function connect() {
  if (typeof io !== "function") {
    setConn("lost", T.conn_lost);
    return;
  }
  var socket = io("/screen", {
    auth: { meeting: meetingId, key: key },
    reconnectionDelay: 1000,
    reconnectionDelayMax: 5000,
  });
  socket.on("connect", function () {
    S.connected = true;
    setConn("ok", T.conn_ok);
  });
  socket.on("disconnect", function (reason) {
    S.connected = false;
    setConn("lost", T.conn_lost);
    if (reason === "io server disconnect") {
      window.setTimeout(function () {
        socket.connect();
      }, 2000);
    }
  });
  socket.on("connect_error", function (err) {
    S.connected = false;
    var refused = err && err.data && err.data.error;
    setConn("lost", refused ? T.conn_refused : T.conn_lost);
    if (!S.meeting) document.getElementById("connecting-text").textContent = refused ? T.conn_refused : T.conn_lost;
    if (!socket.active) {
      // refused by the server: the client gives up by itself; keep trying, slowly
      window.setTimeout(function () {
        socket.connect();
      }, 5000);
    }
  });
  socket.on("meeting", onMeeting);
  socket.on("turnout", onTurnout);
  socket.on("results", onResults);
  socket.on("view", onView);
}
