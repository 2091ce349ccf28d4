/* The follow-up ledger's warnings (督一督) in a page's header: how many follow-ups are overdue
 * and how many fall due within 14 days, each a link to the ledger filtered to them.
 *
 * The page holds the box (#ledger-warnings) with its two links (#warn-overdue, #warn-due-soon)
 * and the strings `ledger_overdue` and `ledger_due_soon`; a link shows only when its count is
 * not 0. */
import { $, fill, texts } from "./dom.js";
import { api } from "./api.js";

function put(link, template, n) {
  link.hidden = !n;
  link.textContent = fill(template, { n: n });
  link.setAttribute("data-count", String(n));
}

/* Ask the server for the counts and show them; a failure leaves the box hidden. */
export function showWarnings() {
  const box = $("ledger-warnings");
  if (!box) return Promise.resolve(null);
  const T = texts();
  return api("GET", "/api/ledger/warnings").then((w) => {
    put($("warn-overdue"), T.ledger_overdue, w.overdue);
    put($("warn-due-soon"), T.ledger_due_soon, w.due_soon);
    box.hidden = !(w.overdue || w.due_soon);
    return w;
  }, () => null);
}
