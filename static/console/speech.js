/* 进行: the 述法 speech timer of the current oral item — 开始述法 (S), 暂停 / 继续 (P), 结束述法
 * (E) — and, once it has ended, 开始测评 for that item with one key (Enter, or O when nothing is
 * selected). The time ticks here from the server's (the meeting's `speech`, elapsed to the ms).
 *
 * The current oral item: the one whose speech runs or is paused; else the one oral item in draft
 * that is selected; else the item whose speech just ended while its vote has not begun; else the
 * first oral item in draft that has not spoken.
 */
import { $, fill, texts } from "../lib/dom.js";
import { api, show } from "../lib/api.js";
import { BASE, S, exclusive, item, items, refresh } from "./meeting.js";
import { openItems } from "./run.js";

const T = texts();
let seen = null; // the speech object last drawn, and when it arrived
let seenAt = 0;

function mmss(seconds) {
  const s = seconds % 60;
  return Math.floor(seconds / 60) + ":" + (s < 10 ? "0" : "") + s;
}

function speeches() {
  return S.meeting.speeches || [];
}

/* {item, speech}: what the speech box is about, or null when no oral item is left. */
export function current() {
  const sp = S.meeting.speech;
  if (sp && sp.status !== "ended" && item(sp.item)) return { item: item(sp.item), speech: sp };
  const spoke = (id) => speeches().filter((s) => s.item === id)[0] || null;
  const chosen = items().filter((i) => S.selected[i.id] && i.kind === "oral" && i.state === "draft");
  if (chosen.length === 1) return { item: chosen[0], speech: spoke(chosen[0].id) };
  if (sp && item(sp.item) && item(sp.item).state === "draft") return { item: item(sp.item), speech: sp };
  const next = items().filter((i) => i.kind === "oral" && i.state === "draft" && !spoke(i.id))[0];
  return next ? { item: next, speech: null } : null;
}

/* The time now of a speech: {left, spoken} in whole seconds. */
function timeOf(sp) {
  if (sp !== seen) {
    seen = sp;
    seenAt = Date.now();
  }
  const running = sp.status === "running";
  const spoken = Math.floor((sp.exact !== undefined ? sp.exact : sp.elapsed) +
    (running ? (Date.now() - seenAt) / 1000 : 0));
  return { left: sp.allotted - spoken, spoken: spoken };
}

export function renderSpeech() {
  const box = $("speech-box");
  const now = current();
  box.hidden = !now;
  if (!now) return;
  const sp = now.speech;
  const status = sp ? sp.status : "ready";
  const draft = now.item.state === "draft";
  box.setAttribute("data-status", status);
  $("speech-who").textContent = now.item.subject + (now.item.person ? " " + now.item.person : "");
  $("speech-state").textContent = T.speech_states[status];
  const clock = $("speech-clock");
  if (sp) {
    const t = timeOf(sp);
    clock.textContent = t.left > 0 ? mmss(t.left) : fill(T.speech_overrun, { t: mmss(-t.left) });
    clock.className = "speech-clock " + (t.left <= 0 ? "over" : t.left <= 60 ? "warning" : "");
    $("speech-spoken").textContent = fill(T.speech_spoken, { t: mmss(t.spoken), all: mmss(sp.allotted) });
  } else {
    const own = now.item.speech_seconds;
    const given = own || (S.meeting.speech_minutes || 8) * 60;
    clock.textContent = mmss(given);
    clock.className = "speech-clock";
    $("speech-spoken").textContent = "";
  }
  const busy = S.busy;
  $("speech-start").hidden = !!sp;
  $("speech-start").disabled = busy || !draft;
  $("speech-pause").hidden = !sp || status === "ended";
  $("speech-pause").querySelector(".btn-label").textContent = status === "paused" ? T.speech_resume : T.speech_pause;
  $("speech-pause").disabled = busy;
  $("speech-end").hidden = !sp || status === "ended";
  $("speech-end").disabled = busy;
  const offer = status === "ended" && draft;
  $("speech-open").hidden = !offer;
  $("speech-open").disabled = busy;
  $("speech-open").querySelector(".btn-label").textContent = fill(T.speech_open, { name: now.item.subject });
}

function step(action) {
  const now = current();
  if (!now) {
    show(T.speech_none, "info");
    return;
  }
  const url = BASE + "/items/" + now.item.id + "/speech";
  exclusive(() => {
    renderSpeech(); /* its buttons say at once that an action is under way */
    return api("POST", url, { action: action }).then((done) => {
      S.meeting.speech = done;
      show(fill(T.speech_done[action], { name: now.item.subject }));
      return refresh();
    });
  }).then(() => {
    renderSpeech();
    if (action === "end" && !$("speech-open").hidden) $("speech-open").focus();
  });
}

export function startSpeech() {
  const now = current();
  if (now && now.speech) show(T.speech_states[now.speech.status], "info");
  else step("start");
}

export function pauseSpeech() {
  const now = current();
  const status = now && now.speech && now.speech.status;
  if (status === "running" || status === "paused") step(status === "running" ? "pause" : "resume");
  else show(T.speech_not_running, "info");
}

export function endSpeech() {
  const now = current();
  const status = now && now.speech && now.speech.status;
  if (status === "running" || status === "paused") step("end");
  else show(T.speech_not_running, "info");
}

/* 开始测评 for the item whose speech ended; false when there is none to offer. */
export function openOffered() {
  const now = current();
  if (!now || !now.speech || now.speech.status !== "ended" || now.item.state !== "draft") return false;
  exclusive(() => openItems([now.item.id]));
  return true;
}

export function setupSpeech() {
  $("speech-start").addEventListener("click", startSpeech);
  $("speech-pause").addEventListener("click", pauseSpeech);
  $("speech-end").addEventListener("click", endSpeech);
  $("speech-open").addEventListener("click", openOffered);
  setInterval(renderSpeech, 250);
}
