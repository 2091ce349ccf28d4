"""The rule beside every verdict (`wording.describe`), the check that the best level can be reached
before an open, and what phones are told when items leave them by an undo, a reset or a reopen."""

from __future__ import annotations

import csv
import io
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st
from openpyxl import load_workbook
from pypdf import PdfReader

from conftest import phone, received, vote
from voting import meeting, rules, wording
from voting.rules import SCALES, Combine, Rule

SAT = SCALES["satisfaction"]
WEIGHTED = Combine(kind="weighted", weights={"member": 70, "deputy": 30})


# -- the line -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("scale", "rule", "base_count", "how", "text"),
    [
        ("satisfaction", Rule(), 60, None,
         "按应到 60 人计：满意票达 30 票为满意，满意与基本满意合计超过 30 票为基本满意"),
        ("satisfaction", Rule(), 51, None,
         "按应到 51 人计：满意票达 26 票为满意，满意与基本满意合计超过 25 票为基本满意"),
        ("satisfaction", Rule(base="present"), 36, None,
         "按实到 36 人计：满意票达 18 票为满意，满意与基本满意合计超过 18 票为基本满意"),
        ("satisfaction_abstain", Rule(base="valid"), None, None,
         "按有效票计：满意票达有效票半数为满意，满意与基本满意合计超过有效票半数为基本满意"),
        ("competence", Rule(), 7, None,
         "按应到 7 人计：称职票达 4 票为称职，称职与基本称职合计超过 3 票为基本称职"),
        ("grade4", Rule(), 45, None,
         "按应到 45 人计：优秀票达 23 票为优秀，优秀与良好合计超过 22 票为良好，"
         "优秀、良好与合格合计超过 22 票为合格"),
        ("satisfaction", Rule(kind="threshold"), 60, None,
         "满意率达 80% 为满意，达 60% 为基本满意"),
        ("grade4", Rule(kind="threshold", thresholds=(90, 75.5, 60)), None, None,
         "合格率达 90% 为优秀，达 75.5% 为良好，达 60% 为合格"),
        ("competence", Rule(kind="threshold"), None, None,
         "称职率达 80% 为称职，达 60% 为基本称职"),
        ("score", Rule(), 60, None,
         "平均分达 90 分为优秀，达 80 分为良好，达 60 分为合格，不足 60 分为不合格"),
        ("score", Rule(), None, WEIGHTED,
         "按各类别加权平均分达 90 分为优秀，达 80 分为良好，达 60 分为合格，不足 60 分为不合格"),
        ("satisfaction", Rule(), 60, WEIGHTED,
         "按各类别加权占比计：满意占比达 50% 为满意，满意与基本满意合计超过 50% 为基本满意"),
        ("satisfaction", Rule(kind="threshold"), None, WEIGHTED,
         "按各类别加权满意率达 80% 为满意，达 60% 为基本满意"),
        ("satisfaction", Rule(), 60, Combine(),
         "按应到 60 人计：满意票达 30 票为满意，满意与基本满意合计超过 30 票为基本满意"),
    ],
)  # fmt: skip
def test_describe_says_each_rule_in_the_meetings_words(scale, rule, base_count, how, text):
    assert wording.describe(SCALES[scale], rule, base_count, how=how) == text


