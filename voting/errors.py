"""One error type for everything a caller can get wrong, and the status each kind answers with.

`CepingError` carries a machine-readable `code`, a readable `message`, the HTTP `status` it maps
to and, where one item is to blame, that `item`. The web layer turns it into JSON once
(`{"error": code, "message": text, "item"?: id}` with the status) and the Socket.IO layer into an
ack once (`{"ok": false, "error": code, "message": text}`): both in `voting.web_errors`, from
`answer()`. Pure modules (`rules`, `meeting`, `settings`) raise it as well as the store: this
module imports nothing of the project.
"""

from __future__ import annotations

import math
from typing import Any, ClassVar


class CepingError(Exception):
    """A request that cannot be carried out; nothing was changed."""

    status = 400
    default_code = "error"
    #: Whether the answer names the item to blame (`"item": null` when none is).
    names_item: ClassVar[bool] = False

    def __init__(self, message: str, code: str | None = None, item: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.code = code or self.default_code
        self.item = item

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
        return f"{type(self).__name__}({self.code!r}, {self.message!r}, item={self.item!r})"


class BadInput(CepingError, ValueError):
    """Input that cannot be used; `message` says which field and why (400)."""

    default_code = "bad_input"

    def __init__(self, message: str, code: str = "bad_input") -> None:
        super().__init__(message, code)


class NotFound(CepingError, LookupError):
    """No such meeting, item or card (404)."""

    status = 404
    default_code = "not_found"

    def __init__(self, message: str) -> None:
        super().__init__(message)


class Refused(CepingError, ValueError):
    """Well-formed but not allowed now (409): a state, a lock, a closed item."""

    status = 409
    names_item = True

    def __init__(self, code: str, message: str, item: int | None = None) -> None:
        super().__init__(message, code, item)


class Unconfirmed(Refused):
    """A step that discards records, asked without `confirm` (409): the answer says what
    would be discarded (`"discard": {what: count}`)."""

    def __init__(self, code: str, message: str, discard: dict[str, int]) -> None:
        super().__init__(code, message)
        self.discard = discard

    def answer(self) -> dict[str, Any]:
        return {**super().answer(), "discard": self.discard}


class CardsExist(Refused):
    """Cards would be issued to a meeting that has some already, without `confirm` (409): the
    answer says how many there are and how many there would be."""

    def __init__(self, existing: int, after: int) -> None:
        super().__init__(
            "cards_exist",
            f"This meeting has {existing} cards already; with these it would have {after}."
            " Send confirm: true to issue them.",
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

    def __init__(self, message: str) -> None:
        super().__init__(message)

    def headers(self) -> dict[str, str]:
        return {"WWW-Authenticate": "Bearer"}


class TooManyAttempts(CepingError):
    """A secret (the admin token, a screen key) was guessed wrong too often: this attempt was not
    checked; try again after `retry_after` seconds (429, with `Retry-After`)."""

    status = 429
    default_code = "too_many_attempts"

    def __init__(self, retry_after: float) -> None:
        self.retry_after = max(1, math.ceil(retry_after))
        super().__init__(f"Too many failed attempts: try again in {self.retry_after} s.")

    def answer(self) -> dict[str, Any]:
        return {**super().answer(), "retry_after": self.retry_after}

    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after)}
