/* Fitting text and tables to the 1920×1080 stage: headings kept on one line, ranked rows laid out
   in one or two columns (paged when they cannot fit), long names shrunk, pages turned. */
import { S, T, add, el, fmt } from "./state.js";

/* Keep each heading on one line, down to `least` of its size; a longer one wraps. */
export function fitLines(nodes, least) {
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

/* Lay the ranked rows out in one or two columns so that they fit the stage; page if even
   two columns at the smallest readable row height cannot hold them. */
export function fitTables() {
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
      if (slice.length) add(page, view._build(slice, columns));
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

export function turnPages() {
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
