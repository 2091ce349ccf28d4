"""Voter credentials: card tokens, device binding and the check-in decision.

A card (测评卡) is a random token behind a QR code. Cards are printed, shuffled and handed out,
so a card says nothing about who holds it. The first device that uses a card is bound to it
(by a random cookie the voter page sets); another device is refused until the secretary releases
the card. These functions are pure; `voting.storage` keeps the cards.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass

from voting.errors import N_

TOKEN_BYTES = 16  # 128 random bits
TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
DEVICE_RE = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
DEVICE_COOKIE = "ceping_device"
NO_DEVICE = "-"  # scripts that connect without a device id share this one


def new_token() -> str:
    """A fresh card token: 128 random bits, URL-safe base64 (22 characters)."""
    return secrets.token_urlsafe(TOKEN_BYTES)


def new_device_id() -> str:
    """A fresh device id for the voter page's cookie."""
    return secrets.token_urlsafe(TOKEN_BYTES)


def looks_like_token(value: object) -> bool:
    """Cheap shape check before any database look-up."""
    return isinstance(value, str) and bool(TOKEN_RE.match(value))


def device_key(device_id: object) -> str:
    """What is stored for a device: a hash of its id, never the id itself."""
    if not isinstance(device_id, str) or not DEVICE_RE.match(device_id):
        device_id = NO_DEVICE
    return hashlib.sha256(f"ceping-device:{device_id}".encode()).hexdigest()[:32]


@dataclass(frozen=True)
class Admission:
    """The outcome of a card's use: allowed (and whether it binds/checks in now) or refused."""

    ok: bool
    error: str | None = None
    message: str | None = None
    bind: bool = False  # store this device as the card's device
    check_in: bool = False  # first use: the card is now present

    @classmethod
    def refuse(cls, error: str, message: str) -> Admission:
        return cls(False, error, message)


def admit(*, revoked: bool, bound_device: str | None, checked_in: bool, device: str) -> Admission:
    """Decide whether `device` (a `device_key`) may use a card in its current state."""
    if revoked:
        return Admission.refuse("revoked", N_("此测评卡已收回，请联系工作人员。"))
    if bound_device is not None and bound_device != device:
        return Admission.refuse(
            "card_in_use",
            N_("此测评卡已在另一部手机上使用，请联系工作人员解除绑定。"),
        )
    return Admission(True, bind=bound_device is None, check_in=not checked_in)
