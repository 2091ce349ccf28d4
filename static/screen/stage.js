/* The stage: laid out at 1920×1080 and scaled to the window (letterboxed), the clock that ticks
   every view, the cursor hidden when still, fullscreen on a double click. */
import { S, setText, stage } from "./state.js";
import { render } from "./view.js";

var W = 1920;
var H = 1080;

export function fit() {
  var s = Math.min(window.innerWidth / W, window.innerHeight / H);
  stage.style.transform = "scale(" + s + ")";
  stage.style.left = Math.max(0, (window.innerWidth - W * s) / 2) + "px";
  stage.style.top = Math.max(0, (window.innerHeight - H * s) / 2) + "px";
}

export function tick() {
  var now = new Date();
  var hh = String(now.getHours());
  var mm = String(now.getMinutes());
  setText("clock", (hh.length < 2 ? "0" + hh : hh) + ":" + (mm.length < 2 ? "0" + mm : mm));
  if (S.meeting) render(); // countdowns, and the hand-over from a result to the summary
}

var idleTimer = 0;
export function wakeCursor() {
  document.body.classList.remove("no-cursor");
  window.clearTimeout(idleTimer);
  idleTimer = window.setTimeout(function () {
    document.body.classList.add("no-cursor");
  }, 3000);
}

export function toggleFullscreen() {
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