@pytest.mark.parametrize(
    ("scale", "rule", "base_count", "how", "text"),
    [
        ("satisfaction", Rule(), 60, None,
         "Counted against the 60 expected members: Satisfied with at least 30 Satisfied votes; "
         "Basically satisfied with more than 30 Satisfied and Basically satisfied votes together"),
        ("satisfaction", Rule(), 51, None,
         "Counted against the 51 expected members: Satisfied with at least 26 Satisfied votes; "
         "Basically satisfied with more than 25 Satisfied and Basically satisfied votes together"),
        ("satisfaction", Rule(base="present"), 36, None,
         "Counted against the 36 members present: Satisfied with at least 18 Satisfied votes; "
         "Basically satisfied with more than 18 Satisfied and Basically satisfied votes together"),
        ("satisfaction_abstain", Rule(base="valid"), None, None,
         "Counted against the valid ballots: Satisfied with at least half Satisfied votes; "
         "Basically satisfied with more than half Satisfied and Basically satisfied votes "
         "together"),
        ("satisfaction", Rule(), None, None,
         "Counted against the number of expected members: Satisfied with at least half "
         "Satisfied votes; Basically satisfied with more than half Satisfied and Basically "
         "satisfied votes together"),
        ("competence", Rule(), 7, None,
         "Counted against the 7 expected members: Competent with at least 4 Competent votes; "
         "Basically competent with more than 3 Competent and Basically competent votes together"),
        ("grade4", Rule(), 45, None,
         "Counted against the 45 expected members: Excellent with at least 23 Excellent votes; "
         "Good with more than 22 Excellent and Good votes together; "
         "Pass with more than 22 Excellent, Good and Pass votes together"),
        ("satisfaction", Rule(kind="threshold"), 60, None,
         "Satisfaction rate at least 80% for Satisfied; at least 60% for Basically satisfied"),
        ("grade4", Rule(kind="threshold", thresholds=(90, 75.5, 60)), None, None,
         "Pass rate at least 90% for Excellent; at least 75.5% for Good; at least 60% for Pass"),
        ("competence", Rule(kind="threshold"), None, None,
         "Competence rate at least 80% for Competent; at least 60% for Basically competent"),
        ("score", Rule(), 60, None,
         "Average score at least 90 for Excellent; at least 80 for Good; at least 60 for Pass; "
         "below 60 for Fail"),
        ("score", Rule(), None, WEIGHTED,
         "Weighted by group: Average score at least 90 for Excellent; at least 80 for Good; "
         "at least 60 for Pass; below 60 for Fail"),
        ("satisfaction", Rule(), 60, WEIGHTED,
         "Weighted by group: Satisfied with at least 50% Satisfied share; Basically satisfied "
         "with more than 50% Satisfied and Basically satisfied share together"),
        ("satisfaction", Rule(kind="threshold"), None, WEIGHTED,
         "Weighted by group: Satisfaction rate at least 80% for Satisfied; at least 60% for "
         "Basically satisfied"),
    ],
)  # fmt: skip
def test_describe_says_each_rule_in_english_too(scale, rule, base_count, how, text):
    assert wording.describe(SCALES[scale], rule, base_count, how=how, lang="en") == text
    assert not re.search(r"[\u4e00-\u9fff]", text)


def test_the_english_line_falls_back_as_the_chinese_one_does():
    text = wording.rule_text(SAT, Rule(), Combine(), 0, 36, lang="en")
    assert text.startswith("Counted against the 36 members present: Satisfied with at least 18")


def test_a_base_whose_number_is_not_given_is_named_without_one():
    assert wording.describe(SAT, Rule(), None) == (
        "按应到人数计：满意票达半数为满意，满意与基本满意合计超过半数为基本满意"
    )


def test_a_missing_expected_count_falls_back_as_tally_does():
    assert rules.rule_base(Rule(), 60, 36) == ("expected", 60)
    assert rules.rule_base(Rule(), 0, 36) == ("present", 36)
    assert rules.rule_base(Rule(), None, 0) == ("valid", None)
    assert rules.rule_base(Rule(base="present"), 60, 0) == ("valid", None)
    assert rules.rule_base(Rule(base="valid"), 60, 36) == ("valid", None)
    text = wording.rule_text(SAT, Rule(), Combine(), 0, 36)
    assert text.startswith("按实到 36 人计：满意票达 18 票")


def _numbers(text: str) -> tuple[int, int]:
    """The votes the line asks of the best level ("达 N 票") and of the next ("超过 M 票")."""
    best = re.search(r"满意票达 (\d+) 票为满意", text)
    next_ = re.search(r"合计超过 (\d+) 票为基本满意", text)
    assert best and next_, text
    return int(best.group(1)), int(next_.group(1))


