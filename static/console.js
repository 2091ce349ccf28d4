/* The secretary's console for one meeting: 准备 (settings, items, cards), 进行 (open, close,
 * reveal, undo, live turnout) and 结果 (results, audit head, exports).
 *
 * Everything goes through the HTTP API with the login session and the page's CSRF token; live
 * changes come from the /console Socket.IO namespace. Plain ES2017, no framework; every piece of
 * data is put into the page as text (textContent), never as HTML.
 */
(function () {
  "use strict";

  var T = JSON.parse(document.getElementById("i18n").textContent);
  var CSRF = document.querySelector('meta[name="csrf-token"]').getAttribute("content");
  var root = document.getElementById("console");
  var MID = Number(root.getAttribute("data-meeting"));
  var BASE = "/api/meetings/" + MID;
  var TABS = ["prepare", "run", "results"];

  var S = {
    meeting: JSON.parse(document.getElementById("meeting-data").textContent),
    turnout: null,
    lastMove: null,
    selected: {},
    busy: false,
    tab: null,
    results: null,
    resultsKey: "",
    cards: null,
    parsed: [],
    offset: 0, // server clock minus this clock, in ms
    settingsDirty: false,
    editorKey: "",
    editorPending: false,
    batchKey: ""
  };
  S.turnout = S.meeting.turnout;

  // -- small helpers ---------------------------------------------------------------------------

  function $(id) { return document.getElementById(id); }

  function has(obj, key) { return Object.prototype.hasOwnProperty.call(obj, key); }

  function fill(template, values) {
    return String(template).replace(/%\((\w+)\)s/g, function (whole, key) {
      return has(values, key) ? String(values[key]) : whole;
    });
  }

  /* A fragment of `template` with its placeholders replaced by the given nodes (or text). */
  function fillNodes(template, values) {
    var frag = document.createDocumentFragment();
    var parts = String(template).split(/%\((\w+)\)s/);
    parts.forEach(function (part, n) {
      if (n % 2 === 0) {
        if (part) frag.appendChild(document.createTextNode(part));
      } else if (has(values, part)) {
        var v = values[part];
        frag.appendChild(typeof v === "object" ? v : document.createTextNode(String(v)));
      }
    });
    return frag;
  }

  var PROPS = { checked: 1, disabled: 1, hidden: 1, value: 1, draggable: 1, selected: 1, colSpan: 1 };

  /* createElement with text content, properties, attributes, listeners and children. */
  function el(tag, props, children) {
    var node = document.createElement(tag);
    Object.keys(props || {}).forEach(function (key) {
      var v = props[key];
      if (v === null || v === undefined) return;
      if (key === "text") node.textContent = v;
      else if (key === "class") node.className = v;
      else if (key.slice(0, 2) === "on") node.addEventListener(key.slice(2), v);
      else if (has(PROPS, key)) node[key] = v;
      else node.setAttribute(key, v);
    });
    (children || []).forEach(function (child) {
      if (child === null || child === undefined || child === false) return;
      node.appendChild(typeof child === "object" ? child : document.createTextNode(String(child)));
    });
    return node;
  }

  function clear(node) {
    while (node.firstChild) node.removeChild(node.firstChild);
  }

  function pad(n) { return n < 10 ? "0" + n : String(n); }

  function clock(seconds) {
    seconds = Math.max(0, Math.ceil(seconds));
    var h = Math.floor(seconds / 3600);
    var m = Math.floor((seconds % 3600) / 60);
    var s = seconds % 60;
    return (h ? h + ":" + pad(m) : pad(m)) + ":" + pad(s);
  }

  // -- messages --------------------------------------------------------------------------------

  var toast = $("toast");
  var toastTimer = null;

  function show(message, kind) {
    var now = new Date();
    toast.textContent = message;
    toast.setAttribute("data-time", pad(now.getHours()) + ":" + pad(now.getMinutes()) + ":" +
      pad(now.getSeconds()));
    toast.className = "toast visible " + (kind || "ok");
    if (toastTimer) clearTimeout(toastTimer);
    if (kind !== "error") {
      toastTimer = setTimeout(function () { toast.classList.remove("visible"); }, 8000);
    }
  }

  function errorText(err) {
    var message = err.serverMessage || err.message || "";
    var known = T.errors[err.code];
    if (known) return fill(known, { message: message });
    return fill(T.error_generic, { message: message || err.code });
  }

  function fail(err) {
    show(errorText(err), "error");
  }

  function localError(message) {
    var err = new Error(message);
    err.code = "local";
    return err;
  }

  // -- the HTTP API ----------------------------------------------------------------------------

  function api(method, path, body, form) {
    var opts = { method: method, credentials: "same-origin", headers: { Accept: "application/json" } };
    if (method !== "GET") opts.headers["X-CSRFToken"] = CSRF;
    if (form) {
      opts.body = form;
    } else if (body !== undefined) {
      opts.headers["Content-Type"] = "application/json";
      opts.body = JSON.stringify(body);
    }
    return fetch(path, opts).then(
      function (response) {
        var date = Date.parse(response.headers.get("Date") || "");
        if (!isNaN(date) && !S.turnout.sent_at) S.offset = date + 500 - Date.now();
        return response.text().then(function (text) {
          var data = null;
          try { data = text ? JSON.parse(text) : null; } catch (e) { data = null; }
          if (!response.ok) {
            var err = new Error((data && data.message) || response.statusText);
            err.code = (data && data.error) || "http_" + response.status;
            err.serverMessage = data && data.message;
            err.status = response.status;
            err.item = data && data.item;
            throw err;
          }
          return data;
        });
      },
      function () {
        var err = new Error("network");
        err.code = "network";
        throw err;
      }
    );
  }

  /* Run one secretary action at a time: buttons stay disabled while it is under way. */
  function exclusive(fn) {
    if (S.busy) {
      show(T.busy, "info");
      return Promise.resolve();
    }
    S.busy = true;
    renderButtons();
    var done = function () {
      S.busy = false;
      renderButtons();
    };
    return Promise.resolve().then(fn).then(done, function (err) {
      done();
      fail(err);
    });
  }

  // -- the meeting's items ---------------------------------------------------------------------

  function items() { return S.meeting.items || []; }

  function item(id) {
    var list = items();
    for (var n = 0; n < list.length; n++) if (list[n].id === Number(id)) return list[n];
    return null;
  }

  function inState(state) {
    return items().filter(function (i) { return i.state === state; });
  }

  function started() {
    return items().some(function (i) { return i.state !== "draft"; });
  }

  function names(list) {
    var subjects = list.map(function (i) { return typeof i === "object" ? i.subject : i; });
    if (subjects.length <= 3) return subjects.join("、");
    return fill(T.names_more, { names: subjects.slice(0, 2).join("、"), n: subjects.length });
  }

  function idsNames(ids) {
    return names(ids.map(function (id) {
      var found = item(id);
      return found ? found.subject : "#" + id;
    }));
  }

  function shortNames(ids) {
    if (ids.length === 1) return idsNames(ids);
    return fill(T.n_items, { n: ids.length });
  }

  function groupOf(i) {
    if (i.batch) return { key: "b:" + i.batch, label: i.batch };
    return { key: "k:" + i.kind, label: T.kinds[i.kind] || i.kind };
  }

  function groups() {
    var out = [];
    var seen = {};
    items().forEach(function (i) {
      var g = groupOf(i);
      if (!has(seen, g.key)) {
        seen[g.key] = { key: g.key, label: g.label, items: [] };
        out.push(seen[g.key]);
      }
      seen[g.key].items.push(i);
    });
    return out;
  }

  function batches() {
    var out = [];
    items().forEach(function (i) {
      if (i.batch && out.indexOf(i.batch) < 0) out.push(i.batch);
    });
    return out;
  }

  function voted(id) {
    var v = S.turnout && S.turnout.voted;
    return (v && v[String(id)]) || 0;
  }

  function deadline(i) {
    if (i.state !== "open" || i.closes_at === null || i.closes_at === undefined) return null;
    return i.closes_at * 1000 - S.offset;
  }

  // -- fetching --------------------------------------------------------------------------------

  var fetching = null;
  var fetchAgain = false;

  function refresh() {
    if (fetching) {
      fetchAgain = true;
      return fetching;
    }
    fetching = api("GET", BASE).then(
      function (data) {
        fetching = null;
        S.meeting = data;
        S.turnout = Object.assign({}, data.turnout, S.turnout && S.turnout.sent_at
          ? { sent_at: S.turnout.sent_at } : {});
        S.lastMove = data.last_move || null;
        renderAll();
        if (fetchAgain) {
          fetchAgain = false;
          refresh();
        }
      },
      function (err) {
        fetching = null;
        fail(err);
      }
    );
    return fetching;
  }

  // -- header: turnout and quorum --------------------------------------------------------------

  function renderPresent() {
    var t = S.turnout || {};
    var present = t.present || 0;
    var expected = t.expected || S.meeting.expected;
    var box = $("present");
    clear(box);
    box.appendChild(fillNodes(T.present, {
      present: el("b", { id: "present-count", text: present }),
      expected: el("b", { id: "expected-count", text: expected })
    }));
    var extra = (t.present_all || 0) - present;
    $("present-extra").hidden = extra <= 0;
    $("present-extra").textContent = extra > 0 ? fill(T.present_all, { n: extra }) : "";

    var quorum = S.meeting.quorum;
    var q = $("quorum-state");
    if (!quorum) {
      q.textContent = T.quorum_none;
      q.className = "quorum none";
    } else {
      var need = Math.floor(expected * quorum + 1e-9);
      var ok = present > expected * quorum + 1e-9;
      q.textContent = ok ? T.quorum_ok : fill(T.quorum_missing, { need: need });
      q.className = "quorum " + (ok ? "ok" : "missing");
    }
  }

  function setConnection(ok) {
    var c = $("conn");
    c.textContent = ok ? T.conn_ok : T.conn_lost;
    c.className = "conn " + (ok ? "ok" : "lost");
  }

  // -- 进行: the items' table and the action buttons -------------------------------------------

  function stateBadge(state) {
    return el("span", { class: "badge " + state, text: T.states[state] || state });
  }

  function renderRun() {
    var body = $("run-body");
    clear(body);
    var position = 0;
    groups().forEach(function (g) {
      var drafts = g.items.filter(function (i) { return i.state === "draft"; }).length;
      var all = g.items.every(function (i) { return S.selected[i.id]; });
      var box = el("input", { type: "checkbox", class: "select-group", checked: all && g.items.length > 0,
        "aria-label": g.label });
      box.addEventListener("change", function () {
        g.items.forEach(function (i) {
          if (box.checked) S.selected[i.id] = true;
          else delete S.selected[i.id];
        });
        renderRun();
        renderButtons();
      });
      body.appendChild(el("tr", { class: "group-row" }, [
        el("th", { colSpan: 8 }, [
          el("label", {}, [box, " ", el("span", { class: "group-name", text: g.label }),
            el("span", { class: "muted small", text: " · " + fill(T.n_items, { n: g.items.length }) +
              (drafts && drafts < g.items.length ? " · " + T.states.draft + " " + drafts : "") })])
        ])
      ]));
      g.items.forEach(function (i) {
        position += 1;
        body.appendChild(runRow(i, position));
      });
    });
    var everything = items().length > 0 && items().every(function (i) { return S.selected[i.id]; });
    $("select-all").checked = everything;
    renderVoted();
    renderTimers();
  }

  function runRow(i, position) {
    var box = el("input", { type: "checkbox", class: "select", checked: !!S.selected[i.id],
      "aria-label": i.subject });
    box.addEventListener("change", function () {
      if (box.checked) S.selected[i.id] = true;
      else delete S.selected[i.id];
      row.classList.toggle("is-selected", box.checked);
      renderButtons();
    });
    var action = null;
    if (T.row_actions[i.state]) {
      action = el("button", { type: "button", class: "btn small row-action " + i.state,
        text: T.row_actions[i.state], disabled: S.busy });
      action.addEventListener("click", function (event) {
        event.stopPropagation();
        var act = { draft: "open", open: "close", closed: "reveal" }[i.state];
        exclusive(function () { return act === "open" ? openItems([i.id]) : move(act, [i.id]); });
      });
    }
    var row = el("tr", { "data-item": i.id, "data-state": i.state,
      class: "item-row state-" + i.state + (S.selected[i.id] ? " is-selected" : "") }, [
      el("td", { class: "check-col" }, [box]),
      el("td", { class: "num muted", text: position }),
      el("td", { class: "subject" }, [el("strong", { text: i.subject })]),
      el("td", { class: "person", text: i.person }),
      el("td", {}, [stateBadge(i.state)]),
      el("td", { class: "voted-col" }, [
        el("span", { class: "voted", text: i.state === "draft" ? "—" : voted(i.id) }),
        el("span", { class: "of muted" }),
        el("span", { class: "bar" }, [el("span", { class: "bar-fill" })])
      ]),
      el("td", { class: "timer-col" }, [el("span", { class: "timer" })]),
      el("td", { class: "row-action-col" }, [action])
    ]);
    row.addEventListener("click", function (event) {
      var tag = event.target.tagName;
      if (tag === "INPUT" || tag === "BUTTON" || tag === "A" || tag === "LABEL") return;
      box.checked = !box.checked;
      box.dispatchEvent(new Event("change"));
    });
    return row;
  }

  function renderVoted() {
    var present = (S.turnout && S.turnout.present_all) || 0;
    Array.prototype.forEach.call(document.querySelectorAll("#run-body tr[data-item]"), function (row) {
      var i = item(row.getAttribute("data-item"));
      if (!i) return;
      var n = voted(i.id);
      var draft = i.state === "draft";
      row.querySelector(".voted").textContent = draft ? "—" : n;
      row.querySelector(".of").textContent = draft ? "" : " " + fill(T.of_present, { n: present });
      var bar = row.querySelector(".bar");
      bar.hidden = draft;
      bar.firstChild.style.width = (present ? Math.min(100, (100 * n) / present) : 0) + "%";
      bar.classList.toggle("full", present > 0 && n >= present);
    });
    renderLive();
  }

  function renderTimers() {
    var now = Date.now();
    Array.prototype.forEach.call(document.querySelectorAll("#run-body tr[data-item]"), function (row) {
      var i = item(row.getAttribute("data-item"));
      var cell = row.querySelector(".timer");
      var end = i ? deadline(i) : null;
      cell.textContent = end === null ? "" : clock((end - now) / 1000);
      cell.classList.toggle("urgent", end !== null && end - now < 10000);
    });
    var open = inState("open").map(deadline).filter(function (d) { return d !== null; });
    var timer = $("live-timer");
    if (open.length) {
      var left = (Math.min.apply(null, open) - now) / 1000;
      timer.hidden = false;
      timer.textContent = clock(left);
      timer.classList.toggle("urgent", left < 10);
    } else {
      timer.hidden = true;
    }
  }

  function renderLive() {
    var open = inState("open");
    var strip = $("live-strip");
    strip.classList.toggle("active", open.length > 0);
    var closed = inState("closed");
    strip.classList.toggle("waiting", !open.length && closed.length > 0);
    if (!open.length) {
      $("live-title").textContent = closed.length ? fill(T.live_closed, { names: names(closed) })
        : T.live_none;
      $("live-detail").textContent = "";
    } else {
      $("live-title").textContent = fill(T.live_open, { names: names(open) });
      var least = Math.min.apply(null, open.map(function (i) { return voted(i.id); }));
      $("live-detail").textContent = fill(T.live_min, { voted: least,
        present: (S.turnout && S.turnout.present_all) || 0 });
    }
    var counts = { draft: 0, open: 0, closed: 0, revealed: 0 };
    items().forEach(function (i) { counts[i.state] = (counts[i.state] || 0) + 1; });
    $("state-summary").textContent = fill(T.summary, counts);
    $("auto-close-note").hidden = !S.meeting.auto_close;
  }

  function setButton(button, enabled, count) {
    button.disabled = S.busy || !enabled;
    var n = button.querySelector(".n");
    if (n) n.textContent = count ? fill(T.count, { n: count }) : "";
  }

  function selectedDrafts() {
    return items().filter(function (i) { return S.selected[i.id] && i.state === "draft"; });
  }

  function renderButtons() {
    var drafts = selectedDrafts();
    setButton($("open-selected"), drafts.length > 0, drafts.length);

    var list = batches();
    var holder = $("batch-buttons");
    if (S.batchKey !== list.join("\n")) {
      S.batchKey = list.join("\n");
      clear(holder);
      list.forEach(function (label) {
        var b = el("button", { type: "button", class: "btn big open-batch", "data-batch": label }, [
          el("span", { class: "btn-label", text: fill(T.open_batch, { batch: label }) }), " ",
          el("span", { class: "n" })
        ]);
        b.addEventListener("click", function () { openBatch(label); });
        holder.appendChild(b);
      });
    }
    Array.prototype.forEach.call(holder.querySelectorAll("button.open-batch"), function (b) {
      var label = b.getAttribute("data-batch");
      var n = items().filter(function (i) { return i.batch === label && i.state === "draft"; }).length;
      setButton(b, n > 0, n);
    });

    var written = items().filter(function (i) { return i.kind === "written"; });
    var writtenDrafts = written.filter(function (i) { return i.state === "draft"; }).length;
    $("open-written").hidden = written.length === 0;
    setButton($("open-written"), writtenDrafts > 0, writtenDrafts);
    setButton($("close"), inState("open").length > 0, inState("open").length);
    setButton($("reveal"), inState("closed").length > 0, inState("closed").length);

    var undo = $("undo");
    var lm = S.lastMove;
    var label = undo.querySelector(".btn-label");
    if (canUndo()) {
      label.textContent = fill(T.undo_label, { what: describe(lm) });
      undo.disabled = S.busy;
      undo.title = "";
    } else {
      label.textContent = T.undo_none;
      undo.disabled = true;
      undo.title = lm ? T.errors.cannot_undo : T.errors.nothing_to_undo;
    }
    Array.prototype.forEach.call(document.querySelectorAll(".row-action"), function (b) {
      b.disabled = S.busy;
    });
  }

  function canUndo() {
    var lm = S.lastMove;
    return !!lm && (lm.action === "open" || lm.action === "close" || lm.action === "reopen");
  }

  function describe(lm) {
    return fill(T.what, { action: T.actions[lm.action] || lm.action, names: shortNames(lm.items) });
  }

  // -- 进行: actions ---------------------------------------------------------------------------

  function countdownSeconds() {
    var field = $("countdown");
    var raw = field.value.trim();
    if (!raw) return null;
    var n = Number(raw);
    if (!/^\d+$/.test(raw) || n < 5 || n > 86400) {
      field.focus();
      throw localError(T.countdown_bad);
    }
    return n;
  }

  function applyStates(states) {
    Object.keys(states || {}).forEach(function (id) {
      var found = item(id);
      if (found) found.state = states[id];
    });
  }

  function openItems(ids, override) {
    var seconds = countdownSeconds();
    var body = { items: ids };
    if (seconds) body.seconds = seconds;
    if (override) body.override_quorum = true;
    return api("POST", BASE + "/open", body).then(
      function (done) {
        applyStates(done.items);
        ids.forEach(function (id) { delete S.selected[id]; });
        show(seconds ? fill(T.opened_countdown, { names: idsNames(ids), seconds: seconds })
          : fill(T.opened, { names: idsNames(ids) }));
        renderAll();
        return refresh();
      },
      function (err) {
        if (err.code === "no_quorum" && !override) {
          var t = S.turnout || {};
          var question = T.confirm_quorum + "\n" + fill(T.confirm_quorum_detail,
            { present: t.present || 0, expected: t.expected || S.meeting.expected });
          if (window.confirm(question)) return openItems(ids, true);
          show(T.errors.no_quorum, "error");
          return null;
        }
        throw err;
      }
    );
  }

  function move(action, ids) {
    return api("POST", BASE + "/" + action, { items: ids }).then(function (done) {
      applyStates(done.items);
      show(fill(T[action === "close" ? "closed" : "revealed"], { names: idsNames(ids) }));
      renderAll();
      loadResults();
      return refresh();
    });
  }

  function openSelected() {
    var ids = selectedDrafts().map(function (i) { return i.id; });
    if (!ids.length) {
      show(T.nothing_selected, "info");
      return;
    }
    exclusive(function () { return openItems(ids); });
  }

  function openBatch(label) {
    var ids = items().filter(function (i) { return i.batch === label && i.state === "draft"; })
      .map(function (i) { return i.id; });
    if (!ids.length) return;
    exclusive(function () { return openItems(ids); });
  }

  function openWritten() {
    var ids = items().filter(function (i) { return i.kind === "written" && i.state === "draft"; })
      .map(function (i) { return i.id; });
    if (!ids.length) {
      show(T.nothing_written, "info");
      return;
    }
    exclusive(function () { return openItems(ids); });
  }

  function closeAll() {
    var ids = inState("open").map(function (i) { return i.id; });
    if (!ids.length) {
      show(T.nothing_open, "info");
      return;
    }
    exclusive(function () { return move("close", ids); });
  }

  function revealAll() {
    var ids = inState("closed").map(function (i) { return i.id; });
    if (!ids.length) {
      show(T.nothing_closed, "info");
      return;
    }
    exclusive(function () { return move("reveal", ids); });
  }

  function undo(fromKeyboard) {
    var lm = S.lastMove;
    if (!canUndo()) {
      show(lm ? T.errors.cannot_undo : T.errors.nothing_to_undo, "info");
      return;
    }
    var what = describe(lm);
    if (!fromKeyboard || lm.action === "open") {
      var votes = lm.items.reduce(function (sum, id) { return sum + voted(id); }, 0);
      var key = { open: "confirm_undo_open", close: "confirm_undo_close",
        reopen: "confirm_undo_reopen" }[lm.action];
      if (!window.confirm(fill(T[key], { what: what, votes: votes }))) return;
    }
    exclusive(function () {
      return api("POST", BASE + "/undo", {}).then(function (done) {
        applyStates(done.items);
        show(fill(T.undone, { what: what }));
        S.lastMove = null;
        renderAll();
        loadResults();
        return refresh();
      });
    });
  }

  function release(number, after) {
    if (!window.confirm(fill(T.confirm_release, { n: number }))) return;
    exclusive(function () {
      return api("POST", BASE + "/cards/" + number + "/release", {}).then(function () {
        show(fill(T.released, { n: number }));
        if (after) after();
        loadCards();
      });
    });
  }

  function revoke(number) {
    if (!window.confirm(fill(T.confirm_revoke, { n: number }))) return;
    exclusive(function () {
      return api("POST", BASE + "/cards/" + number + "/revoke", {}).then(function () {
        show(fill(T.revoked, { n: number }));
        loadCards();
      });
    });
  }

  $("open-selected").addEventListener("click", openSelected);
  $("open-written").addEventListener("click", openWritten);
  $("close").addEventListener("click", closeAll);
  $("reveal").addEventListener("click", revealAll);
  $("undo").addEventListener("click", function () { undo(false); });
  $("select-all").addEventListener("change", function () {
    var on = $("select-all").checked;
    items().forEach(function (i) {
      if (on) S.selected[i.id] = true;
      else delete S.selected[i.id];
    });
    renderRun();
    renderButtons();
  });
  Array.prototype.forEach.call(document.querySelectorAll(".presets [data-seconds]"), function (b) {
    b.addEventListener("click", function () { $("countdown").value = b.getAttribute("data-seconds"); });
  });
  $("quick-release").addEventListener("submit", function (event) {
    event.preventDefault();
    var field = $("release-number");
    var number = parseInt(field.value, 10);
    if (!(number > 0)) {
      show(T.card_number_bad, "error");
      field.focus();
      return;
    }
    release(number, function () { field.value = ""; });
  });

  // Keyboard: O open the selected, C close all open, R reveal all closed, U undo.
  function typing(target) {
    if (!target || !target.tagName) return false;
    if (target.isContentEditable) return true;
    var tag = target.tagName;
    if (tag === "TEXTAREA" || tag === "SELECT") return true;
    if (tag !== "INPUT") return false;
    return ["checkbox", "radio", "button", "submit", "reset"].indexOf(target.type) < 0;
  }

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey || event.repeat) return;
    if (typing(event.target) || S.tab !== "run") return;
    if (document.querySelector("dialog[open]")) return;
    var key = (event.key || "").toLowerCase();
    var action = { o: openSelected, c: closeAll, r: revealAll, u: function () { undo(true); } }[key];
    if (!action) return;
    event.preventDefault();
    action();
  });

  // -- tabs ------------------------------------------------------------------------------------

  function setTab(name) {
    if (TABS.indexOf(name) < 0) name = "run";
    S.tab = name;
    TABS.forEach(function (tab) {
      var button = $("tab-" + tab);
      var on = tab === name;
      button.setAttribute("aria-selected", on ? "true" : "false");
      button.classList.toggle("active", on);
      $("panel-" + tab).hidden = !on;
    });
    if (window.history && window.history.replaceState) {
      window.history.replaceState(null, "", "#" + name);
    }
    if (name === "results") loadResults();
    if (name === "prepare") loadCards();
  }

  TABS.forEach(function (tab) {
    $("tab-" + tab).addEventListener("click", function () { setTab(tab); });
  });

  // -- 准备: settings --------------------------------------------------------------------------

  var settingsForm = $("settings-form");

  function field(name) { return settingsForm.elements.namedItem(name); }

  function splitList(text) {
    return String(text).split(/[,，、;；\n]+/).map(function (s) { return s.trim(); })
      .filter(function (s) { return s; });
  }

  function setRadio(name, value) {
    Array.prototype.forEach.call(settingsForm.querySelectorAll('input[name="' + name + '"]'), function (r) {
      r.checked = r.value === value;
    });
  }

  function fillSettings() {
    var m = S.meeting;
    field("title").value = m.title;
    field("expected").value = m.expected;
    field("scale").value = m.scale;
    field("aspects").value = (m.aspects || []).join("、");
    setRadio("secret", m.secret ? "1" : "0");
    setRadio("join_mode", m.join_mode);
    var quorum = field("quorum");
    var match = Array.prototype.some.call(quorum.options, function (o) {
      return Math.abs(Number(o.value) - m.quorum) < 1e-9;
    });
    if (!match) quorum.appendChild(el("option", { value: String(m.quorum), text: String(m.quorum) }));
    Array.prototype.forEach.call(quorum.options, function (o) {
      o.selected = Math.abs(Number(o.value) - m.quorum) < 1e-9;
    });
    var rule = m.rule || {};
    setRadio("rule_kind", rule.kind || "majority");
    field("rule_base").value = rule.base || "expected";
    field("thresholds").value = (rule.thresholds || [80, 60]).join(", ");
    field("allow_change").checked = !!m.allow_change;
    field("live_tallies").checked = !!m.live_tallies;
    field("auto_close").checked = !!m.auto_close;
    var combine = m.combine || {};
    setRadio("combine_kind", combine.kind || "members_only");
    if (combine.weights) {
      if (combine.weights.member) field("weight_member").value = combine.weights.member;
      if (combine.weights.deputy) field("weight_deputy").value = combine.weights.deputy;
    }
    S.settingsDirty = false;
  }

  function lockSettings() {
    var locked = started();
    Array.prototype.forEach.call(settingsForm.elements, function (control) {
      if (control.name && control.name !== "title") control.disabled = locked;
    });
    var note = $("settings-locked");
    note.hidden = !locked;
    note.textContent = locked ? T.settings_locked : "";
  }

  function readSettings() {
    var settings = {
      title: field("title").value.trim(),
      expected: parseInt(field("expected").value, 10),
      scale: field("scale").value,
      aspects: splitList(field("aspects").value),
      secret: field("secret").value === "1",
      join_mode: field("join_mode").value,
      quorum: parseFloat(field("quorum").value),
      allow_change: field("allow_change").checked,
      live_tallies: field("live_tallies").checked,
      auto_close: field("auto_close").checked
    };
    if (field("rule_kind").value === "threshold") {
      var thresholds = splitList(field("thresholds").value).map(Number);
      if (!thresholds.length || thresholds.some(function (n) { return !isFinite(n); })) {
        throw localError(T.bad_thresholds);
      }
      settings.rule = { kind: "threshold", thresholds: thresholds };
    } else {
      settings.rule = { kind: "majority", base: field("rule_base").value };
    }
    if (field("combine_kind").value === "weighted") {
      settings.combine = { kind: "weighted", weights: {
        member: Number(field("weight_member").value), deputy: Number(field("weight_deputy").value) } };
    } else {
      settings.combine = { kind: "members_only" };
    }
    if (!settings.aspects.length) delete settings.aspects;
    if (isNaN(settings.expected)) settings.expected = null;
    if (started()) return { title: settings.title };
    return settings;
  }

  settingsForm.addEventListener("input", function () { S.settingsDirty = true; });
  settingsForm.addEventListener("change", function () { S.settingsDirty = true; });
  settingsForm.addEventListener("submit", function (event) {
    event.preventDefault();
    if (!settingsForm.reportValidity()) return;
    exclusive(function () {
      var settings = readSettings();
      return api("PATCH", BASE, settings).then(function (updated) {
        Object.assign(S.meeting, updated);
        fillSettings();
        renderTitle();
        show(T.settings_saved);
        return refresh();
      });
    });
  });

  function renderTitle() {
    $("meeting-title").textContent = S.meeting.title;
    document.title = S.meeting.title;
  }

  // -- 准备: the items editor ------------------------------------------------------------------

  var editor = $("editor-body");
  var dragged = null;

  function kindSelect(value, disabled) {
    var select = el("select", { class: "kind", disabled: disabled, "aria-label": T.kinds[value] });
    ["oral", "written", "other"].forEach(function (k) {
      select.appendChild(el("option", { value: k, text: T.kinds[k], selected: k === value }));
    });
    return select;
  }

  function renderEditor(force) {
    var key = JSON.stringify(items().map(function (i) {
      return [i.id, i.subject, i.person, i.kind, i.batch, i.state];
    }));
    if (!force && key === S.editorKey) return;
    if (!force && editor.contains(document.activeElement) &&
        document.activeElement.tagName !== "BUTTON") {
      S.editorPending = true; // do not pull the field away from under the secretary's cursor
      return;
    }
    S.editorKey = key;
    S.editorPending = false;
    clear(editor);
    var list = items();
    $("items-count").textContent = list.length ? fill(T.count, { n: list.length }) : "";
    if (!list.length) {
      editor.appendChild(el("tr", {}, [el("td", { colSpan: 8, class: "empty", text: T.no_items })]));
      return;
    }
    list.forEach(function (i, n) {
      var locked = i.state !== "draft";
      var row = el("tr", { "data-edit-item": i.id, class: locked ? "locked" : "" }, [
        el("td", { class: "handle-col" }, [el("span", { class: "handle", title: T.drag, text: "⠿",
          "aria-hidden": "true" })]),
        el("td", { class: "num muted", text: n + 1 }),
        el("td", {}, [el("input", { type: "text", class: "subject", value: i.subject, disabled: locked,
          maxlength: "200", "aria-label": T.subject, title: locked ? T.locked_item : "" })]),
        el("td", {}, [el("input", { type: "text", class: "person", value: i.person, disabled: locked,
          maxlength: "200", "aria-label": T.person })]),
        el("td", {}, [kindSelect(i.kind, locked)]),
        el("td", {}, [el("input", { type: "text", class: "batch", value: i.batch, disabled: locked,
          maxlength: "40", size: "8", "aria-label": "batch" })]),
        el("td", {}, [stateBadge(i.state)]),
        el("td", { class: "nowrap" }, [
          el("button", { type: "button", class: "icon-btn up", title: T.move_up, "aria-label": T.move_up,
            text: "↑", disabled: n === 0, onclick: function () { reorder(i.id, -1); } }),
          el("button", { type: "button", class: "icon-btn down", title: T.move_down,
            "aria-label": T.move_down, text: "↓", disabled: n === list.length - 1,
            onclick: function () { reorder(i.id, 1); } }),
          el("button", { type: "button", class: "icon-btn delete", title: T.delete, "aria-label": T.delete,
            text: "✕", disabled: locked, onclick: function () { deleteItem(i); } })
        ])
      ]);
      ["subject", "person", "batch"].forEach(function (name) {
        var input = row.querySelector("input." + name);
        input.addEventListener("change", function () { editItem(i, name, input.value, input); });
        input.addEventListener("keydown", function (event) {
          if (event.key === "Enter") input.blur();
        });
      });
      var select = row.querySelector("select.kind");
      select.addEventListener("change", function () { editItem(i, "kind", select.value, select); });
      var handle = row.querySelector(".handle");
      handle.addEventListener("mousedown", function () { row.draggable = true; });
      row.addEventListener("dragstart", function (event) {
        dragged = i.id;
        row.classList.add("dragging");
        event.dataTransfer.effectAllowed = "move";
        event.dataTransfer.setData("text/plain", String(i.id));
      });
      row.addEventListener("dragend", function () {
        row.draggable = false;
        row.classList.remove("dragging");
        dragged = null;
        clearDropMarks();
      });
      row.addEventListener("dragover", function (event) {
        if (dragged === null || dragged === i.id) return;
        event.preventDefault();
        var box = row.getBoundingClientRect();
        var after = event.clientY > box.top + box.height / 2;
        clearDropMarks();
        row.classList.add(after ? "drop-after" : "drop-before");
      });
      row.addEventListener("drop", function (event) {
        event.preventDefault();
        if (dragged === null || dragged === i.id) return;
        var box = row.getBoundingClientRect();
        var after = event.clientY > box.top + box.height / 2;
        var ids = items().map(function (x) { return x.id; }).filter(function (id) { return id !== dragged; });
        var at = ids.indexOf(i.id) + (after ? 1 : 0);
        ids.splice(at, 0, dragged);
        clearDropMarks();
        saveOrder(ids);
      });
      editor.appendChild(row);
    });
  }

  function clearDropMarks() {
    Array.prototype.forEach.call(editor.querySelectorAll(".drop-before, .drop-after"), function (r) {
      r.classList.remove("drop-before", "drop-after");
    });
  }

  editor.addEventListener("focusout", function () {
    setTimeout(function () {
      if (S.editorPending && !editor.contains(document.activeElement)) renderEditor();
    }, 0);
  });

  function editItem(i, name, value, control) {
    var body = {};
    body[name] = typeof value === "string" ? value.trim() : value;
    if (name === "subject" && !body.subject) {
      control.value = i.subject;
      return;
    }
    api("PATCH", BASE + "/items/" + i.id, body).then(
      function (updated) {
        Object.assign(i, updated);
        show(fill(T.item_saved, { name: i.subject }));
        S.editorKey = "";
        renderEditor();
        renderAll();
      },
      function (err) {
        control.value = i[name];
        fail(err);
      }
    );
  }

  function deleteItem(i) {
    if (!window.confirm(fill(T.confirm_delete, { name: i.subject }))) return;
    exclusive(function () {
      return api("DELETE", BASE + "/items/" + i.id).then(function () {
        delete S.selected[i.id];
        S.meeting.items = items().filter(function (x) { return x.id !== i.id; });
        show(fill(T.item_deleted, { name: i.subject }));
        renderAll();
        return refresh();
      });
    });
  }

  function reorder(id, delta) {
    var ids = items().map(function (x) { return x.id; });
    var at = ids.indexOf(id);
    var to = at + delta;
    if (at < 0 || to < 0 || to >= ids.length) return;
    ids.splice(at, 1);
    ids.splice(to, 0, id);
    saveOrder(ids);
  }

  function saveOrder(ids) {
    var byId = {};
    items().forEach(function (x) { byId[x.id] = x; });
    var before = S.meeting.items;
    S.meeting.items = ids.map(function (id, n) {
      var x = byId[id];
      x.position = n + 1;
      return x;
    });
    renderEditor(true);
    renderRun();
    api("POST", BASE + "/items/order", { items: ids }).then(
      function () {
        show(T.order_saved);
        return refresh();
      },
      function (err) {
        S.meeting.items = before;
        renderEditor(true);
        fail(err);
        refresh();
      }
    );
  }

  // -- 准备: pasted lines and uploaded tables -------------------------------------------------

  function renderPreview() {
    var box = $("preview");
    var body = $("preview-body");
    clear(body);
    box.hidden = S.parsed.length === 0;
    $("preview-note").textContent = fill(T.parsed, { n: S.parsed.length });
    S.parsed.forEach(function (p, n) {
      body.appendChild(el("tr", {}, [
        el("td", { class: "num muted", text: n + 1 }),
        el("td", { text: p.subject }),
        el("td", { text: p.person }),
        el("td", { text: T.kinds[p.kind] || p.kind }),
        el("td", { text: p.batch }),
        el("td", {}, [el("button", { type: "button", class: "icon-btn", text: "✕", title: T.remove,
          "aria-label": T.remove, onclick: function () {
            S.parsed.splice(n, 1);
            renderPreview();
          } })])
      ]));
    });
    var add = $("add-parsed");
    add.textContent = fill(T.add_parsed, { n: S.parsed.length });
    add.disabled = S.parsed.length === 0;
  }

  function parsed(data) {
    S.parsed = (data && data.items) || [];
    renderPreview();
    if (!S.parsed.length) show(T.parsed_none, "error");
  }

  $("parse").addEventListener("click", function () {
    var text = $("paste").value;
    if (!text.trim()) {
      show(T.parsed_none, "error");
      $("paste").focus();
      return;
    }
    api("POST", "/api/items/parse", { text: text, kind: $("import-kind").value,
      batch: $("import-batch").value.trim() }).then(parsed, fail);
  });

  $("upload").addEventListener("change", function () {
    var input = $("upload");
    var file = input.files && input.files[0];
    if (!file) return;
    var form = new FormData();
    form.append("file", file, file.name);
    form.append("kind", $("import-kind").value);
    form.append("batch", $("import-batch").value.trim());
    api("POST", "/api/items/parse", undefined, form).then(parsed, fail).then(function () {
      input.value = "";
    });
  });

  $("cancel-parsed").addEventListener("click", function () {
    S.parsed = [];
    renderPreview();
  });

  $("add-parsed").addEventListener("click", function () {
    if (!S.parsed.length) return;
    var adding = S.parsed.slice();
    exclusive(function () {
      return api("POST", BASE + "/items", { items: adding }).then(function (done) {
        show(fill(T.items_added, { n: done.ids.length }));
        S.parsed = [];
        $("paste").value = "";
        renderPreview();
        return refresh();
      });
    });
  });

  // -- 准备: cards -----------------------------------------------------------------------------

  var cardsLoading = null;
  var cardsAgain = false;
  var cardsTimer = null;

  function loadCards() {
    if (cardsLoading) {
      cardsAgain = true;
      return cardsLoading;
    }
    cardsLoading = api("GET", BASE + "/cards").then(
      function (data) {
        cardsLoading = null;
        S.cards = data.cards;
        renderCards();
        if (cardsAgain) {
          cardsAgain = false;
          loadCards();
        }
      },
      function (err) {
        cardsLoading = null;
        fail(err);
      }
    );
    return cardsLoading;
  }

  function loadCardsSoon() {
    if (cardsTimer || S.tab !== "prepare") return;
    cardsTimer = setTimeout(function () {
      cardsTimer = null;
      loadCards();
    }, 1500);
  }

  function mark(on) {
    return el("span", { class: on ? "yes" : "no", text: on ? "✓" : "—" });
  }

  function renderCards() {
    var body = $("cards-body");
    clear(body);
    var list = S.cards || [];
    var count = { total: list.length, present: 0, bound: 0, revoked: 0 };
    var deputies = false;
    list.forEach(function (c) {
      if (c.present && !c.revoked) count.present += 1;
      if (c.bound && !c.revoked) count.bound += 1;
      if (c.revoked) count.revoked += 1;
      if (c.grp === "deputy") deputies = true;
    });
    $("cards-summary").textContent = list.length ? fill(T.cards_summary, count) : T.cards_none;
    $("print-deputy").hidden = !deputies;
    list.forEach(function (c) {
      body.appendChild(el("tr", { "data-card": c.number, class: c.revoked ? "revoked" : "" }, [
        el("td", { class: "card-no", text: "No. " + c.number }),
        el("td", { text: T.groups[c.grp] || c.grp }),
        el("td", { class: "muted", text: c.origin === "join" ? T.origin_join : T.origin_issued }),
        el("td", {}, [mark(c.present)]),
        el("td", {}, [mark(c.bound)]),
        el("td", {}, [el("span", { class: c.revoked ? "badge revoked-card" : "badge ok",
          text: c.revoked ? T.card_revoked : T.card_valid })]),
        el("td", { class: "nowrap" }, [
          el("button", { type: "button", class: "btn small release", text: T.release,
            disabled: !c.bound || !!c.revoked, onclick: function () { release(c.number); } }),
          " ",
          el("button", { type: "button", class: "btn small danger revoke", text: T.revoke,
            disabled: !!c.revoked, onclick: function () { revoke(c.number); } })
        ])
      ]));
    });
  }

  $("issue-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var count = parseInt($("issue-count").value, 10);
    if (!(count > 0)) {
      $("issue-count").focus();
      return;
    }
    exclusive(function () {
      return api("POST", BASE + "/cards", { count: count, group: $("issue-group").value }).then(
        function (data) {
          var cards = data.cards;
          show(fill(T.cards_issued, { n: cards.length, first: cards[0].number,
            last: cards[cards.length - 1].number }));
          return loadCards();
        }
      );
    });
  });

  // -- 结果 ------------------------------------------------------------------------------------

  var resultsLoading = null;
  var resultsAgain = false;

  function loadResults() {
    if (resultsLoading) {
      resultsAgain = true;
      return resultsLoading;
    }
    resultsLoading = api("GET", BASE + "/results").then(
      function (data) {
        resultsLoading = null;
        S.results = data;
        renderResults();
        if (resultsAgain) {
          resultsAgain = false;
          loadResults();
        }
      },
      function (err) {
        resultsLoading = null;
        fail(err);
      }
    );
    return resultsLoading;
  }

  function percent(value) {
    return value === null || value === undefined ? "—" : value.toFixed(2) + "%";
  }

  function verdictClass(scale, verdict) {
    var levels = scale.levels || [];
    var at = levels.indexOf(verdict);
    if (at < 0) return "verdict";
    if (at === 0) return "verdict good";
    if (at === levels.length - 1) return "verdict bad";
    return "verdict mid";
  }

  function renderResults() {
    var data = S.results;
    if (!data) return;
    var scale = data.scale;
    var list = data.items || [];
    var aspects = list.length && list[0].aspects.length > 1;
    var options = list.length ? list[0].aspects[0].result.options : [];
    var head = $("results-head");
    clear(head);
    var cells = [
      el("th", { class: "num", text: T.rank }),
      el("th", { text: T.subject }),
      el("th", { text: T.person }),
      aspects ? el("th", { text: "" }) : null,
      el("th", { text: T.state })
    ];
    options.forEach(function (o) { cells.push(el("th", { class: "num", text: o.label })); });
    cells.push(el("th", { class: "num", text: T.valid }));
    var rateLabel = T.rate[scale.key] || T.rate.satisfaction;
    $("results-note").textContent = fill(T.results_note, { rate: rateLabel });
    cells.push(el("th", { class: "num", text: rateLabel }));
    if (scale.score) cells.push(el("th", { class: "num", text: T.mean_score }));
    cells.push(el("th", { text: T.verdict }));
    head.appendChild(el("tr", {}, cells));

    var ranks = {};
    list.forEach(function (i) { if (i.rank) ranks[i.rank] = (ranks[i.rank] || 0) + 1; });
    if ($("sort-rank").checked) {
      list = list.slice().sort(function (a, b) {
        return (a.rank || 1e9) - (b.rank || 1e9) || a.position - b.position;
      });
    }
    var body = $("results-body");
    clear(body);
    list.forEach(function (i) {
      i.aspects.forEach(function (a, n) {
        var r = a.result;
        var first = n === 0;
        var row = el("tr", first ? { "data-result": i.id, class: "state-" + i.state }
          : { "data-result-aspect": i.id + ":" + n, class: "aspect-row" }, [
          el("td", { class: "num rank" }, first && i.rank ? [String(i.rank),
            ranks[i.rank] > 1 ? el("small", { class: "tie", text: T.tie }) : null] : []),
          el("td", { class: "subject" }, first ? [el("strong", { text: i.subject })] : []),
          el("td", { class: "person", text: first ? i.person : "" }),
          aspects ? el("td", { class: "muted", text: a.name }) : null,
          el("td", {}, first ? [stateBadge(i.state)] : [])
        ]);
        r.options.forEach(function (o) {
          row.appendChild(el("td", { class: "num" }, [String(o.count),
            el("small", { class: "share", text: percent(o.share) })]));
        });
        var onPaper = Object.keys(a.paper || {}).reduce(function (n, k) { return n + a.paper[k]; }, 0);
        row.appendChild(el("td", { class: "num" }, [String(r.valid), onPaper ? el("small",
          { class: "paper-mark", "data-paper": onPaper, text: fill(T.paper_of, { n: onPaper }) }) : null]));
        row.appendChild(el("td", { class: "num rate", text: percent(r.rate) }));
        if (scale.score) {
          row.appendChild(el("td", { class: "num",
            text: r.score === null ? "—" : r.score.toFixed(2) }));
        }
        row.appendChild(el("td", {}, [r.verdict_label ? el("span", { class: verdictClass(scale, r.verdict),
          text: r.verdict_label }) : "—"]));
        body.appendChild(row);
      });
    });
    $("results-table").hidden = list.length === 0;
    var empty = $("results-empty");
    empty.hidden = list.length > 0;
    empty.textContent = T.results_none;

    renderPaper();
    loadPublish();
    var headInfo = data.audit_head || {};
    $("audit-entries").textContent = fill(T.audit_entries, { n: headInfo.entries || 0 });
    var hash = $("audit-hash");
    hash.textContent = (headInfo.hash || "").slice(0, 16) + "…";
    hash.title = headInfo.hash || "";
  }

  $("refresh-results").addEventListener("click", function () { loadResults(); });
  $("sort-rank").addEventListener("change", renderResults);

  // -- 结果: paper ballots (补录), comments (意见建议), follow-up (整改) -----------------------

  function voterGroups() { /* 常委会组成人员 first, then any other group that has cards */
    var out = [(S.results.combine && S.results.combine.group) || "member"];
    var add = function (g) { if (g && out.indexOf(g) < 0) out.push(g); };
    (S.results.items || []).forEach(function (i) { Object.keys(i.aspects[0].groups).forEach(add); });
    (S.cards || []).forEach(function (c) { add(c.grp); });
    return out;
  }

  function paperItems() { return items().filter(function (i) { return i.state === "closed"; }); }

  function renderPaper() {
    var scale = S.results && S.results.scale;
    var list = paperItems(), select = $("paper-item"), was = select.value;
    $("paper-form").hidden = !list.length || !scale;
    $("paper-empty").hidden = !!list.length;
    $("paper-empty").textContent = T.paper_none;
    if (!list.length || !scale) return;
    clear(select);
    list.forEach(function (i) {
      select.appendChild(el("option", { value: String(i.id), text: i.subject, selected: String(i.id) === was }));
    });
    var aspects = S.meeting.aspects || [], aspect = $("paper-aspect"), a0 = aspect.value;
    clear(aspect);
    aspects.forEach(function (name, n) {
      aspect.appendChild(el("option", { value: String(n), text: name, selected: String(n) === a0 }));
    });
    $("paper-aspect-label").hidden = aspects.length < 2;
    var group = $("paper-group"), g0 = group.value;
    clear(group);
    voterGroups().forEach(function (g) {
      group.appendChild(el("option", { value: g, text: T.groups[g] || g, selected: g === g0 }));
    });
    var box = $("paper-counts");
    if (box.getAttribute("data-scale") === scale.key) return;
    box.setAttribute("data-scale", scale.key);
    clear(box);
    if (scale.score) {
      box.appendChild(el("label", { class: "wide" }, [T.paper_score,
        el("input", { type: "text", id: "paper-scores", placeholder: "85:3, 90:2" })]));
      return;
    }
    scale.options.forEach(function (o) {
      box.appendChild(el("label", {}, [o.label, el("input", { type: "number", min: "0", step: "1",
        value: "0", "data-choice": o.key, class: "paper-n" })]));
    });
  }

  function paperCounts() {
    var counts = {}, shown = [];
    var scores = $("paper-scores");
    if (scores) {
      scores.value.split(/[,，\s]+/).filter(Boolean).forEach(function (pair) {
        var m = /^(\d{1,3})[:：](\d+)$/.exec(pair);
        if (!m) throw localError(T.paper_score);
        counts[m[1]] = (counts[m[1]] || 0) + Number(m[2]);
      });
      Object.keys(counts).forEach(function (k) { shown.push(k + ":" + counts[k]); });
    } else {
      Array.prototype.forEach.call(document.querySelectorAll("#paper-counts .paper-n"), function (inp) {
        if (!/^\d+$/.test(inp.value.trim())) throw localError(T.paper_bad);
        counts[inp.getAttribute("data-choice")] = Number(inp.value);
        shown.push(inp.parentNode.firstChild.textContent + " " + Number(inp.value));
      });
    }
    if (!Object.keys(counts).length) throw localError(T.paper_score);
    return { counts: counts, shown: shown.join("、") };
  }

  $("paper-form").addEventListener("submit", function (ev) {
    ev.preventDefault();
    var id = Number($("paper-item").value), found = item(id), entry;
    try { entry = paperCounts(); } catch (err) { return fail(err); }
    var body = { counts: entry.counts, group: $("paper-group").value };
    if ((S.meeting.aspects || []).length > 1) body.aspect = Number($("paper-aspect").value);
    if (!window.confirm(fill(T.confirm_paper, { name: found ? found.subject : id, counts: entry.shown }))) return;
    api("POST", BASE + "/items/" + id + "/paper", body).then(function () {
      show(fill(T.paper_saved, { name: found ? found.subject : id }));
      loadResults();
    }, fail);
  });

  function loadPublish() {
    return Promise.all([api("GET", BASE + "/comments"), api("GET", BASE + "/followups")]).then(
      function (got) { renderComments(got[0].comments); renderFollowups(got[1].followups); }, fail);
  }

  function renderComments(all) {
    var box = $("comments");
    clear(box);
    var shown = items().filter(function (i) { return (all[i.id] || []).length; });
    if (!shown.length) box.appendChild(el("p", { class: "empty", text: T.comments_none }));
    shown.forEach(function (i) {
      var list = all[i.id];
      box.appendChild(el("section", { class: "comment-item", "data-comments": i.id }, [
        el("h3", {}, [i.subject, " ", el("small", { class: "muted", text: fill(T.comments_n, { n: list.length }) })]),
        el("ol", { class: "comment-list" }, list.map(function (text) { return el("li", { text: text }); }))
      ]));
    });
  }

  function verdictOf(id) {
    var found = ((S.results && S.results.items) || []).filter(function (x) { return x.id === id; })[0];
    return found ? found.aspects[0].result : null;
  }

  var followupsShown = "";

  function renderFollowups(all) {
    var body = $("followups-body"), scale = S.results ? S.results.scale : { levels: [], options: [] };
    var months = $("followup-months");
    if (document.activeElement !== months) months.value = S.meeting.followup_months || 3;
    var sig = JSON.stringify([all, scale.key, items().map(function (i) { return i.subject; })]);
    if (sig === followupsShown) return; /* unchanged: keep what the secretary is typing */
    followupsShown = sig;
    clear(body);
    var ids = items().map(function (i) { return i.id; }).filter(function (id) { return all[id]; });
    $("followups-table").hidden = !ids.length;
    var best = (scale.options || []).filter(function (o) { return o.key === (scale.levels || [])[0]; })[0];
    $("followups-empty").hidden = !!ids.length;
    $("followups-empty").textContent = fill(T.followups_none, { best: best ? best.label : "" });
    ids.forEach(function (id) {
      var f = all[id], i = item(id), r = verdictOf(id);
      var status = el("select", { class: "fu-status" }, Object.keys(T.followup_status).map(function (k) {
        return el("option", { value: k, text: T.followup_status[k], selected: k === f.status });
      }));
      var due = el("input", { type: "date", class: "fu-due", value: f.due || "" });
      var notes = el("input", { type: "text", class: "fu-notes", maxlength: "2000", value: f.notes || "" });
      var save = el("button", { type: "button", class: "btn small", text: T.save, onclick: function () {
        api("PUT", BASE + "/followups/" + id, { status: status.value, due: due.value || null, notes: notes.value })
          .then(function () { show(fill(T.followup_saved, { name: i.subject })); loadPublish(); }, fail);
      } });
      body.appendChild(el("tr", { "data-followup": id, class: f.overdue ? "overdue" : "" }, [
        el("td", {}, [el("strong", { text: i.subject }), f.carried_from ? el("small",
          { class: "muted carried", text: fill(T.carried, { id: f.carried_from }) }) : null]),
        el("td", {}, [r && r.verdict_label ? el("span", { class: verdictClass(scale, r.verdict),
          text: r.verdict_label }) : "—"]),
        el("td", {}, [status]),
        el("td", {}, [due, f.overdue ? el("span", { class: "overdue-mark", text: T.overdue }) : null]),
        el("td", {}, [notes]),
        el("td", {}, [save])
      ]));
    });
  }

  $("months-form").addEventListener("submit", function (ev) {
    ev.preventDefault();
    var n = Number($("followup-months").value);
    api("PATCH", BASE, { followup_months: n }).then(function (m) {
      S.meeting.followup_months = m.followup_months;
      show(fill(T.months_saved, { n: m.followup_months }));
    }, fail);
  });

  // -- everything ------------------------------------------------------------------------------

  function renderAll() {
    renderTitle();
    renderPresent();
    renderRun();
    renderButtons();
    renderEditor();
    lockSettings();
    if (!S.settingsDirty) fillSettings();
    var key = items().filter(function (i) { return i.state === "closed" || i.state === "revealed"; })
      .map(function (i) { return i.id + i.state; }).join(",");
    if (key !== S.resultsKey) {
      S.resultsKey = key;
      if (S.results || S.tab === "results") loadResults();
    }
  }

  function applyTurnout(t) {
    if (!t || t.meeting !== undefined && t.meeting !== MID) return;
    if (t.sent_at) S.offset = t.sent_at * 1000 - Date.now();
    S.turnout = t;
    renderPresent();
    renderVoted();
    loadCardsSoon();
  }

  /* The projector's picture of the meeting (a `meeting` push): states now, details by refresh. */
  function applyPicture(p) {
    if (!p || p.id !== MID) return;
    var now = Date.now();
    (p.items || []).forEach(function (x) {
      var found = item(x.id);
      if (!found) return;
      found.state = x.state;
      if (x.seconds_left !== null && x.seconds_left !== undefined) {
        found.closes_at = (now + S.offset) / 1000 + x.seconds_left;
      }
    });
    renderRun();
    renderButtons();
  }

  // -- live updates ----------------------------------------------------------------------------

  var socket = window.io ? window.io("/console") : null;
  if (socket) {
    socket.on("connect", function () {
      setConnection(true);
      socket.emit("watch", { meeting: MID }, function (ack) {
        if (!ack || !ack.ok) {
          fail({ code: (ack && ack.error) || "not_found", serverMessage: ack && ack.message });
          return;
        }
        refresh();
      });
    });
    socket.on("disconnect", function () { setConnection(false); });
    socket.on("connect_error", function (err) {
      setConnection(false);
      if (err && err.data && err.data.error === "unauthorized") fail({ code: "unauthorized" });
    });
    socket.on("meeting", function (p) {
      applyPicture(p);
      refresh();
    });
    socket.on("turnout", applyTurnout);
    socket.on("results", function () { loadResults(); });
  }
  setConnection(!!(socket && socket.connected));

  // Without the live connection, keep the picture fresh by asking every few seconds.
  setInterval(function () {
    if (!socket || !socket.connected) refresh();
  }, 5000);
  setInterval(renderTimers, 500);
  document.addEventListener("visibilitychange", function () {
    if (!document.hidden) refresh();
  });
  toast.addEventListener("click", function () { toast.classList.remove("visible"); });

  // -- start -----------------------------------------------------------------------------------

  fillSettings();
  renderAll();
  var wanted = (window.location.hash || "").replace("#", "");
  setTab(TABS.indexOf(wanted) >= 0 ? wanted : started() ? "run" : "prepare");
  refresh();
})();
