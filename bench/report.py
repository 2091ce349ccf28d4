"""How long the PDFs of the demo meeting take to build.

    python bench/report.py [--runs 3] [--out build/report]

Creates the demo meeting (30 items, 60 cards) in a temporary database, lets 55 cards vote on
every item (a few with comments), closes and reveals everything, then times the analysis
report, the letters and the cards PDF (`--runs` times each; the first includes loading fonts).
With `--out`, the PDFs are written there.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
import uuid
from pathlib import Path

from display import cardsheet, letters, report
from voting import demo
from voting.settings import Move, Vote
from voting.storage import Store

COMMENTS = (
    "行政执法公示不够及时，建议完善执法信息公开平台",
    "普法宣传形式较单一，建议多进社区、进企业",
    "重大行政决策合法性审查工作扎实，值得肯定",
    "行政复议纠错率偏高，需加强执法人员培训",
    "涉企检查较多，建议统筹安排，减少对企业的干扰",
    "对人大代表建议的办理答复质量有提高",
)


def voted_demo(folder: Path, seed: int = 2026) -> tuple[Store, int]:
    store = Store(folder / "demo.sqlite")
    meeting = demo.create(store)
    mid = meeting["id"]
    ids = tuple(i["id"] for i in meeting["items"])
    cards = [store.use_card(c["token"], f"bench-{c['number']}")[0] for c in store.cards(mid)[:55]]
    store.move(mid, Move(ids), "open")
    rng = random.Random(seed)
    leaning = {item: rng.choice(((0.92, 0.07, 0.01), (0.8, 0.15, 0.05), (0.4, 0.3, 0.3)))
               for item in ids}  # fmt: skip
    for card in cards:
        votes = []
        for item in ids:
            choice = rng.choices(("satisfied", "basic", "unsatisfied"), leaning[item])[0]
            comment = rng.choice(COMMENTS) if rng.random() < 0.02 else ""
            votes.append(Vote(item, 0, choice, str(uuid.uuid4()), comment))
        store.cast(card["id"], votes)
    store.move(mid, Move(ids), "close")
    store.move(mid, Move(ids), "reveal")
    return store, mid


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        store, mid = voted_demo(Path(folder))
        meeting = store.meeting(mid)
        cards = cardsheet.printable(store.cards(mid))
        jobs = {
            "report": lambda: report.build(store, mid),
            "letters": lambda: letters.build(store, mid),
            "cards": lambda: cardsheet.build(meeting, cards, lambda t: f"http://192.168.1.10:5000/v/{t}"),
        }  # fmt: skip
        for name, job in jobs.items():
            times = []
            for _ in range(args.runs):
                start = time.perf_counter()
                data = job()
                times.append(time.perf_counter() - start)
            shown = ", ".join(f"{t:.2f}" for t in times)
            print(f"{name:8} {len(data) / 1024:7.0f} KB   {shown} s")
            if args.out:
                args.out.mkdir(parents=True, exist_ok=True)
                (args.out / f"{name}.pdf").write_bytes(data)
        store.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
