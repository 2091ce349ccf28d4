"""What the input side tells the output side, without importing it.

The store sends these (blinker signals; the sender is the `Store`) once the write they tell of is
committed, never before and never for a write that was rolled back: they run on the writer's
after-commit path (`voting.writer`). `display` listens and pushes to the projector and the
console, `voting.dispatch` to the phones. Data flows one way.
"""

from blinker import Namespace

_signals = Namespace()

#: votes were committed in a meeting: `meeting_id`, `card_id` (whose ballots), `origin` (the
#: connection that sent them, which hears the ack and not a push; or None)
votes_recorded = _signals.signal("votes-recorded")
#: a card checked in or was released or withdrawn (实到 changed): `meeting_id`, `card_id`,
#: `action` ("check_in", "release", "revoke")
cards_changed = _signals.signal("cards-changed")
#: items changed state, or the meeting's settings or paper ballots changed: `meeting_id`,
#: `action` (a move: "open", "close", "reveal", "reopen", "reset"; or "settings", "paper"),
#: `items` (ids), `actor` ("secretary", "undo", "countdown")
items_moved = _signals.signal("items-moved")
#: what a meeting's documents show changed besides its items and cards' state: `meeting_id`,
#: `what` ("followup": a follow-up record; "cards": cards were issued to be printed; "deleted":
#: the meeting was deleted, its documents go too)
records_changed = _signals.signal("records-changed")
#: the secretary switched the projector's view (sent at once by the API: nothing is written):
#: `meeting_id`, `view` ("previous_round": 上一轮整改情况; "live": back to the meeting)
screen_view = _signals.signal("screen-view")
