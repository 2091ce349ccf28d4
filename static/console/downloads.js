/* The PDFs (report, letters, card sheet) and the Word papers (宣读稿, 通报, letters) as downloads
 * that say when they are being made.
 *
 * A link marked `data-pdf` is fetched here rather than followed: while the server makes the
 * document (a copy is usually ready; when it is not, the request waits for it) the link reads
 * 生成中… and a second click does nothing, then the file is saved under the name the server gives.
 * A refusal (no font, the document could not be made) is a toast, as for any other call.
 */
import { all, texts } from "../lib/dom.js";
import { fail } from "../lib/api.js";

const T = texts();

/* The file name of a Content-Disposition header (RFC 5987 `filename*` first). */
function savedName(header, fallback) {
  const star = /filename\*=UTF-8''([^;]+)/i.exec(header || "");
  if (star) return decodeURIComponent(star[1]);
  const plain = /filename="?([^";]+)"?/i.exec(header || "");
  return plain ? plain[1] : fallback;
}

function refusal(response) {
  return response.json().catch(() => null).then((data) => {
    const err = new Error((data && data.message) || response.statusText);
    err.code = (data && data.error) || "http_" + response.status;
    err.serverMessage = data && data.message;
    throw err;
  });
}

function save(blob, name) {
  const url = URL.createObjectURL(blob);
  const a = document.createElement("a");
  a.href = url;
  a.download = name;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60000);
}

function download(link) {
  if (link.getAttribute("aria-busy") === "true") return; // one at a time: a second click waits
  const label = link.textContent;
  link.setAttribute("aria-busy", "true");
  link.textContent = T.pdf_building;
  fetch(link.href, { credentials: "same-origin" })
    .then((response) => {
      if (!response.ok) return refusal(response);
      const fallback = link.pathname.split("/").pop() || "document.pdf"; /* report.pdf, … */
      const name = savedName(response.headers.get("Content-Disposition"), fallback);
      return response.blob().then((blob) => save(blob, name));
    })
    .catch((err) => fail(err.code ? err : Object.assign(err, { code: "network" })))
    .finally(() => {
      link.textContent = label;
      link.removeAttribute("aria-busy");
    });
}

export function setupDownloads() {
  all("a[data-pdf]").forEach((link) => {
    link.addEventListener("click", (event) => {
      event.preventDefault();
      download(link);
    });
  });
}
