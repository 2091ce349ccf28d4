"""How a refusal is answered, once for HTTP and once for a Socket.IO ack.

Handlers raise a `CepingError` (voting.errors) and do not catch it to translate it:

- under /api it becomes JSON, `{"error": code, "message": text}` (plus `"item"` for a refusal
  that names one, `"retry_after"` while a secret waits) with the kind's status and headers;
- elsewhere a page: the not-found page (404), the wait page (429), else the plain error page of
  the status;
- an HTTP error of Flask or Werkzeug (no such route, wrong method, body too large, CSRF) under
  /api answers in the same JSON;
- a Socket.IO event's ack is `{"ok": false, "error": code, "message": text, ...}` (`ack`).

The message is translated here, once, into the request's language (Flask-Babel's locale: the
language cookie, which a Socket.IO connection's handshake carries too): `say` looks the Chinese
template up in the catalogue and fills in its parameters, an item named by its number on the
agenda (第 3 项, as the console counts), never by its id.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping
from typing import Any

from flask import Flask, Response, jsonify, render_template, request
from flask_babel import gettext
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError, default_exceptions

from voting.context import ceping
from voting.errors import N_, CepingError, NotFound, TooManyAttempts, fill

#: What an HTTP error of Flask or Werkzeug says under /api, by status.
_HTTP_MESSAGES: Mapping[int, str] = {
    400: N_("请求有误。"),
    401: N_("需要登录或管理令牌。"),
    403: N_("无权执行此操作。"),
    404: N_("请求的地址不存在。"),
    405: N_("此地址不支持该请求方法。"),
    408: N_("请求超时。"),
    413: N_("请求内容过大。"),
    415: N_("不支持该内容类型。"),
    429: N_("请求过于频繁，请稍后再试。"),
    500: N_("服务器内部错误。"),
    503: N_("服务暂不可用，请稍后再试。"),
}


def register(app: Flask) -> None:
    """Answer every `CepingError` of `app`, and HTTP errors under /api, as this module says."""
    app.register_error_handler(CepingError, _refused)
    app.register_error_handler(HTTPException, _http)


def say(template: str, params: Mapping[str, Any] | None = None) -> str:
    """The template in the request's language with `params` filled in."""
    return fill(gettext(template), params or {})


def told(exc: CepingError) -> dict[str, Any]:
    """The refusal's answer, its message in the request's language."""
    return {**exc.answer(), "message": say(exc.template, _numbered(exc.params))}


#: The parameters of a message that name an item by its id ("第 %(item)s 项").
_ITEMS = ("item", "other")


def _numbered(params: Mapping[str, Any]) -> Mapping[str, Any]:
    """The parameters with each item named by its number on the agenda, as the console and
    the secretary count (第 3 项), not by its id in the database, which after the first meeting
    is no number anyone sees; the answer's `item` field keeps the id."""
    ids = [v for k in _ITEMS if isinstance(v := params.get(k), int) and not isinstance(v, bool)]
    if not ids:
        return params
    try:
        numbers = ceping().store.agenda_numbers(ids)
    except (RuntimeError, KeyError, sqlite3.Error):  # no app, no store: the ids as they were
        return params
    return {k: numbers.get(v, v) if k in _ITEMS else v for k, v in params.items()}


def ack(exc: CepingError) -> dict[str, Any]:
    """A Socket.IO event's answer to a refusal."""
    return {"ok": False, **told(exc)}


def _json(status: int, told: dict[str, Any], headers: dict[str, str]) -> Response:
    response = jsonify(told)
    response.status_code = status
    response.headers.update(headers)
    return response


def _under_api() -> bool:
    return request.path.startswith("/api/")


def _refused(exc: CepingError) -> Any:
    if _under_api():
        return _json(exc.status, told(exc), exc.headers())
    if isinstance(exc, NotFound):
        return render_template("not_found.html"), 404
    if isinstance(exc, TooManyAttempts):
        return render_template("too_many.html", seconds=exc.retry_after), 429, exc.headers()
    message = say(exc.template, _numbered(exc.params))
    page = default_exceptions.get(exc.status, InternalServerError)(message)
    return page.get_response()


def _http(exc: HTTPException) -> Any:
    """Errors under /api answer in JSON, even where no route matched (404, 405, 413)."""
    if not _under_api():
        return exc
    code = (exc.name or "error").lower().replace(" ", "_")
    headers: dict[str, str] = {}
    if exc.code == 405:
        headers["Allow"] = ", ".join(getattr(exc, "valid_methods", None) or ())
    if isinstance(exc, CSRFError):
        template: str | None = N_("CSRF 令牌缺失或无效，请刷新页面。")
    else:
        template = _HTTP_MESSAGES.get(exc.code or 500)
    message = say(template) if template else exc.description or exc.name
    return _json(exc.code or 500, {"error": code, "message": message}, headers)
