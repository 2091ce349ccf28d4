/* The HTTP API as the console's pages call it, and how they tell the secretary what happened.
 *
 * Every call goes with the login session; every call that changes something carries the page's
 * CSRF token. A refusal becomes an Error with the API's code (`err.code`), its message and the
 * item it concerns; a message for the secretary is a toast at the foot of the page.
 */
import { $, fill, pad, texts } from "./dom.js";

const listeners = [];

/* Call `fn` with every response the API gives (the console reads the server's clock off it). */
export function onResponse(fn) {
  listeners.push(fn);
}

function csrf() {
  return document.querySelector('meta[name="csrf-token"]').getAttribute("content");
}

function refusal(response, data) {
  const err = new Error((data && data.message) || response.statusText);
  err.code = (data && data.error) || "http_" + response.status;
  err.serverMessage = data && data.message;
  err.status = response.status;
  err.item = data && data.item;
  err.discard = data && data.discard; /* what a step would discard, when it asks first */
  err.data = data; // the whole answer: some refusals say more (409 cards_exist: existing, after)
  return err;
}

function answer(response) {
  listeners.forEach((fn) => fn(response));
  return response.text().then((text) => {
    let data = null;
    try {
      data = text ? JSON.parse(text) : null;
    } catch (e) {
      data = null;
    }
    if (!response.ok) throw refusal(response, data);
    return data;
  });
}

/* `method` `path` with a JSON `body` (or a FormData `form`); resolves to the answer's JSON. */
export function api(method, path, body, form) {
  const opts = { method: method, credentials: "same-origin", headers: { Accept: "application/json" } };
  if (method !== "GET") opts.headers["X-CSRFToken"] = csrf();
  if (form) {
    opts.body = form;
  } else if (body !== undefined) {
    opts.headers["Content-Type"] = "application/json";
    opts.body = JSON.stringify(body);
  }
  return fetch(path, opts).then(answer, () => {
    throw codedError("network", "network");
  });
}

function codedError(code, message) {
  const err = new Error(message);
  err.code = code;
  return err;
}

/* An error found on the page itself (a bad number in a form): its message is shown as it is. */
export function localError(message) {
  return codedError("local", message);
}

// -- messages ----------------------------------------------------------------------------------

const toastOptions = { hideAfter: 8000, stamp: true };
let toastTimer = null;

/* How this page's toasts behave: `hideAfter` ms before one that is not an error goes, and whether
 * it is stamped with the time (data-time). A click dismisses a toast. */
export function setupToast(options) {
  Object.assign(toastOptions, options || {});
  const toast = $("toast");
  toast.addEventListener("click", () => toast.classList.remove("visible"));
}

/* Show `message` as a toast; `kind` is "ok" (the default), "info" or "error" (which stays). */
export function show(message, kind) {
  const toast = $("toast");
  toast.textContent = message;
  if (toastOptions.stamp) {
    const now = new Date();
    toast.setAttribute("data-time", pad(now.getHours()) + ":" + pad(now.getMinutes()) + ":" +
      pad(now.getSeconds()));
  }
  toast.className = "toast visible " + (kind || "ok");
  if (toastTimer) clearTimeout(toastTimer);
  if (kind !== "error") {
    toastTimer = setTimeout(() => toast.classList.remove("visible"), toastOptions.hideAfter);
  }
}

/* What to tell the secretary about `err`: the page's words for its code, else the generic one. */
export function errorText(err) {
  const T = texts();
  const message = err.serverMessage || err.message || "";
  if (err.code === "local") return message;
  const known = T.errors[err.code];
  if (known) return fill(known, { message: message });
  return fill(T.error_generic, { message: message || err.code });
}

export function fail(err) {
  show(errorText(err), "error");
}

/* A loader that runs `load` once at a time: a call while it runs asks for one more run after
 * it, and gets that run's promise, so what a caller waits for was loaded after its call (an
 * action's refresh never ends with a picture fetched before the action). Calls while that next
 * run waits share it. A failure is shown as a toast. */
export function oneAtATime(load) {
  let running = null;
  let next = null;
  function start() {
    running = load().then(
      () => {
        running = null;
      },
      (err) => {
        running = null;
        fail(err);
      }
    );
    return running;
  }
  function run() {
    if (!running) return start();
    if (!next) {
      next = running.then(() => {
        next = null;
        return start();
      });
    }
    return next;
  }
  return run;
}

/* Files uploaded one after another to `url` (multipart `file`, and `fields`), each checked here
 * against `limitMb` first, then drawn by the server; `words` gives the toasts (too_large,
 * uploading, uploaded), `after()` runs after each upload. */
export function uploadEach(files, url, limitMb, words, fields, after) {
  return files.reduce((done, file) => done.then(() => {
    if (file.size > limitMb * 1048576) {
      const size = (file.size / 1048576).toFixed(1);
      return fail(localError(fill(words.too_large, { name: file.name, size: size, limit: limitMb })));
    }
    const form = new FormData();
    form.append("file", file);
    Object.keys(fields).forEach((k) => form.append(k, fields[k]));
    show(fill(words.uploading, { name: file.name }));
    return api("POST", url, undefined, form).then((m) => {
      show(fill(words.uploaded, { name: m.name }));
      return after();
    }, fail);
  }), Promise.resolve());
}
