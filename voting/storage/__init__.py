"""The store: SQLite storage of meetings, items, cards, ballots, follow-ups and the audit log.

`Store` (in `facade`) is what the rest of the project uses; each module here does one job:
`schema` (tables and migrations), `disk` (connections, sealing, backups), `rows` (what every
part reads the same way), `audit` (the hash chain and its check), `prepare` (meetings, items,
cards), `ballots` (votes, comments, paper ballots), `moves` (item states, undo, closing when
due), `followups` (整改 records) and `reads` (meetings, turnout, the phones' state, results).
Only `voting.writer` and this package hold SQL.
"""

from voting.storage.audit import GENESIS, entry_hash
from voting.storage.disk import BACKUPS_KEPT, connect
from voting.storage.facade import Store
from voting.storage.rows import SQLITE_INTS
from voting.storage.schema import migrate

__all__ = ["BACKUPS_KEPT", "GENESIS", "SQLITE_INTS", "Store", "connect", "entry_hash", "migrate"]
