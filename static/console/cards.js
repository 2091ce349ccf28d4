/* 准备's cards: issue them, see which are present and bound, release a lost phone's card (also
 * from 进行's quick form), withdraw a card. */
import { $, clear, el, fill, texts } from "../lib/dom.js";
import { api, oneAtATime, show } from "../lib/api.js";
import { BASE, S, exclusive } from "./meeting.js";

const T = texts();

export const loadCards = oneAtATime(() => api("GET", BASE + "/cards").then((data) => {
  S.cards = data.cards;
  renderCards();
}));

let cardsTimer = null;

/* Load the cards a moment after a change of turnout, while 准备 is shown. */
export function loadCardsSoon() {
  if (cardsTimer || S.tab !== "prepare") return;
  cardsTimer = setTimeout(() => {
    cardsTimer = null;
    loadCards();
  }, 1500);
}

function mark(on) {
  return el("span", { class: on ? "yes" : "no", text: on ? "✓" : "—" });
}

function cardRow(c) {
  return el("tr", { "data-card": c.number, class: c.revoked ? "revoked" : "" }, [
    el("td", { class: "card-no", text: "No. " + c.number }),
    el("td", { text: T.groups[c.grp] || c.grp }),
    el("td", { class: "muted", text: c.origin === "join" ? T.origin_join : T.origin_issued }),
    el("td", {}, [mark(c.present)]),
    el("td", {}, [mark(c.bound)]),
    el("td", {}, [el("span", { class: c.revoked ? "badge revoked-card" : "badge ok",
      text: c.revoked ? T.card_revoked : T.card_valid })]),
    el("td", { class: "nowrap" }, [
      el("button", { type: "button", class: "btn small release", text: T.release,
        disabled: !c.bound || !!c.revoked, onclick: () => release(c.number) }),
      " ",
      el("button", { type: "button", class: "btn small danger revoke", text: T.revoke,
        disabled: !!c.revoked, onclick: () => revoke(c.number) })
    ])
  ]);
}

function renderCards() {
  const body = $("cards-body");
  clear(body);
  const list = S.cards || [];
  const count = { total: list.length, present: 0, bound: 0, revoked: 0 };
  let deputies = false;
  list.forEach((c) => {
    if (c.present && !c.revoked) count.present += 1;
    if (c.bound && !c.revoked) count.bound += 1;
    if (c.revoked) count.revoked += 1;
    if (c.grp === "deputy") deputies = true;
  });
  $("cards-summary").textContent = list.length ? fill(T.cards_summary, count) : T.cards_none;
  $("print-deputy").hidden = !deputies;
  list.forEach((c) => body.appendChild(cardRow(c)));
}

/* Release card `number` after a confirmation; `after` runs once it is released. */
export function release(number, after) {
  if (!window.confirm(fill(T.confirm_release, { n: number }))) return;
  exclusive(() => api("POST", BASE + "/cards/" + number + "/release", {}).then(() => {
    show(fill(T.released, { n: number }));
    if (after) after();
    loadCards();
  }));
}

function revoke(number) {
  if (!window.confirm(fill(T.confirm_revoke, { n: number }))) return;
  exclusive(() => api("POST", BASE + "/cards/" + number + "/revoke", {}).then(() => {
    show(fill(T.revoked, { n: number }));
    loadCards();
  }));
}

function issued(data) {
  if (!data) return null; // the secretary said no
  const cards = data.cards;
  show(fill(T.cards_issued, { n: cards.length, first: cards[0].number,
    last: cards[cards.length - 1].number }));
  return loadCards();
}

/* Issue the cards; when the meeting has some already the API refuses (409 cards_exist, with how
 * many there are and would be) and the secretary is asked before they are issued after all. */
function send(body) {
  return api("POST", BASE + "/cards", body).catch((err) => {
    if (err.code !== "cards_exist" || body.confirm || !err.data) throw err;
    const counts = { existing: err.data.existing, n: body.count, after: err.data.after };
    if (!window.confirm(fill(T.confirm_more_cards, counts))) return null;
    return api("POST", BASE + "/cards", Object.assign({ confirm: true }, body));
  });
}

function issue(event) {
  event.preventDefault();
  const count = parseInt($("issue-count").value, 10);
  if (!(count > 0)) {
    $("issue-count").focus();
    return;
  }
  exclusive(() => send({ count: count, group: $("issue-group").value }).then(issued));
}

export function setupCards() {
  $("issue-form").addEventListener("submit", issue);
}