@given(
    base=st.integers(min_value=1, max_value=500),
    data=st.data(),
    kind=st.sampled_from(["expected", "present"]),
)
def test_the_numbers_in_the_line_are_the_ones_tally_uses(base, data, kind):
    """Whatever the votes, the verdict is what the line's numbers say it is."""
    satisfied = data.draw(st.integers(0, base))
    basic = data.draw(st.integers(0, base - satisfied))
    unsatisfied = data.draw(st.integers(0, base - satisfied - basic))
    counts = {"satisfied": satisfied, "basic": basic, "unsatisfied": unsatisfied}
    rule = Rule(base=kind)
    best, next_ = _numbers(wording.rule_text(SAT, rule, Combine(), base, base))
    verdict = rules.tally(SAT, counts, rule=rule, expected=base, present=base).verdict
    if satisfied + basic + unsatisfied == 0:
        assert verdict is None
    elif satisfied >= best:
        assert verdict == "satisfied"
    elif satisfied + basic > next_:
        assert verdict == "basic"
    else:
        assert verdict == "unsatisfied"


@given(
    counts=st.tuples(*[st.integers(0, 40)] * 3),
    limits=st.lists(st.integers(0, 100), min_size=2, max_size=2, unique=True),
)
def test_the_thresholds_in_the_line_are_the_ones_tally_uses(counts, limits):
    rule = Rule(kind="threshold", thresholds=tuple(sorted(limits, reverse=True)))
    said = [int(n) for n in re.findall(r"达 (\d+)% 为", wording.describe(SAT, rule))]
    assert said == sorted(limits, reverse=True)
    tallied = rules.tally(SAT, dict(zip(SAT.levels, counts, strict=True)), rule=rule)
    if tallied.rate is None:
        return
    satisfied, basic = counts[0], counts[1]
    rate = (satisfied + basic) * 100 / sum(counts)  # exact enough: compared with whole numbers
    want = "satisfied" if rate >= said[0] else "basic" if rate >= said[1] else "unsatisfied"
    assert tallied.verdict == want


@given(mean=st.integers(0, 100))
def test_the_score_bands_in_the_line_are_the_ones_tally_uses(mean):
    lows = [int(n) for n in re.findall(r"达 (\d+) 分为", wording.describe(SCALES["score"]))]
    tallied = rules.tally(SCALES["score"], {str(mean): 1})
    labels = ["excellent", "good", "pass"]
    want = next((lab for lab, low in zip(labels, lows, strict=True) if mean >= low), "fail")
    assert tallied.verdict == want


@given(
    expected=st.integers(min_value=1, max_value=500),
    present=st.integers(min_value=0, max_value=500),
)
def test_best_reachable_is_whether_present_can_cast_the_best_levels_votes(expected, present):
    ok, needed = rules.best_reachable(SAT, Rule(), Combine(), expected, present)
    best, _ = _numbers(wording.describe(SAT, Rule(), expected))
    assert needed == best
    assert ok == (present >= best)
    if ok:  # every present voting for the best level makes it
        counts = {"satisfied": present, "basic": 0, "unsatisfied": 0}
        assert rules.tally(SAT, counts, expected=expected, present=present).verdict in (
            "satisfied",
            None,
        )
    elif present:
        counts = {"satisfied": present, "basic": 0, "unsatisfied": 0}
        assert rules.tally(SAT, counts, expected=expected, present=present).verdict != "satisfied"


@pytest.mark.parametrize(
    ("scale", "rule", "how"),
    [
        ("satisfaction", Rule(kind="threshold"), Combine()),
        ("satisfaction", Rule(base="present"), Combine()),
        ("satisfaction", Rule(base="valid"), Combine()),
        ("satisfaction", Rule(), WEIGHTED),
        ("score", Rule(), Combine()),
    ],
)
def test_only_a_majority_of_the_expected_can_be_out_of_reach(scale, rule, how):
    assert rules.best_reachable(SCALES[scale], rule, how, 60, 1) == (True, 0)


