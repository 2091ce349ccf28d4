"""The demo meeting `make run` starts with, modelled on a real sitting.

A city People's Congress standing committee (市人大常委会) rates the rule-of-law duty reports
(述法) of 5 department heads in person, 24 in writing, and the government's implementation of
the committee's review opinions: 30 items, 60 members expected, the default scale and rule.
"""

from __future__ import annotations

from voting.records import MeetingView
from voting.settings import NewItem, meeting_settings
from voting.storage import Store

TITLE = "市人大常委会 法治政府建设 述法测评"
EXPECTED = 60
ORAL = (
    ("市发改委", "主任"),
    ("市水利局", "局长"),
    ("市退役军人事务局", "局长"),
    ("市应急管理局", "局长"),
    ("市港航和口岸局", "局长"),
)
WRITTEN = (
    "市教育局", "市科学技术局", "市工业和信息化局", "市公安局", "市民政局", "市司法局",
    "市财政局", "市人力资源和社会保障局", "市自然资源和规划局", "市生态环境局",
    "市住房和城乡建设局", "市交通运输局", "市农业农村局", "市商务局", "市文化广电旅游局",
    "市卫生健康委员会", "市审计局", "市市场监督管理局", "市统计局", "市医疗保障局",
    "市城市管理局", "市林业局", "市信访局", "市数据资源管理局",
)  # fmt: skip
WRITTEN_BATCH = "书面述法"
OPINIONS = "市政府落实审议意见情况"


def items() -> list[NewItem]:
    oral = [NewItem(subject=s, person=p, kind="oral") for s, p in ORAL]
    written = [
        NewItem(subject=s, person="局长" if s.endswith("局") else "主任", kind="written",
                batch=WRITTEN_BATCH)
        for s in WRITTEN
    ]  # fmt: skip
    return [*oral, *written, NewItem(subject=OPINIONS, person="市人民政府", kind="other")]


def create(store: Store) -> MeetingView:
    """Create the demo meeting with its 30 items and 60 cards; returns the meeting.

    It is a rehearsal (演练): try everything on it, then delete it, or turn it real."""
    m = store.create_meeting(
        meeting_settings({"title": TITLE, "expected": EXPECTED, "rehearsal": True})
    )
    store.add_items(m["id"], items())
    store.issue_cards(m["id"], EXPECTED)
    return store.meeting(m["id"])
