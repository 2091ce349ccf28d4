/* 看一看: a meeting's materials, read on a phone (plain ES2017). Loaded only when first opened
   (the ballot's 查看材料) or by the reading link's page (/r/<key>). A material's pages are images
   the server drew at upload (WeChat's browser shows no PDF); pinch to zoom. The reader is an
   overlay on the page, so a ballot not yet sent stays as it is; the phone's back button closes it.
   CepingReader.open(meeting, key, item, opener): `item` an item's id, or "g" (the general ones). */
(function () {
"use strict";
var base = document.currentScript.src.replace(/reader\.js.*$/, "");
var css = document.createElement("link");
css.rel = "stylesheet";
css.href = base + "reader.css";
document.head.appendChild(css);

var shown = null, box = null, back = null, L = {};

function el(tag, cls, text, parent) {
  var e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text != null) e.textContent = text;
  if (parent) parent.appendChild(e);
  return e;
}
function q(key) { return "?k=" + encodeURIComponent(key || ""); }

function load(meeting, key) {
  return fetch("/materials/" + meeting + ".json" + q(key), { credentials: "same-origin" })
    .then(function (r) { if (!r.ok) throw new Error(r.status); return r.json(); })
    .then(function (d) { shown = d; L = d.labels || {}; return d; });
}

function close(fromHistory) {
  if (!box) return;
  box.remove();
  box = null;
  document.documentElement.classList.remove("rd-open");
  if (!fromHistory && history.state && history.state.reader) history.back();
  if (back) back.focus();
}
window.addEventListener("popstate", function () { close(true); });
document.addEventListener("keydown", function (ev) { if (ev.key === "Escape") close(false); });

function material(m, meeting, key, parent) {
  var sec = el("section", "rd-m", null, parent), i, img, text;
  el("h3", "", m.name, sec);
  var path = "/materials/" + meeting + "/" + m.id + "/";
  for (i = 1; i <= m.pages; i++) {
    img = el("img", "rd-page", null, sec);
    img.loading = i > 2 ? "lazy" : "eager";
    img.alt = (L.page || "%(n)s").replace("%(n)s", i) + " / " + m.pages;
    img.src = path + i + q(key);
  }
  if (!m.pages) {
    text = el("div", "rd-text", "…", sec);
    fetch(path + "text" + q(key), { credentials: "same-origin" })
      .then(function (r) { if (!r.ok) throw new Error(r.status); return r.text(); })
      .then(function (t) { text.textContent = t; }, function () { text.textContent = L.failed || "×"; });
  }
}

function draw(meeting, key, item) {
  var it = shown.items.filter(function (x) { return String(x.id) === String(item); })[0];
  var list = it ? it.materials : shown.general;
  box.textContent = "";
  var bar = el("div", "rd-bar", null, box), head = el("div", "rd-head", null, bar);
  el("h2", "", it ? it.subject : L.general, head).id = "rd-title";
  if (it && it.person) el("div", "rd-person", it.person, head);
  var x = el("button", "rd-x", L.close || "×", bar);
  x.type = "button";
  x.addEventListener("click", function () { close(false); });
  var body = el("div", "rd-body", null, box);
  list.forEach(function (m) { material(m, meeting, key, body); });
  if (!list.length) el("p", "rd-none", L.none, body);
  x.focus();
}

function open(meeting, key, item, opener) {
  close(true);
  back = opener || null;
  box = el("div", "rd", null, document.body);
  box.setAttribute("role", "dialog");
  box.setAttribute("aria-modal", "true");
  box.setAttribute("aria-labelledby", "rd-title");
  el("div", "rd-spin", null, box).setAttribute("aria-hidden", "true");
  document.documentElement.classList.add("rd-open");
  history.pushState({ reader: 1 }, "");
  var ready = shown && String(shown.meeting) === String(meeting) ? Promise.resolve(shown) : load(meeting, key);
  ready.then(function () { if (box) draw(meeting, key, item); }, function () {
    if (box) { box.textContent = ""; el("p", "rd-none", L.failed || "×", box); }
  });
}

window.CepingReader = { open: open };

/* The reading link's page: its buttons open the reader. */
var page = document.getElementById("reading");
if (page) {
  page.addEventListener("click", function (ev) {
    var b = ev.target.closest("[data-mat]");
    if (b) open(page.dataset.meeting, page.dataset.key, b.dataset.mat, b);
  });
}
})();