def test_the_check_refuses_unless_confirmed():
    meeting.check_best_reachable(30, 30)
    meeting.check_best_reachable(29, 30, confirmed=True)
    meeting.check_best_reachable(5, 0)
    with pytest.raises(meeting.MoveRefused) as refused:
        meeting.check_best_reachable(29, 30, "满意")
    assert refused.value.code == "best_unreachable"
    assert "29" in str(refused.value) and "30" in str(refused.value)
    assert "best_unreachable" in (meeting.__doc__ or "")


# -- the API ------------------------------------------------------------------------------------


def test_the_results_say_the_rule(app, api):
    made = api.meeting(cards=5, items=1)
    mid, (item,) = made["meeting"]["id"], made["items"]
    phones = [phone(app, c["token"]) for c in made["cards"][:3]]
    api.move(mid, "open", [item])
    assert vote(phones[0], item, "satisfied")["ok"]
    api.move(mid, "close", [item])
    results = api.get(f"/meetings/{mid}/results").get_json()
    assert results["rule_text"] == (
        "按应到 5 人计：满意票达 3 票为满意，满意与基本满意合计超过 2 票为基本满意"
    )
    exported = api.get(f"/meetings/{mid}/export.json").get_json()
    assert exported["rule_text"] == results["rule_text"]


def test_an_open_with_the_best_level_out_of_reach_needs_a_confirmation(app, api):
    """Quorum 0.3 of 10 is met by 4, but 满意 needs 5 of 应到 10: refused, then confirmed."""
    made = api.meeting(cards=10, items=1, quorum=0.3)
    mid, (item,) = made["meeting"]["id"], made["items"]
    phones = [phone(app, c["token"]) for c in made["cards"][:4]]
    assert all(p.is_connected("/voter") for p in phones)
    refused = api.move(mid, "open", [item], status=409).get_json()
    assert refused["error"] == "best_unreachable"
    assert api.get(f"/meetings/{mid}").get_json()["items"][0]["state"] == "draft"

    api.move(mid, "open", [item], accept_unreachable=True)
    entries = api.get(f"/meetings/{mid}/audit").get_json()["entries"]
    assert [e["action"] for e in entries[-2:]] == ["override", "open"]
    assert entries[-2]["detail"] == {
        "present": 4, "expected": 10, "unreachable": "满意", "needed": 5,
    }  # fmt: skip
    assert api.get("/verify").get_json()["ok"] is True


def test_a_quorum_override_covers_the_best_level_too_in_one_audit_entry(app, api):
    made = api.meeting(cards=10, items=1)
    mid, (item,) = made["meeting"]["id"], made["items"]
    phones = [phone(app, c["token"]) for c in made["cards"][:4]]
    assert all(p.is_connected("/voter") for p in phones)
    api.move(mid, "open", [item], override_quorum=True)
    entries = api.get(f"/meetings/{mid}/audit").get_json()["entries"]
    assert [e["action"] for e in entries[-2:]] == ["override", "open"]
    assert entries[-2]["detail"]["needed"] == 5


def test_enough_present_opens_without_a_word(app, api):
    made = api.meeting(cards=10, items=1, quorum=0.3)
    mid, (item,) = made["meeting"]["id"], made["items"]
    phones = [phone(app, c["token"]) for c in made["cards"][:5]]
    assert all(p.is_connected("/voter") for p in phones)
    api.move(mid, "open", [item])
    actions = [e["action"] for e in api.get(f"/meetings/{mid}/audit").get_json()["entries"]]
    assert "override" not in actions


def test_accept_unreachable_belongs_to_open_only(api):
    made = api.meeting(cards=1, items=1)
    mid, (item,) = made["meeting"]["id"], made["items"]
    api.move(mid, "close", [item], status=400, accept_unreachable=True)
    api.move(mid, "open", [item], status=400, accept_unreachable="yes")


# -- the phones ---------------------------------------------------------------------------------


