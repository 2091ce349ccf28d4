"""The demo meeting `make run` starts with, modelled on a real sitting.

A city People's Congress standing committee (市人大常委会) rates the rule-of-law duty reports
(述法) of 5 department heads in person, 24 in writing, and the government's implementation of
the committee's review opinions: 30 items, 60 members expected, the default scale and rule.
"""

from __future__ import annotations

from voting.reading import keep
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
    ids = store.add_items(m["id"], items())
    store.issue_cards(m["id"], EXPECTED)
    for (subject, person), item_id in zip(ORAL, ids, strict=False):
        keep(store, m["id"], item_id, f"{subject}述法报告.txt", report(subject, person).encode())
    keep(store, m["id"], None, "会议议程.txt", agenda().encode())
    return store.meeting(m["id"])


def report(subject: str, person: str) -> str:
    """A demo 述法报告 (看一看): what a phone opens with 查看材料."""
    return f"""{subject}{person}
履行推进法治建设第一责任人职责情况报告（演示文本）

一、履职基本情况
本年度，{subject}主要负责人认真履行推进法治建设第一责任人职责，把法治建设纳入本部门发展总体规划和年度工作计划，\
与业务工作同部署、同推进、同督促、同考核。

二、存在的问题
一是行政执法规范化水平仍需提高；二是法治宣传教育的针对性和实效性有待增强；三是法治工作队伍建设仍有短板。

三、下一步工作打算
严格落实重大行政决策程序，全面推行行政执法“三项制度”，落实“谁执法谁普法”普法责任制，\
按照本次测评意见认真整改，并在规定期限内报送整改情况。
"""


def agenda() -> str:
    """The demo meeting's general material: its agenda."""
    oral = "\n".join(f"  {n}. {s}{p}述法" for n, (s, p) in enumerate(ORAL, 1))
    return f"""{TITLE}
会议议程（演示文本）

一、现场述法（每人8分钟），每位述法后进行满意度测评：
{oral}
二、书面述法（{len(WRITTEN)}个部门），集中进行满意度测评
三、对{OPINIONS}进行满意度测评
四、宣布测评结果
"""
