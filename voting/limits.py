"""Failed guesses of a secret, limited per target: the one admin account, each meeting's screen key.

Never per address: a whole hall shares one address behind the venue's NAT, so a limit per IP
would either lock every phone and the secretary out together or do nothing. A target allows a
few failures freely (a mistyped password); after that each further attempt waits for a delay
that doubles with every failure, up to a cap, and is refused unchecked until then. A success
clears the target. So an online attack on the console password gets about one guess a minute,
while the secretary who mistypes waits seconds.

A browser that has got a target right before (the console after a login, the projector after
loading its page) carries a signed cookie saying so (see `voting.auth`): its attempts count
against a counter of their own, so an attacker hammering the login cannot lock out the
secretary's laptop, nor the projector reconnecting after a network blip.

Card tokens and join keys are not limited here: see SECURITY.md for why.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Policy:
    free: int  # failures allowed before any delay
    base: float  # the first delay, in seconds; doubled with every further failure
    cap: float  # the longest delay

    def delay(self, failures: int) -> float:
        if failures < self.free:
            return 0.0
        return min(self.base * 2 ** (failures - self.free), self.cap)


ADMIN_POLICY = Policy(free=5, base=1.0, cap=60.0)
SCREEN_POLICY = Policy(free=10, base=1.0, cap=30.0)


class Throttle:
    """Counts failures per target; `wait(target)` says how long until the next attempt counts."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self._lock = threading.Lock()
        self._failed: dict[str, tuple[int, float]] = {}  # target: (failures, time of the last)

    def wait(self, target: str, policy: Policy) -> float:
        """Seconds to wait before an attempt on `target` is checked (0: check it now)."""
        with self._lock:
            failures, last = self._failed.get(target, (0, 0.0))
        return max(0.0, last + policy.delay(failures) - self.clock())

    def failed(self, target: str) -> None:
        with self._lock:
            failures, _ = self._failed.get(target, (0, 0.0))
            self._failed[target] = (failures + 1, self.clock())

    def succeeded(self, target: str) -> None:
        with self._lock:
            self._failed.pop(target, None)

    def failures(self, target: str) -> int:
        with self._lock:
            return self._failed.get(target, (0, 0.0))[0]
