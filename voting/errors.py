"""One error type for everything a caller can get wrong, and the status each kind answers with.

`CepingError` carries a machine-readable `code`, a readable message, the HTTP `status` it maps
to and, where one item is to blame, that `item`. The message is kept as a Chinese msgid
(`template`, with named `%(name)s` placeholders) and its `params`; `message` is the Chinese text,
and the web layer translates the template into the request's language before filling it in
(`voting.web_errors.say`). `make translations` finds the templates by the constructors' names
(Makefile keywords) and by the no-op marker `N_`. The web layer turns it into JSON once
(`{"error": code, "message": text, "item"?: id}` with the status) and the Socket.IO layer into an
ack once (`{"ok": false, "error": code, "message": text}`): both in `voting.web_errors`, from
`answer()`. Pure modules (`rules`, `meeting`, `settings`) raise it as well as the store: this
module imports nothing of the project.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, ClassVar


def N_(template: str) -> str:
    """Mark a message template for extraction; it is translated where it is shown."""
    return template


def fill(template: str, params: Mapping[str, Any]) -> str:
    """The template with its `%(name)s` placeholders filled in (`%%` for a percent sign)."""
    return template % dict(params)


class CepingError(Exception):
    """A request that cannot be carried out; nothing was changed."""

    status = 400
    default_code = "error"
    #: Whether the answer names the item to blame (`"item": null` when none is).
    names_item: ClassVar[bool] = False

    def __init__(
        self, template: str, code: str | None = None, item: int | None = None, **params: Any
    ) -> None:
        self.template = template
        self.code = code or self.default_code
        self.item = item
        self.params: dict[str, Any] = {"item": item, **params}
        super().__init__(self.message)

    @property
    def message(self) -> str:
        """The message in Chinese (the msgid filled in)."""
        return fill(self.template, self.params)

    def answer(self) -> dict[str, Any]:
        """What the caller is told: `{"error": code, "message": text}` (and `"item"`)."""
        told: dict[str, Any] = {"error": self.code, "message": self.message}
        if self.names_item:
            told["item"] = self.item
        return told

    def headers(self) -> dict[str, str]:
        """HTTP headers that go with the answer."""
        return {}

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.code!r}, {self.template!r}, item={self.item!r})"


class BadInput(CepingError, ValueError):
    """Input that cannot be used; `message` says which field and why (400)."""

    default_code = "bad_input"

    def __init__(self, template: str, code: str = "bad_input", **params: Any) -> None:
        super().__init__(template, code, **params)


class NotFound(CepingError, LookupError):
    """No such meeting, item or card (404)."""

    status = 404
    default_code = "not_found"

    def __init__(self, template: str, **params: Any) -> None:
        super().__init__(template, **params)


class Refused(CepingError, ValueError):
    """Well-formed but not allowed now (409): a state, a lock, a closed item."""

    status = 409
    names_item = True

    def __init__(self, code: str, template: str, item: int | None = None, **params: Any) -> None:
        super().__init__(template, code, item, **params)


class Unconfirmed(Refused):
    """A step that discards records, asked without `confirm` (409): the answer says what
    would be discarded (`"discard": {what: count}`)."""

    def __init__(self, code: str, template: str, discard: dict[str, int]) -> None:
        super().__init__(code, template, **discard)
        self.discard = discard

    def answer(self) -> dict[str, Any]:
        return {**super().answer(), "discard": self.discard}


class CardsExist(Refused):
    """Cards would be issued to a meeting that has some already, without `confirm` (409): the
    answer says how many there are and how many there would be."""

    def __init__(self, existing: int, after: int) -> None:
        super().__init__(
            "cards_exist",
            N_(
                "本次会议已有 %(existing)s 张测评卡，再发放后将有 %(after)s 张；"
                "确认发放请附 confirm: true。"
            ),
            existing=existing,
            after=after,
        )
        self.existing = existing
        self.after = after

    def answer(self) -> dict[str, Any]:
        return {**super().answer(), "existing": self.existing, "after": self.after}


class MoveRefused(Refused):
    """A move of the state machine that is not allowed (409)."""


class RuleError(CepingError, ValueError):
    """Bad settings for the counting rules (unknown scale, bad rule, bad counts) (400)."""

    default_code = "bad_rule"


class Unauthorized(CepingError):
    """A call that needs the admin token or a console login, made without either (401)."""

    status = 401
    default_code = "unauthorized"

    def __init__(self, template: str) -> None:
        super().__init__(template)

    def headers(self) -> dict[str, str]:
        return {"WWW-Authenticate": "Bearer"}


class TooManyAttempts(CepingError):
    """A secret (the admin token, a screen key) was guessed wrong too often: this attempt was not
    checked; try again after `retry_after` seconds (429, with `Retry-After`)."""

    status = 429
    default_code = "too_many_attempts"

    def __init__(self, retry_after: float) -> None:
        self.retry_after = max(1, math.ceil(retry_after))
        super().__init__(N_("失败次数过多，请 %(seconds)s 秒后再试。"), seconds=self.retry_after)

    def answer(self) -> dict[str, Any]:
        return {**super().answer(), "retry_after": self.retry_after}

    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after)}
