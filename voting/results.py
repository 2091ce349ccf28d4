"""A meeting's results from its counted ballots, and what follows from a verdict.

Pure arithmetic over the store's records (no Flask, no database), on top of `voting.rules`: the
store gathers the counts, the present and issued cards per group, and hands them here.

Counts are nested as ``{item: {aspect: {group: {choice: n}}}}`` (aspect as text, as the audit log
keeps them); paper ballots (补录) are included in them and also given alone.
"""

from __future__ import annotations

import calendar
from collections.abc import Mapping, Sequence
from datetime import date

from voting import rules, wording
from voting.records import AspectResult, Item, ItemResult, Meeting, Results

#: {aspect: {group: {choice: n}}} of one item
ItemCounts = Mapping[str, Mapping[str, Mapping[str, int]]]


def meeting_results(
    m: Meeting,
    items: Sequence[Item],
    counts: Mapping[int, ItemCounts],
    present: Mapping[str, int],
    issued: Mapping[str, int],
    paper: Mapping[int, ItemCounts] | None = None,
) -> Results:
    """Tally every item of `items` per aspect, per group, and combined, and rank them.

    `counts` include the paper ballots; `paper` gives them alone. An item without ballots has
    no rank.
    """
    scale = rules.get_scale(m["scale"])
    rule = rules.parse_rule(m["rule"])
    how = rules.parse_combine(m["combine"])
    tallies: list[tuple[int, rules.Tally]] = []
    shown: list[ItemResult] = []
    for item in items:
        per_aspect = []
        for n, name in enumerate(m["aspects"]):
            on_paper = (paper or {}).get(item["id"]) or {}
            aspect, combined = _aspect_result(
                m, scale, rule, how, (n, name), counts[item["id"]].get(str(n), {}),
                present, issued, on_paper.get(str(n), {}),
            )  # fmt: skip
            if n == 0:
                tallies.append((item["id"], combined))
            per_aspect.append(aspect)
        shown.append({**item, "aspects": per_aspect, "rank": None})
    rated = [(item_id, t) for item_id, t in tallies if t.rate is not None]
    ranks = {item_id: place for place, item_id in rules.rank(rated)}  # no ballots: no rank
    for result in shown:
        result["rank"] = ranks.get(result["id"])
    return {
        "meeting": m["id"],
        "title": m["title"],
        "rehearsal": bool(m.get("rehearsal", False)),
        "expected": m["expected"],
        "present": present.get(how.group, 0),
        "scale": scale.to_dict(),
        "rule": rule.to_dict(),
        "combine": how.to_dict(),
        "rule_text": wording.rule_text(scale, rule, how, m["expected"], present.get(how.group, 0)),
        "items": shown,
    }


def _aspect_result(
    m: Meeting,
    scale: rules.Scale,
    rule: rules.Rule,
    how: rules.Combine,
    aspect: tuple[int, str],
    by_group: Mapping[str, Mapping[str, int]],
    present: Mapping[str, int],
    issued: Mapping[str, int],
    on_paper: Mapping[str, Mapping[str, int]],
) -> tuple[AspectResult, rules.Tally]:
    """One aspect of one item: each group's tally, their combination, and the paper alone."""
    counted = how.group
    groups = {}
    for g in sorted(set(by_group) | {counted}):
        expected = m["expected"] if g == counted else issued.get(g)
        groups[g] = rules.tally(
            scale, by_group.get(g, {}), rule=rule, expected=expected, present=present.get(g, 0)
        )
    combined = rules.combine(
        scale, groups, how, rule=rule, expected=m["expected"], present=present.get(counted, 0)
    )
    paper_sum: dict[str, int] = {}
    for by_choice in on_paper.values():
        for choice, k in by_choice.items():
            paper_sum[choice] = paper_sum.get(choice, 0) + k
    number, name = aspect
    shown: AspectResult = {
        "aspect": number,
        "name": name,
        "result": combined.to_dict(scale),
        "groups": {g: t.to_dict(scale) for g, t in groups.items()},
        "paper": paper_sum,
        "paper_groups": {g: dict(c) for g, c in on_paper.items()},
    }
    return shown, combined


def needs_followup(scale: rules.Scale, verdict: str | None) -> bool:
    """A verdict below the scale's best level (基本满意 or 不满意) starts a follow-up (整改)."""
    return verdict is not None and verdict != scale.levels[0]


def add_months(day: date, months: int) -> date:
    """The same day `months` later (the month's last day where it is shorter)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))
