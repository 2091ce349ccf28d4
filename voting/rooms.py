"""The Socket.IO namespaces and rooms, named here once.

Phones connect to `VOTER` and join their meeting's `voters` room; projectors connect to `SCREEN`
and join its `screen` room; consoles connect to `CONSOLE` and join the `console` room of the
meeting they watch. Phones never share a namespace or a room with the others.
"""

from __future__ import annotations

VOTER = "/voter"
SCREEN = "/screen"
CONSOLE = "/console"


def voters(meeting_id: int) -> str:
    """The room of a meeting's phones (namespace `VOTER`)."""
    return f"voters:{meeting_id}"


def screen(meeting_id: int) -> str:
    """The room of a meeting's projectors (namespace `SCREEN`)."""
    return f"screen:{meeting_id}"


def console(meeting_id: int) -> str:
    """The room of the consoles watching a meeting (namespace `CONSOLE`)."""
    return f"console:{meeting_id}"
