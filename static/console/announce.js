/* 宣读稿: the chair's announcement of the revealed items, as large text to read from, fetched
 * again whenever the results are (a reveal, a paper entry, a change of 实到). The same paragraphs
 * are the Word file the panel's link downloads. */
import { $, clear, el, fill, texts } from "../lib/dom.js";
import { api, fail, oneAtATime } from "../lib/api.js";
import { BASE } from "./meeting.js";

const T = texts();
const PART = /^[一二三四五六七八九十]+、/;
const ITEM = /^(\d+\. )([^：]+)：([^]*)$/; /* 1. 市发改委：满意 51 票，… */

function paragraph(text) {
  if (PART.test(text)) return el("p", { class: "part", text: text });
  const item = ITEM.exec(text);
  if (!item) return el("p", { text: text });
  return el("p", { class: "item" }, [item[1], el("strong", { text: item[2] }), "：" + item[3]]);
}

function render(data) {
  const box = $("announce-text");
  clear(box);
  data.paragraphs.forEach((text) => box.appendChild(paragraph(text)));
  const state = $("announce-state");
  if (!data.revealed) state.textContent = "";
  else if (data.remaining) state.textContent = fill(T.announce_some, data);
  else state.textContent = fill(T.announce_all, data);
}

export const loadAnnouncement = oneAtATime(() =>
  api("GET", BASE + "/announcement").then(render, fail));
