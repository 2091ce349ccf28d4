"""How a refusal is answered, once for HTTP and once for a Socket.IO ack.

Handlers raise a `CepingError` (voting.errors) and do not catch it to translate it:

- under /api it becomes JSON, `{"error": code, "message": text}` (plus `"item"` for a refusal
  that names one, `"retry_after"` while a secret waits) with the kind's status and headers;
- elsewhere a page: the not-found page (404), the wait page (429), else the plain error page of
  the status;
- an HTTP error of Flask or Werkzeug (no such route, wrong method, body too large, CSRF) under
  /api answers in the same JSON;
- a Socket.IO event's ack is `{"ok": false, "error": code, "message": text, ...}` (`ack`).
"""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, jsonify, render_template, request
from werkzeug.exceptions import HTTPException, InternalServerError, default_exceptions

from voting.errors import CepingError, NotFound, TooManyAttempts


def register(app: Flask) -> None:
    """Answer every `CepingError` of `app`, and HTTP errors under /api, as this module says."""
    app.register_error_handler(CepingError, _refused)
    app.register_error_handler(HTTPException, _http)


def ack(exc: CepingError) -> dict[str, Any]:
    """A Socket.IO event's answer to a refusal."""
    return {"ok": False, **exc.answer()}


def _json(status: int, told: dict[str, Any], headers: dict[str, str]) -> Response:
    response = jsonify(told)
    response.status_code = status
    response.headers.update(headers)
    return response


def _under_api() -> bool:
    return request.path.startswith("/api/")


def _refused(exc: CepingError) -> Any:
    if _under_api():
        return _json(exc.status, exc.answer(), exc.headers())
    if isinstance(exc, NotFound):
        return render_template("not_found.html"), 404
    if isinstance(exc, TooManyAttempts):
        return render_template("too_many.html", seconds=exc.retry_after), 429, exc.headers()
    page = default_exceptions.get(exc.status, InternalServerError)(exc.message)
    return page.get_response()


def _http(exc: HTTPException) -> Any:
    """Errors under /api answer in JSON, even where no route matched (404, 405, 413)."""
    if not _under_api():
        return exc
    code = (exc.name or "error").lower().replace(" ", "_")
    headers: dict[str, str] = {}
    if exc.code == 405:
        headers["Allow"] = ", ".join(getattr(exc, "valid_methods", None) or ())
    told = {"error": code, "message": exc.description or exc.name}
    return _json(exc.code or 500, told, headers)
