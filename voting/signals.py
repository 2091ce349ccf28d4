"""What the input side tells the output side, without importing it.

`voting` sends these (blinker signals, the sender is the Flask app); `display` listens and
pushes to the projector and the console. Data flows one way.
"""

from blinker import Namespace

_signals = Namespace()

#: votes were committed in a meeting: `meeting_id`
votes_recorded = _signals.signal("votes-recorded")
#: a card checked in or was released or withdrawn (实到 changed): `meeting_id`
cards_changed = _signals.signal("cards-changed")
#: items changed state: `meeting_id`, `action`, `items` (ids)
items_moved = _signals.signal("items-moved")
