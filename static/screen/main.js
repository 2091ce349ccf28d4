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
   fits any screen without scrolling. Plain ES modules in ES2017, no framework, no build step; text
   goes in by textContent. This module starts the page; each job has its own module.
*/
import { allowSound } from "./speech.js";
import { turnPages } from "./fit.js";
import { connect } from "./connection.js";
import { fit, tick, toggleFullscreen, wakeCursor } from "./stage.js";

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
