"""How many votes per second the store's writer commits, with synchronous=FULL.

    python bench/writer.py [--votes 3000] [--threads 1 64 256] [--dir /tmp]

For each number of concurrent callers it casts `--votes` votes (one card each, one open item)
through `Store.cast`, which acknowledges a vote only after its group's commit, and prints votes
per second, commits, and the mean group size. One caller shows one fsync per vote; many callers
show what group commit gains.
"""

from __future__ import annotations

import argparse
import tempfile
import threading
import time
import uuid
from pathlib import Path

from voting.settings import MeetingSettings, Move, NewItem, Vote
from voting.storage import Store
from voting.writer import threaded_runtime


def run(folder: Path, votes: int, threads: int) -> dict[str, float]:
    store = Store(folder / f"bench-{threads}.sqlite", threaded_runtime())
    meeting = store.create_meeting(MeetingSettings(title="bench", expected=votes))
    (item,) = store.add_items(meeting["id"], [NewItem("市发改委")])
    cards = store.issue_cards(meeting["id"], votes)
    ids = [store.card(c["token"])["id"] for c in cards]
    store.move(meeting["id"], Move((item,), override_quorum=True), "open")
    before = store.writer.stats.commits
    chunks = [ids[n::threads] for n in range(threads)]

    def cast(chunk: list[int]) -> None:
        for card_id in chunk:
            store.cast(card_id, [Vote(item, 0, "satisfied", str(uuid.uuid4()))])

    workers = [threading.Thread(target=cast, args=(chunk,)) for chunk in chunks]
    started = time.perf_counter()
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    seconds = time.perf_counter() - started
    commits = store.writer.stats.commits - before
    counted = store.turnout(meeting["id"])["voted"][str(item)]
    store.close()
    assert counted == votes, f"{counted} counted of {votes}"
    return {"votes_per_s": votes / seconds, "commits": commits, "group": votes / commits}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--votes", type=int, default=3000)
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 64, 256])
    parser.add_argument("--dir", default=None, help="where the databases go (a real disk)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(dir=args.dir) as folder:
        print(f"{'callers':>8} {'votes':>6} {'votes/s':>9} {'commits':>8} {'votes/commit':>13}")
        for threads in args.threads:
            r = run(Path(folder), args.votes, threads)
            print(
                f"{threads:>8} {args.votes:>6} {r['votes_per_s']:>9.0f} {r['commits']:>8.0f}"
                f" {r['group']:>13.1f}",
                flush=True,
            )


if __name__ == "__main__":
    main()
