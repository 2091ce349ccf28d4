/* DOM helpers for the console's pages (the meetings list and one meeting's console).
 *
 * Plain ES module, no framework. Every piece of data goes into the page as text (textContent),
 * never as HTML.
 */

export function $(id) {
  return document.getElementById(id);
}

/* The elements that match `selector` (in `root`, the document by default), as an array. */
export function all(selector, root) {
  return Array.prototype.slice.call((root || document).querySelectorAll(selector));
}

export function has(obj, key) {
  return Object.prototype.hasOwnProperty.call(obj, key);
}

/* The page's translated strings: the JSON the template puts in <script id="i18n">. */
let strings = null;

export function texts() {
  if (strings === null) strings = JSON.parse($("i18n").textContent);
  return strings;
}

/* `template` with its %(name)s placeholders replaced; an unknown name stays as it is. */
export function fill(template, values) {
  return String(template).replace(/%\((\w+)\)s/g, (whole, key) =>
    has(values, key) ? String(values[key]) : whole);
}

/* A fragment of `template` with its placeholders replaced by the given nodes (or text). */
export function fillNodes(template, values) {
  const frag = document.createDocumentFragment();
  String(template).split(/%\((\w+)\)s/).forEach((part, n) => {
    if (n % 2 === 0) {
      if (part) frag.appendChild(document.createTextNode(part));
    } else if (has(values, part)) {
      const v = values[part];
      frag.appendChild(typeof v === "object" ? v : document.createTextNode(String(v)));
    }
  });
  return frag;
}

const PROPS = { checked: 1, disabled: 1, hidden: 1, value: 1, draggable: 1, selected: 1, colSpan: 1 };

function setProp(node, key, v) {
  if (v === null || v === undefined) return;
  if (key === "text") node.textContent = v;
  else if (key === "class") node.className = v;
  else if (key.slice(0, 2) === "on") node.addEventListener(key.slice(2), v);
  else if (has(PROPS, key)) node[key] = v;
  else node.setAttribute(key, v);
}

/* createElement with its properties and children: `props` holds `text` (the text content),
 * `class`, `on<event>` listeners, DOM properties (checked, disabled, …) and attributes; a child
 * is a node or text, and null, undefined and false are left out. */
export function el(tag, props, children) {
  const node = document.createElement(tag);
  Object.keys(props || {}).forEach((key) => setProp(node, key, props[key]));
  (children || []).forEach((child) => {
    if (child === null || child === undefined || child === false) return;
    node.appendChild(typeof child === "object" ? child : document.createTextNode(String(child)));
  });
  return node;
}

export function clear(node) {
  while (node.firstChild) node.removeChild(node.firstChild);
}

export function pad(n) {
  return n < 10 ? "0" + n : String(n);
}
