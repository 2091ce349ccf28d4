/* The projector (大屏) of one meeting: /screen/<id>?key=<screen key>, 1920×1080, read from 10 m.

   Data: the Socket.IO namespace /screen (auth {meeting, key}) sends `meeting`, `turnout` and
   `results` on connect and afterwards on every change; the page keeps the latest of each and
   redraws from them, so a reconnect (which resends all three) always lands on the right picture.
   - meeting: title, expected, join_mode, items [{id, subject, person, kind, batch, state,
     seconds_left}] and focus = the secretary's latest move {action, items, age}.
   - turnout: present (实到), expected (应到), voted {item: cards}; tallies only where the
     meeting has live tallies. Coalesced by the server (at most ~10 a second).
   - results: the revealed items only, ranked, with their tallies (never an unrevealed one).

   Which view (document.body.dataset.view) follows from the focus:
   - "connecting": until the first `meeting` arrives. A lost connection later only turns the
     indicator in the header red; the last picture stays up while the client reconnects.
   - focus reveal, with the results of its items here: "result" for 1–4 items (each option's
     count and share, 满意率, the verdict, a bar chart), "batch-result" for more (a ranked
     table that fits one screen, two columns past 12 rows). Once every item of the meeting is
     revealed and the last result has been up SUMMARY_AFTER seconds: "summary" (ranking of
     all items, verdict counts, 实到 / 应到). If items were opened meanwhile, the result gives
     way to "voting" after RESULT_HOLD seconds. (Before its results arrive a reveal shows its
     items as closed.)
   - a 述法 speech running or paused (meeting.speech, its status not "ended"): "speech", the
     department, the person and the countdown, ticking here from the server's elapsed time
     (exact, at the push); amber at a minute left, red at 0, then the overrun. A chime at both
     once the projector's operator has clicked 点击开启提示音 (browsers ask for a click).
   - otherwise, any open items: "voting" (one item big, or a batch: its label, count and a
     compact list), with 已投 / 实到 / 应到 very large — for a batch 已投 counts the cards that
     have voted on every open item, the minimum over them — a progress bar, and the countdown
     when one is set (ticking down here from the server's seconds_left).
   - focus close, its items still closed: "voting" of those items with "投票已结束，等待公布结果"
     and the final turnout.
   - everything revealed: "summary"; else "idle": the title, the join QR (open mode) or the
     card instruction, 实到 / 应到.
   - above all these, a view the secretary puts up from the console (the `view` event,
     {view, data}): "previous-round", 上一轮整改情况 (each department's last verdict and its
     follow-up), until the console takes it down or the next move on the items.

   The stage is laid out at 1920×1080 and scaled to the window (letterboxed), so every view
   fits any screen without scrolling. Plain ES2017, no framework; text goes in by textContent.
*/
(function () {
  "use strict";

  var SUMMARY_AFTER = 15; // seconds a last result stays up before the summary
  var RESULT_HOLD = 20; // seconds a result stays up while other items are already open
  var FEW = 4; // up to this many revealed items: result cards; more: the ranked table
  var MAX_LIST = 24; // a batch being voted on lists its items up to this many
  var W = 1920;
  var H = 1080;

  var T = JSON.parse(document.getElementById("i18n").textContent);
  var stage = document.getElementById("stage");
  var meetingId = parseInt(stage.getAttribute("data-meeting"), 10);
  var key = stage.getAttribute("data-key") || "";
  var joinMode = stage.getAttribute("data-join-mode");

  var S = {
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

  function fmt(text, values) {
    return String(text).replace(/%\((\w+)\)s/g, function (_, name) {
      return values[name] === undefined ? "" : String(values[name]);
    });
  }

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function add(parent) {
    for (var i = 1; i < arguments.length; i++) {
      if (arguments[i]) parent.appendChild(arguments[i]);
    }
    return parent;
  }

  function clear(node) {
    while (node.firstChild) node.removeChild(node.firstChild);
    return node;
  }

  function pct(value) {
    return value === null || value === undefined ? "—" : Number(value).toFixed(2) + "%";
  }

  function kindLabel(kind) {
    return T["kind_" + kind] || "";
  }

  function itemById(id) {
    var items = S.meeting ? S.meeting.items : [];
    for (var i = 0; i < items.length; i++) if (items[i].id === id) return items[i];
    return null;
  }

  function scale() {
    return (S.results && S.results.scale) || { key: "satisfaction", levels: [], score: false };
  }

  function rateLabel() {
    return T["rate_" + scale().key] || T.rate_satisfaction;
  }

  /* A colour class per level: the best green, the worst red, others between; 弃权 grey. */
  function levelClass(keyName) {
    var levels = scale().levels || [];
    var index = levels.indexOf(keyName);
    if (index < 0) return "lv-none";
    if (index === 0) return "lv-0";
    if (index === levels.length - 1) return "lv-last";
    return levels.length > 3 && index === 1 ? "lv-1" : "lv-mid";
  }

  function firstResult(entry) {
    return entry && entry.aspects && entry.aspects.length ? entry.aspects[0].result : null;
  }

  function present() {
    return S.turnout ? S.turnout.present : 0;
  }

  function expected() {
    if (S.turnout && S.turnout.expected) return S.turnout.expected;
    return S.meeting ? S.meeting.expected : parseInt(stage.getAttribute("data-expected"), 10);
  }

  function revealedCount() {
    var items = S.meeting ? S.meeting.items : [];
    var n = 0;
    for (var i = 0; i < items.length; i++) if (items[i].state === "revealed") n++;
    return n;
  }

  // ---- which view -----------------------------------------------------------------------

  function decide() {
    var m = S.meeting;
    if (!m) return { view: "connecting" };
    if (S.overlay && S.overlay.view === "previous_round") return { view: "previous-round" };
    if (m.speech && m.speech.status !== "ended") return { view: "speech", speech: m.speech };
    var items = m.items;
    var open = items.filter(function (i) {
      return i.state === "open";
    });
    var allRevealed =
      items.length > 0 &&
      items.every(function (i) {
        return i.state === "revealed";
      });
    var focus = m.focus;
    var age = (Date.now() - S.focusAt) / 1000;
    if (focus && focus.action === "reveal") {
      var shown = focus.items.filter(function (id) {
        return S.byId[id];
      });
      if (shown.length && shown.length === focus.items.length) {
        if (open.length && age >= RESULT_HOLD) return { view: "voting", items: open };
        if (allRevealed && !open.length && age >= SUMMARY_AFTER) return { view: "summary" };
        return { view: shown.length <= FEW ? "result" : "batch-result", ids: shown };
      }
      if (!open.length) {
        var waiting = focus.items.map(itemById).filter(Boolean);
        if (waiting.length) return { view: "voting", items: waiting, closed: true };
      }
    }
    if (open.length) return { view: "voting", items: open };
    if (focus && focus.action === "close") {
      var closed = focus.items.map(itemById).filter(function (i) {
        return i && i.state === "closed";
      });
      if (closed.length) return { view: "voting", items: closed, closed: true };
    }
    if (allRevealed && Object.keys(S.byId).length) return { view: "summary" };
    return { view: "idle" };
  }

  function signatureOf(d) {
    var parts = [d.view, d.closed ? "closed" : ""];
    if (d.items)
      parts.push(
        d.items
          .map(function (i) {
            return i.id + ":" + i.state;
          })
          .join(",")
      );
    if (d.ids) parts.push(d.ids.join(","));
    if (d.speech) parts.push(d.speech.item);
    if (d.view === "voting" || d.view === "idle") parts.push(S.meeting ? S.meeting.title : "");
    if (d.view === "result" || d.view === "batch-result" || d.view === "summary")
      parts.push(S.resultsVersion || 0);
    if (d.view === "previous-round") parts.push(S.overlayVersion || 0);
    return parts.join("|");
  }

  function render() {
    var d = decide();
    var sig = signatureOf(d);
    if (sig !== S.signature) {
      S.signature = sig;
      S.current = d;
      document.body.dataset.view = d.view; // first: the drawing measures the shown view
      if (d.view === "voting") drawVoting(d);
      else if (d.view === "result") drawResult(d.ids);
      else if (d.view === "batch-result") drawBatch(d.ids);
      else if (d.view === "summary") drawSummary();
      else if (d.view === "previous-round") drawPrevious();
      if (d.view === "batch-result" || d.view === "summary" || d.view === "previous-round") fitTables();
    }
    update();
  }

  /* The parts that change without a redraw: turnout, countdown, header, footer. */
  function update() {
    var d = S.current || { view: "connecting" };
    if (S.meeting) document.getElementById("title").textContent = S.meeting.title;
    if (S.meeting) document.getElementById("rehearsal-mark").hidden = !S.meeting.rehearsal;
    var total = S.meeting ? S.meeting.items.length : 0;
    var turnoutText =
      T.expected + " " + expected() + " · " + T.present + " " + (S.turnout ? present() : "—");
    document.getElementById("foot-turnout").textContent = S.meeting ? turnoutText : "";
    document.getElementById("foot-progress").textContent = total
      ? fmt(T.revealed_progress, { n: revealedCount(), total: total })
      : "";
    var idleTurnout = document.getElementById("idle-turnout");
    if (idleTurnout && d.view === "idle") {
      if (!document.getElementById("idle-present")) {
        add(
          idleTurnout,
          figure(T.present, "—", "idle-present", "fig-present"),
          el("span", "fig-sep", "/"),
          figure(T.expected, "—", "idle-expected", "fig-expected")
        );
      }
      setText("idle-present", S.turnout ? present() : "—");
      setText("idle-expected", expected());
    }
    if (d.view === "voting") updateVoting(d);
    if (d.view === "speech" && S.meeting.speech) updateSpeech(S.meeting.speech); // the latest push
  }

  // ---- the 述法 speech timer --------------------------------------------------------------

  var chime = null; // the Audio, once the operator allowed sound
  var lastPhase = {}; // item -> the phase last shown (a chime when it moves on while running)

  function mmss(seconds) {
    var s = seconds % 60;
    return Math.floor(seconds / 60) + ":" + (s < 10 ? "0" : "") + s;
  }

  function ring(times) {
    if (!chime) return;
    var n = 0;
    var again = function () {
      chime.currentTime = 0;
      var played = chime.play();
      if (played && played.catch) played.catch(function () {});
      if (++n < times) window.setTimeout(again, 700);
    };
    again();
  }

  function updateSpeech(sp) {
    var running = sp.status === "running";
    var spoken = (sp.exact !== undefined ? sp.exact : sp.elapsed) + (running ? (Date.now() - S.speechAt) / 1000 : 0);
    var left = sp.allotted - Math.floor(spoken);
    var phase = left <= 0 ? "over" : left <= 60 ? "warning" : "normal";
    var view = document.getElementById("view-speech");
    view.setAttribute("data-phase", phase);
    view.setAttribute("data-status", sp.status);
    setText("sp-subject", sp.subject);
    setText("sp-person", sp.person);
    setText("sp-caption", left > 0 ? T.speech_left : T.speech_over);
    setText("sp-pre", left > 0 ? "" : fmt(T.speech_overrun, { t: "" }).trim());
    setText("sp-digits", mmss(Math.abs(left)));
    setText("sp-allotted", fmt(T.speech_allotted, { m: Math.round(sp.allotted / 6) / 10, t: mmss(Math.floor(spoken)) }));
    var before = lastPhase[sp.item];
    lastPhase[sp.item] = phase;
    if (running && before && before !== phase && phase !== "normal") ring(phase === "over" ? 2 : 1);
  }

  function allowSound() {
    var button = document.getElementById("sp-sound");
    chime = new Audio(button.getAttribute("data-src"));
    ring(1); // the click that allows it is heard at once
    button.disabled = true;
    button.textContent = T.sound_on;
  }

  // ---- voting ---------------------------------------------------------------------------

  function figure(label, value, id, cls) {
    var box = el("div", "fig " + (cls || ""));
    var num = el("div", "fig-num", value);
    if (id) num.id = id;
    return add(box, el("div", "fig-label", label), num);
  }

  function drawVoting(d) {
    var view = clear(document.getElementById("view-voting"));
    var items = d.items;
    view.classList.toggle("is-closed", !!d.closed);
    view.classList.toggle("is-batch", items.length > 1);
    var status = el("div", "v-status " + (d.closed ? "closed" : "live"));
    add(status, el("span", "v-status-dot"), el("span", "", d.closed ? T.voting_closed : T.voting_now));
    var head = el("div", "v-head");
    add(head, status);

    var what = el("div", "v-what");
    if (items.length === 1) {
      var item = items[0];
      var kind = kindLabel(item.kind);
      add(
        what,
        kind ? el("div", "kind-tag kind-" + item.kind, kind) : null,
        el("h2", "v-subject", item.subject),
        item.person ? el("div", "v-person", item.person) : null
      );
    } else {
      var label = commonBatch(items);
      add(
        what,
        el("h2", "v-subject", label || fmt(T.batch_together, { n: items.length })),
        el("div", "v-person", fmt(T.batch_count, { n: items.length }))
      );
      if (items.length <= MAX_LIST) {
        var list = el("ol", "v-list cols-" + listColumns(items.length));
        items.forEach(function (i) {
          add(list, el("li", "", i.subject));
        });
        add(what, list);
      }
    }

    var numbers = el("div", "v-turnout");
    add(
      numbers,
      figure(T.voted, "0", "turnout-voted", "fig-voted"),
      el("span", "fig-sep", "/"),
      figure(T.present, "0", "turnout-present", "fig-present"),
      el("span", "fig-sep", "/"),
      figure(T.expected, String(expected()), "turnout-expected", "fig-expected")
    );
    var clock = el("div", "v-countdown");
    clock.id = "countdown-box";
    var cd = el("div", "cd-num", "");
    cd.id = "countdown";
    add(clock, el("div", "fig-label", T.countdown), add(el("div", "cd-line"), cd, el("span", "cd-unit", T.seconds)));
    add(numbers, clock);

    var progress = el("div", "v-progress");
    var bar = el("div", "v-bar");
    bar.id = "turnout-bar";
    var percent = el("div", "v-pct", "");
    percent.id = "turnout-pct";
    add(progress, add(el("div", "v-track"), bar), percent);

    var hint = items.length > 1 ? el("div", "v-hint", fmt(T.batch_voted_hint, { n: items.length })) : null;
    var live = el("div", "v-live");
    live.id = "live-tally";
    add(view, head, what, numbers, progress, hint, live);
    fitLines(view.querySelectorAll(".v-subject"), 0.7);
  }

  function commonBatch(items) {
    var label = items[0].batch;
    for (var i = 1; i < items.length; i++) if (items[i].batch !== label) return "";
    return label || "";
  }

  function listColumns(n) {
    if (n <= 4) return 1;
    if (n <= 10) return 2;
    if (n <= 18) return 3;
    return 4;
  }

  function updateVoting(d) {
    var items = d.items;
    var voted = null;
    var voteMap = (S.turnout && S.turnout.voted) || {};
    items.forEach(function (i) {
      var n = voteMap[String(i.id)] || 0;
      voted = voted === null ? n : Math.min(voted, n);
    });
    voted = voted || 0;
    var here = present();
    setText("turnout-voted", voted);
    setText("turnout-present", S.turnout ? here : "—");
    setText("turnout-expected", expected());
    var share = here ? Math.min(100, (100 * voted) / here) : 0;
    var bar = document.getElementById("turnout-bar");
    if (bar) bar.style.width = share.toFixed(1) + "%";
    setText("turnout-pct", here ? Math.round(share) + "%" : "");

    var left = null;
    if (!d.closed) {
      items.forEach(function (i) {
        var end = S.deadlines[i.id];
        if (end) {
          var s = Math.max(0, Math.ceil((end - Date.now()) / 1000));
          left = left === null ? s : Math.min(left, s);
        }
      });
    }
    var box = document.getElementById("countdown-box");
    if (box) {
      box.hidden = left === null;
      box.classList.toggle("urgent", left !== null && left <= 10);
      setText("countdown", left === null ? "" : left);
    }
    drawLive(items);
  }

  function setText(id, value) {
    var node = document.getElementById(id);
    var text = String(value);
    if (node && node.textContent !== text) node.textContent = text;
  }

  /* Live tallies: only where the meeting says so (the server sends them only then). */
  function drawLive(items) {
    var box = document.getElementById("live-tally");
    if (!box) return;
    var tallies = (S.turnout && S.turnout.tallies) || null;
    if (!tallies || items.length !== 1) {
      if (box.firstChild) clear(box);
      return;
    }
    var entry = null;
    tallies.forEach(function (t) {
      if (t.id === items[0].id) entry = t;
    });
    var result = firstResult(entry);
    clear(box);
    if (!result) return;
    add(box, el("div", "fig-label", T.live_tally));
    var row = el("div", "live-row");
    result.options.forEach(function (o) {
      add(row, add(el("span", "live-opt " + levelClass(o.key)), el("b", "", o.label), el("span", "", " " + o.count)));
    });
    add(box, row);
  }

  // ---- results --------------------------------------------------------------------------

  function optionsOf(result) {
    return (result && result.options) || [];
  }

  function verdictNode(result, cls) {
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
  function ruleLine() {
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

  function drawResult(ids) {
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

  /* Keep each heading on one line, down to `least` of its size; a longer one wraps. */
  function fitLines(nodes, least) {
    for (var i = 0; i < nodes.length; i++) {
      var node = nodes[i];
      node.style.fontSize = "";
      node.style.whiteSpace = "nowrap";
      var full = parseFloat(window.getComputedStyle(node).fontSize);
      var size = full;
      while (node.scrollWidth > node.clientWidth && size > full * least) {
        size -= 2;
        node.style.fontSize = size + "px";
      }
      if (node.scrollWidth > node.clientWidth) {
        node.style.fontSize = "";
        node.style.whiteSpace = "normal";
      }
    }
  }

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
  }

  function drawBatch(ids) {
    var view = clear(document.getElementById("view-batch-result"));
    var entries = ids.map(function (id) {
      return S.byId[id];
    });
    var label = commonBatch(entries);
    drawTableView(view, fmt(T.batch_result_title, { label: label ? label + " " : "" }), entries, null);
  }

  function drawSummary() {
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

  // ---- 上一轮整改情况 (previous round) ---------------------------------------------------

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

  function drawPrevious() {
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

  function onView(v) {
    S.overlay = v && v.view !== "live" ? localise(v) : null;
    S.overlayVersion = (S.overlayVersion || 0) + 1;
    render();
  }

  /* Lay the ranked rows out in one or two columns so that they fit the stage; page if even
     two columns at the smallest readable row height cannot hold them. */
  function fitTables() {
    var view = document.getElementById("view-" + S.current.view);
    var body = document.getElementById(view.id + "-tables");
    if (!body) return;
    var rows = view._rows || [];
    var columns = view._columns || [];
    var avail = body.clientHeight;
    var thead = 56;
    var minRow = 44;
    var cols = rows.length > 12 ? 2 : 1;
    var perCol = Math.ceil(rows.length / cols) || 1;
    var capacity = Math.max(1, Math.floor((avail - thead) / minRow));
    var pages = 1;
    if (perCol > capacity) {
      perCol = capacity;
      pages = Math.ceil(rows.length / (perCol * cols));
    }
    var rowH = Math.min(view._rowMax || 84, Math.floor((avail - thead) / perCol));
    body.style.setProperty("--row-h", rowH + "px");
    body.style.setProperty("--row-font", Math.max(26, Math.min(cols > 1 ? 34 : view._fontMax || 40, Math.round(rowH * 0.6))) + "px");
    view._pages = [];
    for (var p = 0; p < pages; p++) {
      var page = el("div", "t-page cols-" + cols);
      for (var c = 0; c < cols; c++) {
        var start = (p * cols + c) * perCol;
        var slice = rows.slice(start, start + perCol);
        if (slice.length) add(page, (view._build || tableOf)(slice, columns));
      }
      page.hidden = p > 0;
      add(body, page);
      view._pages.push(page);
    }
    view._page = 0;
    var pageNo = view.querySelector(".t-pageno");
    if (pageNo) pageNo.textContent = pages > 1 ? fmt(T.page, { n: 1, total: pages }) : "";
    // the header row may wrap (long option labels): take any overflow out of the rows
    var first = body.querySelector(".rank-table");
    if (first && first.offsetHeight > avail) {
      rowH = Math.max(minRow - 6, rowH - Math.ceil((first.offsetHeight - avail) / perCol));
      body.style.setProperty("--row-h", rowH + "px");
      body.style.setProperty("--row-font", Math.max(24, Math.min(40, Math.round(rowH * 0.6))) + "px");
    }
    shrinkToFit(body);
    if (document.fonts && document.fonts.ready) {
      document.fonts.ready.then(function () {
        shrinkToFit(body);
      });
    }
  }

  /* Long names: one font size for every name of a table, the largest at which they all fit
     (CJK glyphs are 1em wide, so the estimate is close; then measured, also again once the
     fonts are surely in). Below READABLE a very long name shrinks alone instead. */
  var READABLE = 26;
  function shrinkToFit(root) {
    var spans = Array.prototype.slice.call(root.querySelectorAll(".subj-text"));
    var fits = [];
    var uniform = Infinity;
    spans.forEach(function (span) {
      var cell = span.parentNode;
      span.style.fontSize = "";
      var room = cell.clientWidth - 24;
      if (room <= 0) return fits.push(null); // on a hidden page: fitted when it is shown
      var size = parseFloat(window.getComputedStyle(span).fontSize);
      var ems = 0;
      var text = span.textContent;
      for (var j = 0; j < text.length; j++) ems += text.charCodeAt(j) < 0x2e80 ? 0.56 : 1;
      if (ems * size > room) size = Math.max(18, Math.floor(room / ems));
      span.style.fontSize = size + "px";
      while (span.offsetWidth > room && size > 18) {
        size -= 1;
        span.style.fontSize = size + "px";
      }
      fits.push(size);
      if (size >= READABLE) uniform = Math.min(uniform, size);
    });
    spans.forEach(function (span, i) {
      if (fits[i] !== null) span.style.fontSize = Math.min(fits[i], uniform) + "px";
    });
  }

  function turnPages() {
    if (!S.current) return;
    var view = document.getElementById("view-" + S.current.view);
    if (!view || !view._pages || view._pages.length < 2) return;
    view._pages[view._page].hidden = true;
    view._page = (view._page + 1) % view._pages.length;
    view._pages[view._page].hidden = false;
    shrinkToFit(view._pages[view._page]);
    var pageNo = view.querySelector(".t-pageno");
    if (pageNo) pageNo.textContent = fmt(T.page, { n: view._page + 1, total: view._pages.length });
  }

  // ---- the connection -------------------------------------------------------------------

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

  function connect() {
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

  // ---- the stage ------------------------------------------------------------------------

  function fit() {
    var s = Math.min(window.innerWidth / W, window.innerHeight / H);
    stage.style.transform = "scale(" + s + ")";
    stage.style.left = Math.max(0, (window.innerWidth - W * s) / 2) + "px";
    stage.style.top = Math.max(0, (window.innerHeight - H * s) / 2) + "px";
  }

  function tick() {
    var now = new Date();
    var hh = String(now.getHours());
    var mm = String(now.getMinutes());
    setText("clock", (hh.length < 2 ? "0" + hh : hh) + ":" + (mm.length < 2 ? "0" + mm : mm));
    if (S.meeting) render(); // countdowns, and the hand-over from a result to the summary
  }

  var idleTimer = 0;
  function wakeCursor() {
    document.body.classList.remove("no-cursor");
    window.clearTimeout(idleTimer);
    idleTimer = window.setTimeout(function () {
      document.body.classList.add("no-cursor");
    }, 3000);
  }

  function toggleFullscreen() {
    var doc = document;
    var root = doc.documentElement;
    if (doc.fullscreenElement || doc.webkitFullscreenElement) {
      if (doc.exitFullscreen) doc.exitFullscreen();
      else if (doc.webkitExitFullscreen) doc.webkitExitFullscreen();
    } else if (root.requestFullscreen) {
      root.requestFullscreen();
    } else if (root.webkitRequestFullscreen) {
      root.webkitRequestFullscreen();
    }
  }

  document.body.dataset.view = "connecting";
  document.getElementById("sp-sound").addEventListener("click", allowSound);
  fit();
  window.addEventListener("resize", fit);
  document.addEventListener("mousemove", wakeCursor);
  document.addEventListener("dblclick", toggleFullscreen);
  wakeCursor();
  tick();
  window.setInterval(tick, 250);
  window.setInterval(turnPages, 12000);
  connect();
})();
