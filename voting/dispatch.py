"""What the phones are told after a write: their `state`, or that their card was taken back.

`Phones` listens to the store's signals (`voting.signals`), which are sent on the writer's
after-commit path, so a phone is never told of a write that was not committed. No handler pushes
to phones by hand. (The projector and the console are told by `display.push`, from the same
signals.)
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from voting import rooms
from voting.context import Ceping
from voting.signals import cards_changed, items_moved, votes_recorded

#: Moves: the actions after which the phones' list of open items changes.
MOVES = frozenset({"open", "close", "reveal", "reopen", "reset"})

#: Moves after which each phone's own `voted` list is still right: a fresh open (a draft item
#: has no votes), a close and a reveal (the item just leaves the list); and a step of a 述法
#: speech (`speech`: what a waiting phone shows of it). One `state`, encoded
#: once, then goes to the whole meeting's room; after a reopen, a reset or an undo, each phone
#: gets its own.
SHARED_MOVES = frozenset({"open", "close", "reveal", "speech"})

#: Why items left a phone's list or came back to it, told with each phone's own `state`: a reset
#: (by the secretary, or the undo of an open) withdraws them (`withdrawn`: the phone says
#: 工作人员已撤销本项测评, not 已结束), a reopen (or the undo of a close) brings them back
#: (`reopened`).
WHY = {"reset": "withdrawn", "reopen": "reopened"}


class Phones:
    """Pushes to the phones of one app's store."""

    def __init__(self, app: Ceping):
        self.app = app
        votes_recorded.connect(self.voted, sender=app.store, weak=False)
        cards_changed.connect(self.card_changed, sender=app.store, weak=False)
        items_moved.connect(self.moved, sender=app.store, weak=False)

    def voted(self, sender: Any = None, *, card_id: int, origin: str | None, **_: Any) -> None:
        """A card's votes were recorded: its other tabs get their `state` (the sender, the ack)."""
        others = [sid for sid in self.app.voters.sids(card_id) if sid != origin]
        if others:
            state = self.app.store.voter_state(card_id)
            for sid in others:
                self.app.server.emit("state", state, to=sid, namespace=rooms.VOTER)

    def card_changed(self, sender: Any = None, *, card_id: int, action: str, **_: Any) -> None:
        """A card the secretary released or withdrew: the phones holding it are disconnected."""
        if action in ("release", "revoke"):
            disconnect_card(self.app, card_id)

    def moved(
        self,
        sender: Any = None,
        *,
        meeting_id: int,
        action: str,
        actor: str,
        items: Iterable[int] = (),
        **_: Any,
    ) -> None:
        """Items changed state: the meeting's phones get their new `state`."""
        if action == "speech":
            push_states(self.app, meeting_id, action)
        elif action in MOVES:
            why = (WHY[action], sorted(items)) if action in WHY else None
            push_states(self.app, meeting_id, None if actor == "undo" else action, why)


def push_states(
    app: Ceping,
    meeting_id: int,
    action: str | None = None,
    why: tuple[str, list[int]] | None = None,
) -> None:
    """Send the connected phones of a meeting their `state` after items changed; `why` (e.g.
    ``("withdrawn", [ids])``) goes with each phone's own state (see `WHY`)."""
    if action in SHARED_MOVES:
        state = app.store.open_state(meeting_id)
        app.server.emit("state", state, to=rooms.voters(meeting_id), namespace=rooms.VOTER)
        return
    connected = app.voters.cards(meeting_id)
    if not connected:
        return
    states = app.store.voter_states(meeting_id, connected)
    for card_id, state in states.items():
        if why is not None and why[0] == "withdrawn":
            state["withdrawn"] = why[1]
        elif why is not None:
            state["reopened"] = why[1]
        for sid in app.voters.sids(card_id):
            app.server.emit("state", state, to=sid, namespace=rooms.VOTER)


def disconnect_card(app: Ceping, card_id: int) -> None:
    """Disconnect the phones holding a card the secretary released or withdrew."""
    for sid in app.voters.sids(card_id):
        app.server.disconnect(sid, namespace=rooms.VOTER)
