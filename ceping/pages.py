"""What every page shares: the health check, the home redirect, the language switch and the
locale it sets, and the static files read whole."""

from __future__ import annotations

from flask import Blueprint, Response, redirect, request, url_for
from werkzeug.wrappers import Response as BaseResponse

bp = Blueprint("pages", __name__)

LANGUAGES = {"zh_CN": "中文", "en": "English"}  # the first is the default
LANG_COOKIE = "ceping_lang"


def locale() -> str:
    """zh-CN unless this browser chose another language."""
    chosen = request.cookies.get(LANG_COOKIE)
    return chosen if chosen in LANGUAGES else next(iter(LANGUAGES))


@bp.app_context_processor
def _language() -> dict[str, str]:
    chosen = locale()
    return {"locale": chosen, "html_lang": chosen.replace("_", "-")}


@bp.after_app_request
def _buffer_static(response: Response) -> Response:
    """Static files are read whole (they are small) so that Flask-Compress, which runs after
    this, gzips them once and keeps them instead of streaming them chunk by chunk."""
    if request.endpoint == "static" and response.status_code == 200 and response.is_streamed:
        response.direct_passthrough = False
        response.set_data(response.get_data())
    return response


@bp.get("/healthz")
def healthz() -> dict[str, bool]:
    return {"ok": True}


@bp.get("/")
def home() -> BaseResponse:
    return redirect(url_for("console.index"))


@bp.get("/lang/<code>")
def language(code: str) -> BaseResponse:
    """Switch the language of every page (a cookie), then go back to the page."""
    target = request.args.get("next") or "/"
    if not target.startswith("/") or target.startswith("//"):
        target = "/"
    response = redirect(target)
    if code in LANGUAGES:
        response.set_cookie(LANG_COOKIE, code, max_age=365 * 24 * 3600, samesite="Lax")
    return response
