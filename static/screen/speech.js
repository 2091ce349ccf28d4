/* The 述法 speech timer: the department, the person and the countdown, ticking here from the
   server's elapsed time; amber at a minute left, red at 0, then the overrun, with a chime at both
   once the operator has clicked 点击开启提示音 (browsers ask for a click). */
import { S, T, fmt, setText } from "./state.js";

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

export function updateSpeech(sp) {
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

export function allowSound() {
  var button = document.getElementById("sp-sound");
  chime = new Audio(button.getAttribute("data-src"));
  ring(1); // the click that allows it is heard at once
  button.disabled = true;
  button.textContent = T.sound_on;
}
