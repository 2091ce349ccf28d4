"""One error type for everything a caller can get wrong, and the status each kind answers with.

`CepingError` carries a machine-readable `code`, a readable `message`, the HTTP `status` it maps
to and, where one item is to blame, that `item`. The web layer turns it into JSON once
(`{"error": code, "message": text, "item"?: id}` with the status) and the Socket.IO layer into an
ack once (`{"ok": false, "error": code, "message": text}`). Pure modules (`rules`, `meeting`,
`settings`) raise it as well as the store: this module imports nothing of the project.
"""

from __future__ import annotations


class CepingError(Exception):
    """A request that cannot be carried out; nothing was changed."""

    status = 400
    default_code = "error"

    def __init__(self, message: str, code: str | None = None, item: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.code = code or self.default_code
        self.item = item

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

    def __init__(self, code: str, message: str, item: int | None = None) -> None:
        super().__init__(message, code, item)


class MoveRefused(Refused):
    """A move of the state machine that is not allowed (409)."""


class RuleError(CepingError, ValueError):
    """Bad settings for the counting rules (unknown scale, bad rule, bad counts) (400)."""

    default_code = "bad_rule"