def test_an_undone_open_tells_the_phones_it_was_withdrawn(app, api):
    made = api.meeting(cards=2, items=2)
    mid, (first, second) = made["meeting"]["id"], made["items"]
    voter, other = (phone(app, c["token"]) for c in made["cards"])
    api.move(mid, "open", [first])
    assert vote(voter, first, "basic")["ok"]
    received(voter, "/voter", "state")
    received(other, "/voter", "state")
    api.post(f"/meetings/{mid}/undo", None, 200)  # the open becomes a reset
    for p in (voter, other):
        state = received(p, "/voter", "state")[-1]
        assert state["items"] == []
        assert state["withdrawn"] == [first]
        assert "reopened" not in state
    api.move(mid, "open", [second])  # the next ballot: one shared state, no reason
    state = received(voter, "/voter", "state")[-1]
    assert [i["id"] for i in state["items"]] == [second]
    assert "withdrawn" not in state


def test_a_reset_withdraws_and_a_reopen_brings_back(app, api):
    made = api.meeting(cards=2, items=1)
    mid, (item,) = made["meeting"]["id"], made["items"]
    p = phone(app, made["cards"][0]["token"])
    phone(app, made["cards"][1]["token"])
    api.move(mid, "open", [item])
    api.move(mid, "close", [item])
    api.move(mid, "reopen", [item])
    state = received(p, "/voter", "state")[-1]
    assert state["reopened"] == [item] and "withdrawn" not in state
    api.post(f"/meetings/{mid}/undo", None, 200)  # closes it again: 已结束 is the truth
    state = received(p, "/voter", "state")[-1]
    assert "reopened" not in state and "withdrawn" not in state
    api.post(f"/meetings/{mid}/undo", None, 200)  # the close undone: reopened
    assert received(p, "/voter", "state")[-1]["reopened"] == [item]
    api.move(mid, "reset", [item])
    assert received(p, "/voter", "state")[-1]["withdrawn"] == [item]
    # a phone connecting later is told nothing of it
    (hello,) = received(phone(app, made["cards"][1]["token"]), "/voter", "state")
    assert "withdrawn" not in hello


# -- the documents ------------------------------------------------------------------------------


def test_the_report_the_letters_and_the_workbook_say_the_rule(app, api):
    made = api.meeting(cards=6, items=2)
    mid, items = made["meeting"]["id"], made["items"]
    phones = [phone(app, c["token"]) for c in made["cards"][:4]]
    api.move(mid, "open", items)
    for p in phones:
        for item in items:
            assert vote(p, item, "satisfied")["ok"]
    api.move(mid, "close", items)
    api.move(mid, "reveal", items)
    rule = api.get(f"/meetings/{mid}/results").get_json()["rule_text"]
    assert rule == "按应到 6 人计：满意票达 3 票为满意，满意与基本满意合计超过 3 票为基本满意"
    flat_rule = re.sub(r"\s+", "", rule)

    def texts(name: str) -> list[str]:
        data = api.get(f"/meetings/{mid}/{name}").data
        return [re.sub(r"\s+", "", p.extract_text()) for p in PdfReader(io.BytesIO(data)).pages]

    body = "".join(texts("report.pdf"))
    assert f"本次计票规则：{flat_rule}。" in body  # the method
    assert f"注：计票规则：{flat_rule}。" in body  # beside the results table
    letters = texts("letters.pdf")
    assert len(letters) == len(items)  # still one page each
    assert all(f"计票规则：{flat_rule}。" in page for page in letters)

    book = load_workbook(io.BytesIO(api.get(f"/meetings/{mid}/export.xlsx").data))
    rows = list(book["测评结果"].iter_rows(values_only=True))
    assert rows[0][-1] == "计票规则"
    assert [row[-1] for row in rows[1:]] == [rule] * len(items)
    csv_rows = list(
        csv.reader(io.StringIO(api.get(f"/meetings/{mid}/export.csv").data.decode("utf-8-sig")))
    )
    assert csv_rows[0][-1] == "计票规则"
    assert [row[-1] for row in csv_rows[1 : 1 + len(items)]] == [rule] * len(items)
