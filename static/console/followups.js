/* 结果's comments (意见建议) and follow-up (整改): status, due date and notes of every item that
 * fell short, and the months allowed; a follow-up marked 再次测评 brought to a later meeting as
 * an item of kind 整改情况 (下一轮); and the projector's 上一轮整改情况, put up from 进行. */
import { $, clear, el, fill, texts } from "../lib/dom.js";
import { api, fail, show } from "../lib/api.js";
import { BASE, MID, S, item, items, verdictLabel } from "./meeting.js";

const T = texts();

export function loadPublish() {
  return Promise.all([api("GET", BASE + "/comments"), api("GET", BASE + "/followups"),
    api("GET", BASE + "/next-round")]).then(
    (got) => {
      renderComments(got[0].comments);
      renderFollowups(got[1].followups, got[2].brought);
    }, fail);
}

function renderComments(every) {
  const box = $("comments");
  clear(box);
  const shown = items().filter((i) => (every[i.id] || []).length);
  if (!shown.length) box.appendChild(el("p", { class: "empty", text: T.comments_none }));
  shown.forEach((i) => {
    const list = every[i.id];
    box.appendChild(el("section", { class: "comment-item", "data-comments": i.id }, [
      el("h3", {}, [i.subject, " ", el("small", { class: "muted", text: fill(T.comments_n, { n: list.length }) })]),
      el("ol", { class: "comment-list" }, list.map((text) => el("li", { text: text })))
    ]));
  });
}

function verdictOf(id) {
  const found = ((S.results && S.results.items) || []).filter((x) => x.id === id)[0];
  return found ? found.aspects[0].result : null;
}

function followupRow(id, f, scale, brought) {
  const i = item(id);
  const named = (what) => ({ "aria-labelledby": "fu-" + id + " fu-h-" + what }); // the item, the column
  const status = el("select", { class: "fu-status", ...named("status") }, Object.keys(T.followup_status).map((k) =>
    el("option", { value: k, text: T.followup_status[k], selected: k === f.status })));
  const due = el("input", { type: "date", class: "fu-due", value: f.due || "", ...named("due") });
  const notes = el("input", { type: "text", class: "fu-notes", maxlength: "2000", value: f.notes || "",
    ...named("notes") });
  const save = el("button", { type: "button", class: "btn small", text: T.save, onclick: () => {
    api("PUT", BASE + "/followups/" + id, { status: status.value, due: due.value || null, notes: notes.value })
      .then(() => {
        show(fill(T.followup_saved, { name: i.subject }));
        loadPublish();
      }, fail);
  } });
  return el("tr", { "data-followup": id, class: f.overdue ? "overdue" : "" }, [
    el("td", {}, [el("strong", { id: "fu-" + id, text: i.subject }), f.carried_from ? el("small",
      { class: "muted carried", text: fill(T.carried, { id: f.carried_from }) }) : null]),
    el("td", {}, [verdictLabel(scale, verdictOf(id))]),
    el("td", {}, [status]),
    el("td", {}, [due, f.overdue ? el("span", { class: "overdue-mark", text: T.overdue }) : null]),
    el("td", {}, [notes]),
    el("td", { class: "fu-actions" }, [save, brought ? el("small", { class: "muted brought",
      text: fill(T.next_round_in, { meeting: brought.map((b) => b.title).join("、") }) })
      : nextRoundButton(id, f)])
  ]);
}

/* The day of an ISO time on this computer's calendar (the hall's), as YYYY-MM-DD. */
function localDay(iso) {
  const d = new Date(iso);
  if (isNaN(d)) return String(iso).slice(0, 10);
  const two = (n) => (n < 10 ? "0" : "") + n;
  return d.getFullYear() + "-" + two(d.getMonth() + 1) + "-" + two(d.getDate());
}

/* 列入下一轮: pick a later real meeting, then add the department there as 整改情况. */
function nextRoundButton(id, f) {
  if (f.status !== "re_evaluate" || f.carried_from || S.meeting.rehearsal) return null;
  const box = el("span", { class: "next-round" });
  const start = el("button", { type: "button", class: "btn small", text: T.next_round, onclick: () => {
    api("GET", "/api/meetings").then((got) => {
      const later = got.meetings.filter((m) => !m.rehearsal && m.id !== MID &&
        m.created_at > S.meeting.created_at);
      clear(box);
      if (!later.length) {
        box.appendChild(el("span", { class: "muted small", text: T.next_round_none }));
        return;
      }
      const pick = el("select", { class: "next-meeting", "aria-label": T.next_round_pick },
        later.map((m) => el("option", { value: m.id, text: localDay(m.created_at) + " " + m.title })));
      box.append(pick, el("button", { type: "button", class: "btn small primary next-add", text: T.next_round_add,
        onclick: () => addToMeeting(id, Number(pick.value), pick.selectedOptions[0].textContent) }));
    }, fail);
  } });
  box.appendChild(start);
  return box;
}

function addToMeeting(id, target, name) {
  api("POST", "/api/meetings/" + target + "/items/from-followup", { followup: id }).then((added) => {
    show(fill(T.next_round_done, { name: added.subject, meeting: name }));
    loadPublish();
  }, fail);
}

/* The projector's 上一轮整改情况 (a button on 进行): put it up, or take it down. */
let screenView = "live";

export function showScreenView(view) {
  screenView = view || "live";
  const button = $("screen-previous");
  if (!button) return;
  const up = screenView === "previous_round";
  button.querySelector(".btn-label").textContent = up ? T.screen_back : T.screen_previous;
  button.classList.toggle("primary", up);
  button.setAttribute("aria-pressed", up ? "true" : "false");
}

function toggleScreen() {
  const view = screenView === "previous_round" ? "live" : "previous_round";
  api("POST", BASE + "/screen-view", { view: view }).then((r) => {
    showScreenView(r.view);
    show(r.view === "live" ? T.screen_back_done : T.screen_previous_done);
  }, fail);
}

let followupsShown = "";

function renderFollowups(every, brought) {
  const body = $("followups-body");
  const scale = S.results ? S.results.scale : { levels: [], options: [] };
  const months = $("followup-months");
  if (document.activeElement !== months) months.value = S.meeting.followup_months || 3;
  const sig = JSON.stringify([every, brought, scale.key, items().map((i) => i.subject)]);
  if (sig === followupsShown) return; /* unchanged: keep what the secretary is typing */
  followupsShown = sig;
  clear(body);
  const ids = items().map((i) => i.id).filter((id) => every[id]);
  $("followups-table").hidden = !ids.length;
  const best = (scale.options || []).filter((o) => o.key === (scale.levels || [])[0])[0];
  $("followups-empty").hidden = !!ids.length;
  $("followups-empty").textContent = fill(T.followups_none, { best: best ? best.label : "" });
  ids.forEach((id) => body.appendChild(followupRow(id, every[id], scale, (brought || {})[id])));
}

function saveMonths(ev) {
  ev.preventDefault();
  const n = Number($("followup-months").value);
  api("PATCH", BASE, { followup_months: n }).then((m) => {
    S.meeting.followup_months = m.followup_months;
    show(fill(T.months_saved, { n: m.followup_months }));
  }, fail);
}

export function setupFollowups() {
  $("months-form").addEventListener("submit", saveMonths);
  $("screen-previous").addEventListener("click", toggleScreen);
}
