"""Tests for voting.rules: counting, rates, verdicts, groups and ranking."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from voting.rules import (
    DEFAULT_SCALE,
    SCALES,
    Combine,
    Option,
    Rule,
    RuleError,
    Scale,
    Tally,
    combine,
    count_choices,
    get_scale,
    parse_combine,
    parse_rule,
    rank,
    tally,
)

SAT = SCALES["satisfaction"]
D = Decimal


def counts3(satisfied: int, basic: int, unsatisfied: int) -> dict[str, int]:
    return {"satisfied": satisfied, "basic": basic, "unsatisfied": unsatisfied}


# --------------------------------------------------------------------------------------------
# Published results
# --------------------------------------------------------------------------------------------


def test_published_28_ballots_25_3_0() -> None:
    result = tally(SAT, counts3(25, 3, 0))
    assert result.valid == 28
    assert result.shares == {
        "satisfied": D("89.29"),
        "basic": D("10.71"),
        "unsatisfied": D("0.00"),
    }
    assert result.rate == D("100.00")


def test_published_28_ballots_20_7_1() -> None:
    result = tally(SAT, counts3(20, 7, 1))
    assert result.shares == {
        "satisfied": D("71.43"),
        "basic": D("25.00"),
        "unsatisfied": D("3.57"),
    }
    assert result.rate == D("96.43")


def test_published_61_ballots_59_2_0() -> None:
    result = tally(SAT, counts3(59, 2, 0))
    assert result.valid == 61
    assert result.rate == D("100.00")
    assert result.shares["satisfied"] == D("96.72")
    assert result.shares["basic"] == D("3.28")


def test_rounding_is_half_up_not_bankers() -> None:
    # 1 / 32 = 3.125 % exactly: half-up gives 3.13 (float round() would give 3.12).
    result = tally(SAT, counts3(1, 0, 31))
    assert result.shares["satisfied"] == D("3.13")
    assert result.rate == D("3.13")
    # 1 / 160 = 0.625 % → 0.63
    assert tally(SAT, counts3(1, 0, 159)).shares["satisfied"] == D("0.63")


def test_no_valid_ballots_gives_zero_shares_and_no_rate() -> None:
    result = tally(SAT, {}, 3)
    assert result.shares == dict.fromkeys(SAT.option_keys(), D("0.00"))
    assert result.rate is None
    assert result.score is None
    assert result.total == 3


# --------------------------------------------------------------------------------------------
# Majority rule
# --------------------------------------------------------------------------------------------


def _base_kwargs(base: str, number: int) -> dict[str, int | None]:
    """expected / present such that the chosen base is ``number`` (for valid, counts decide)."""
    if base == "expected":
        return {"expected": number, "present": number - 1}
    if base == "present":
        return {"expected": number + 10, "present": number}
    return {"expected": number + 10, "present": number + 5}


@pytest.mark.parametrize("base", ["expected", "present", "valid"])
@pytest.mark.parametrize(
    ("counts", "verdict"),
    [
        # base 20 everywhere (for "valid" the counts add up to 20)
        ((10, 0, 10), "satisfied"),  # exactly half satisfied → 满意 (以上 includes half)
        ((9, 1, 10), "unsatisfied"),  # satisfied + basic exactly half → 不满意
        ((9, 2, 9), "basic"),  # just over half → 基本满意
        ((11, 0, 9), "satisfied"),
        ((0, 11, 9), "basic"),
        ((0, 0, 20), "unsatisfied"),
    ],
)
def test_majority_edges_for_each_base(
    base: str, counts: tuple[int, int, int], verdict: str
) -> None:
    result = tally(SAT, counts3(*counts), rule=Rule(base=base), **_base_kwargs(base, 20))
    assert result.base == 20
    assert result.verdict == verdict


@pytest.mark.parametrize(
    ("base", "verdict", "number"),
    [("valid", "satisfied", 14), ("present", "basic", 24), ("expected", "unsatisfied", 30)],
)
def test_majority_bases_give_different_verdicts(base: str, verdict: str, number: int) -> None:
    # 10 / 3 / 1 of 14 valid ballots; 24 present; 30 expected.
    result = tally(SAT, counts3(10, 3, 1), rule=Rule(base=base), expected=30, present=24)
    assert result.base == number
    assert result.verdict == verdict


def test_majority_counts_invalid_ballots_not_in_valid_base() -> None:
    # 10 satisfied of 21 cast; 1 invalid: base valid = 20 → exactly half → 满意
    result = tally(SAT, counts3(10, 1, 9), 1, rule=Rule(base="valid"))
    assert (result.base, result.verdict) == (20, "satisfied")


def test_majority_base_falls_back_to_present_then_valid() -> None:
    counts = counts3(10, 3, 1)
    fallback = tally(SAT, counts, expected=None, present=24)
    assert (fallback.base, fallback.verdict) == (24, "basic")
    both_unknown = tally(SAT, counts)
    assert (both_unknown.base, both_unknown.verdict) == (14, "satisfied")
    present_unknown = tally(SAT, counts, rule=Rule(base="present"), expected=30)
    assert (present_unknown.base, present_unknown.verdict) == (14, "satisfied")


def test_majority_base_zero_means_not_set() -> None:
    counts = counts3(10, 3, 1)
    assert tally(SAT, counts, expected=0, present=24).base == 24
    assert tally(SAT, counts, expected=0, present=0).base == 14


def test_default_rule_is_majority_over_expected() -> None:
    result = tally(SAT, counts3(10, 3, 1), expected=30, present=24)
    assert (result.base, result.verdict) == (30, "unsatisfied")


def test_no_ballots_no_verdict() -> None:
    for rule in (Rule(), Rule(base="valid"), Rule(kind="threshold")):
        result = tally(SAT, {}, rule=rule, expected=30, present=20)
        assert result.verdict is None
        assert result.total == 0


def test_only_invalid_ballots_gives_last_level() -> None:
    assert tally(SAT, {}, 2, rule=Rule(base="valid")).verdict == "unsatisfied"
    assert tally(SAT, {}, 2, rule=Rule(kind="threshold")).verdict == "unsatisfied"


# --------------------------------------------------------------------------------------------
# Threshold rule
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("counts", "verdict"),
    [
        ((8, 0, 2), "satisfied"),  # exactly 80.00 → top level
        ((4, 4, 2), "satisfied"),
        ((7, 0, 3), "basic"),  # 70
        ((6, 0, 4), "basic"),  # exactly 60.00
        ((5, 0, 5), "unsatisfied"),
        ((0, 0, 10), "unsatisfied"),
    ],
)
def test_threshold_rule(counts: tuple[int, int, int], verdict: str) -> None:
    result = tally(SAT, counts3(*counts), rule=Rule(kind="threshold"), expected=100)
    assert result.verdict == verdict
    assert result.base is None


def test_threshold_just_below_boundary() -> None:
    # 399 / 500 = 79.80 %
    assert tally(SAT, counts3(399, 0, 101), rule=Rule(kind="threshold")).verdict == "basic"


def test_threshold_wrong_length_raises() -> None:
    with pytest.raises(RuleError, match="须有 2 个阈值"):
        tally(SAT, counts3(1, 0, 0), rule=Rule(kind="threshold", thresholds=(90, 75, 60)))
    with pytest.raises(RuleError, match="须有 3 个阈值"):
        tally(SCALES["grade4"], {}, rule=Rule(kind="threshold"))
    # the majority rule does not care about the thresholds
    tally(SAT, counts3(1, 0, 0), rule=Rule(thresholds=(90, 75, 60)))


# --------------------------------------------------------------------------------------------
# Scales
# --------------------------------------------------------------------------------------------


def test_get_scale() -> None:
    assert get_scale(None) is SCALES[DEFAULT_SCALE] is SAT
    assert get_scale("grade4").key == "grade4"
    with pytest.raises(RuleError, match="未知的量表"):
        get_scale("nope")
    with pytest.raises(RuleError):
        get_scale(3)  # type: ignore[arg-type]


def test_scale_basics() -> None:
    assert SAT.option_keys() == ("satisfied", "basic", "unsatisfied")
    assert SAT.label("basic") == "基本满意"
    assert SAT.options[0] == Option("satisfied", "满意")
    assert SAT.is_valid_choice("satisfied")
    assert not SAT.is_valid_choice("abstain")
    assert not SAT.is_valid_choice(None)
    assert not SAT.is_valid_choice(["satisfied"])
    with pytest.raises(RuleError):
        SAT.label("abstain")
    data = SAT.to_dict()
    assert json.loads(json.dumps(data)) == data
    assert data["options"][1] == {"key": "basic", "label": "基本满意"}
    assert data["levels"] == ["satisfied", "basic", "unsatisfied"]
    assert data["score"] is False


def test_all_scales_are_consistent() -> None:
    for key, scale in SCALES.items():
        assert isinstance(scale, Scale)
        assert scale.key == key
        assert scale.positive <= set(scale.levels)
        if not scale.score:
            assert set(scale.levels) <= set(scale.option_keys())
            assert scale.levels[0] == scale.option_keys()[0]
        json.dumps(scale.to_dict())


def test_satisfaction_abstain() -> None:
    scale = SCALES["satisfaction_abstain"]
    assert scale.option_keys()[-1] == "abstain"
    assert scale.label("abstain") == "弃权"
    assert "abstain" not in scale.levels
    result = tally(scale, {"satisfied": 6, "basic": 2, "unsatisfied": 1, "abstain": 1})
    assert result.valid == 10
    assert result.shares["abstain"] == D("10.00")
    assert result.rate == D("80.00")  # abstain is not positive but is in the base
    # weighted score over the 9 non-abstain ballots: (600 + 160 + 0) / 9
    assert result.score == D("84.44")


def test_abstain_counts_in_the_valid_base() -> None:
    scale = SCALES["satisfaction_abstain"]
    counts = {"satisfied": 5, "unsatisfied": 4, "abstain": 2}
    assert tally(scale, counts, rule=Rule(base="valid")).verdict == "unsatisfied"
    without = {"satisfied": 5, "unsatisfied": 4}
    assert tally(scale, without, rule=Rule(base="valid")).verdict == "satisfied"


def test_weighted_score_default_scale() -> None:
    # (25 * 100 + 3 * 80) / 28 = 97.857...
    assert tally(SAT, counts3(25, 3, 0)).score == D("97.86")


def test_grade4() -> None:
    scale = SCALES["grade4"]
    counts = {"excellent": 5, "good": 3, "pass": 1, "fail": 1}
    result = tally(scale, counts, rule=Rule(base="valid"))
    assert result.rate == D("90.00")
    assert result.score == D("82.50")  # (500 + 255 + 70) / 10
    assert result.verdict == "excellent"  # 5 of 10 is half
    thresholds = Rule(kind="threshold", thresholds=(95, 75, 60))
    assert tally(scale, counts, rule=thresholds).verdict == "good"
    assert tally(scale, {"good": 2, "pass": 1}, 0, rule=Rule(base="valid")).verdict == "good"
    assert tally(scale, {"pass": 1, "fail": 2}, rule=Rule(base="valid")).verdict == "fail"
    assert tally(scale, {"good": 1, "pass": 1, "fail": 1}, rule=Rule(base="valid")).verdict == (
        "pass"
    )


def test_competence() -> None:
    scale = SCALES["competence"]
    result = tally(scale, {"competent": 3, "basic": 1, "incompetent": 4}, rule=Rule(base="valid"))
    assert result.rate == D("50.00")
    assert result.score is None  # no weights
    assert result.verdict == "incompetent"  # 3+1 is exactly half
    assert tally(scale, {"competent": 4, "incompetent": 4}, rule=Rule(base="valid")).verdict == (
        "competent"
    )
    assert result.to_dict(scale)["verdict_label"] == "不称职"


def test_score_scale() -> None:
    scale = SCALES["score"]
    ballots = [95, 85, "85", 70, 50, "100", "abc", 101, -1, True, None, 85.0, ""]
    counts, invalid = count_choices(scale, ballots)
    assert counts == {"50": 1, "70": 1, "85": 2, "95": 1, "100": 1}
    assert invalid == 7
    result = tally(scale, counts, invalid, rule=Rule(kind="threshold", thresholds=(99, 98, 97)))
    assert result.valid == 6
    assert result.score == D("80.83")  # 485 / 6
    assert result.median == D("85.00")
    assert result.bands == {"excellent": 2, "good": 2, "pass": 1, "fail": 1}
    assert result.shares == {
        "excellent": D("33.33"),
        "good": D("33.33"),
        "pass": D("16.67"),
        "fail": D("16.67"),
    }
    assert result.rate == D("83.33")  # scores ≥ 60
    assert result.verdict == "good"  # band of the mean; the rule is ignored
    assert result.base is None
    data = result.to_dict(scale)
    assert json.loads(json.dumps(data)) == data
    assert data["verdict_label"] == "良好"
    assert [row["count"] for row in data["options"]] == [2, 2, 1, 1]


def test_score_scale_median_even_and_band_edges() -> None:
    scale = SCALES["score"]
    result = tally(scale, {"60": 1, "89": 1})
    assert result.median == D("74.50")
    assert result.score == D("74.50")
    assert result.verdict == "pass"
    assert result.rate == D("100.00")
    assert tally(scale, {"90": 3}).verdict == "excellent"
    assert tally(scale, {"59": 1}).verdict == "fail"
    assert tally(scale, {"59": 1}).rate == D("0.00")
    assert tally(scale, {"0": 1, "100": 1}).bands == {
        "excellent": 1,
        "good": 0,
        "pass": 0,
        "fail": 1,
    }
    # 89 and 90: mean 89.5 is not yet 90 → 良好
    assert tally(scale, {"89": 1, "90": 1}).verdict == "good"
    empty = tally(scale, {})
    assert (empty.verdict, empty.score, empty.median, empty.rate) == (None, None, None, None)


def test_score_choice_validation() -> None:
    scale = SCALES["score"]
    for good in (0, 100, 59, "0", "100", "7", "085"):
        assert scale.is_valid_choice(good), good
    for bad in (-1, 101, True, False, 85.0, "85.0", " 85", "1000", "", "-1", "١٢", None, []):
        assert not scale.is_valid_choice(bad), bad
    assert scale.option_keys() == ()
    assert scale.label("excellent") == "优秀"
    assert scale.label("85") == "85"
    assert scale.to_dict()["bands"][0] == {
        "key": "excellent",
        "label": "优秀",
        "min": 90,
        "max": 100,
    }


# --------------------------------------------------------------------------------------------
# count_choices and tally validation
# --------------------------------------------------------------------------------------------


def test_count_choices() -> None:
    ballots = [
        "satisfied",
        ["basic"],
        ("satisfied",),
        {"unsatisfied"},
        None,
        "",
        ["satisfied", "basic"],
        ["satisfied", "satisfied"],
        [],
        "bogus",
        "满意",
        1,
        [None],
    ]
    counts, invalid = count_choices(SAT, ballots)
    assert counts == {"satisfied": 2, "basic": 1, "unsatisfied": 1}
    assert list(counts) == ["satisfied", "basic", "unsatisfied"]
    assert invalid == 9


def test_count_choices_zero_filled() -> None:
    assert count_choices(SAT, []) == ({"satisfied": 0, "basic": 0, "unsatisfied": 0}, 0)
    assert count_choices(SCALES["score"], []) == ({}, 0)


@pytest.mark.parametrize(
    "counts",
    [{"bogus": 1}, {"satisfied": -1}, {"satisfied": True}, {"satisfied": 1.0}, ["satisfied"]],
)
def test_tally_rejects_bad_counts(counts: object) -> None:
    with pytest.raises(RuleError):
        tally(SAT, counts)  # type: ignore[arg-type]


def test_tally_rejects_bad_numbers() -> None:
    with pytest.raises(RuleError):
        tally(SAT, {}, -1)
    with pytest.raises(RuleError):
        tally(SAT, {}, expected=-3)
    with pytest.raises(RuleError):
        tally(SAT, {}, present="20")  # type: ignore[arg-type]
    with pytest.raises(RuleError):
        tally(SAT, {}, rule={"kind": "majority"})  # type: ignore[arg-type]


def test_tally_missing_keys_are_zero() -> None:
    result = tally(SAT, {"basic": 2})
    assert result.counts == {"satisfied": 0, "basic": 2, "unsatisfied": 0}


def test_tally_to_dict_is_json_friendly() -> None:
    result = tally(SAT, counts3(25, 3, 0), expected=30)
    data = result.to_dict(SAT)
    assert json.loads(json.dumps(data, ensure_ascii=False)) == data
    assert data["shares"]["satisfied"] == 89.29
    assert data["rate"] == 100.0
    assert data["verdict"] == "satisfied"
    assert data["verdict_label"] == "满意"
    assert data["total"] == 28
    assert data["base"] == 30
    assert data["options"][0] == {"key": "satisfied", "label": "满意", "count": 25, "share": 89.29}
    empty = tally(SAT, {}).to_dict(SAT)
    assert (empty["verdict"], empty["verdict_label"], empty["rate"]) == (None, None, None)


# --------------------------------------------------------------------------------------------
# parse_rule / parse_combine
# --------------------------------------------------------------------------------------------


def test_parse_rule() -> None:
    assert parse_rule(None) == Rule()
    assert parse_rule({}) == Rule()
    rule = parse_rule({"kind": "threshold", "thresholds": [85, 60.5]})
    assert rule == Rule(kind="threshold", thresholds=(85.0, 60.5))
    assert parse_rule(rule.to_dict()) == rule
    assert parse_rule({"base": "present"}).base == "present"
    assert json.loads(json.dumps(Rule().to_dict())) == {
        "kind": "majority",
        "base": "expected",
        "thresholds": [80.0, 60.0],
    }


@pytest.mark.parametrize(
    "data",
    [
        {"kind": "vote"},
        {"kind": 1},
        {"base": "all"},
        {"base": None},
        {"thresholds": [60, 80]},
        {"thresholds": [80, 80]},
        {"thresholds": [120, 60]},
        {"thresholds": [80, -1]},
        {"thresholds": []},
        {"thresholds": "80"},
        {"thresholds": 80},
        {"thresholds": [True, 0]},
        {"thresholds": ["80", "60"]},
        {"thresholds": [float("nan"), 60]},
        {"threshold": [80, 60]},
        ["majority"],
        "majority",
    ],
)
def test_parse_rule_errors(data: object) -> None:
    with pytest.raises(RuleError) as info:
        parse_rule(data)  # type: ignore[arg-type]
    assert str(info.value)


def test_parse_combine() -> None:
    assert parse_combine(None) == Combine()
    assert parse_combine({}) == Combine()
    how = parse_combine({"kind": "weighted", "weights": {"member": 70, "deputy": 30}})
    assert how.kind == "weighted"
    assert dict(how.weights or {}) == {"member": 70.0, "deputy": 30.0}
    assert parse_combine(how.to_dict()) == how
    assert json.loads(json.dumps(how.to_dict()))["weights"] == {"member": 70.0, "deputy": 30.0}
    assert parse_combine({"group": "deputy"}).group == "deputy"


@pytest.mark.parametrize(
    "data",
    [
        {"kind": "average"},
        {"kind": "weighted"},
        {"kind": "weighted", "weights": {}},
        {"kind": "weighted", "weights": {"member": 0}},
        {"kind": "weighted", "weights": {"member": -1}},
        {"kind": "weighted", "weights": {"member": "70"}},
        {"kind": "weighted", "weights": {"member": True}},
        {"kind": "weighted", "weights": {"member": float("inf")}},
        {"kind": "weighted", "weights": [70, 30]},
        {"group": ""},
        {"group": 3},
        {"weight": {"member": 1}},
        [1],
    ],
)
def test_parse_combine_errors(data: object) -> None:
    with pytest.raises(RuleError) as info:
        parse_combine(data)  # type: ignore[arg-type]
    assert str(info.value)


# --------------------------------------------------------------------------------------------
# combine
# --------------------------------------------------------------------------------------------


def test_combine_members_only_ignores_deputies() -> None:
    groups = {
        "member": tally(SAT, counts3(10, 5, 5), 1),
        "deputy": tally(SAT, counts3(0, 0, 30)),
    }
    result = combine(SAT, groups, Combine(), expected=30, present=25)
    expected = tally(SAT, counts3(10, 5, 5), 1, expected=30, present=25)
    assert result == expected
    assert (result.base, result.verdict) == (30, "unsatisfied")
    assert combine(SAT, groups, Combine(), expected=20).verdict == "satisfied"


def test_combine_members_only_without_member_ballots() -> None:
    groups = {"deputy": tally(SAT, counts3(5, 0, 0))}
    result = combine(SAT, groups, Combine(), expected=30)
    assert result.total == 0
    assert result.verdict is None
    assert result.rate is None


def test_combine_weighted_70_30() -> None:
    # members 25/3/0 of 28: 89.2857.. / 10.7142.. / 0; rate 100
    # deputies 1/1/1 of 3: 33.33.. each; rate 66.66..
    # 满意 0.7 * 2500/28 + 0.3 * 100/3 = 62.5 + 10 = 72.5
    # 基本满意 0.7 * 300/28 + 0.3 * 100/3 = 7.5 + 10 = 17.5
    # 不满意 0 + 10 = 10; rate 70 + 20 = 90
    groups = {
        "member": tally(SAT, counts3(25, 3, 0)),
        "deputy": tally(SAT, counts3(1, 1, 1), 2),
    }
    how = Combine(kind="weighted", weights={"member": 70, "deputy": 30})
    result = combine(SAT, groups, how, expected=40)
    assert result.shares == {
        "satisfied": D("72.50"),
        "basic": D("17.50"),
        "unsatisfied": D("10.00"),
    }
    assert result.rate == D("90.00")
    assert result.counts == counts3(26, 4, 1)
    assert (result.valid, result.invalid) == (31, 2)
    assert result.verdict == "satisfied"
    assert result.base == 31
    # weighted score: 0.7 * 2740/28 + 0.3 * 180/3 = 68.5 + 18 = 86.5
    assert result.score == D("86.50")


def test_combine_weighted_majority_uses_weighted_shares() -> None:
    # members 4/2/4 → 40/20/40; deputies 4/0/6 → 40/0/60
    # weighted: 满意 40, cumulative 40 + 14 = 54 > 50 → 基本满意
    # (the plain sums 8/2/10 of 20 would give 不满意)
    groups = {"member": tally(SAT, counts3(4, 2, 4)), "deputy": tally(SAT, counts3(4, 0, 6))}
    how = Combine(kind="weighted", weights={"member": 70, "deputy": 30})
    result = combine(SAT, groups, how, rule=Rule(base="valid"))
    assert result.shares["satisfied"] == D("40.00")
    assert result.shares["basic"] == D("14.00")
    assert result.verdict == "basic"
    assert tally(SAT, counts3(8, 2, 10), rule=Rule(base="valid")).verdict == "unsatisfied"
    # threshold rule on the combined rate 0.7 * 60 + 0.3 * 40 = 54
    threshold = combine(SAT, groups, how, rule=Rule(kind="threshold"))
    assert threshold.rate == D("54.00")
    assert threshold.verdict == "unsatisfied"
    assert threshold.base is None


def test_combine_weighted_exactly_half_is_satisfied() -> None:
    # members 50 % satisfied, deputies 50 % satisfied → weighted 50 % → 满意
    groups = {"member": tally(SAT, counts3(5, 0, 5)), "deputy": tally(SAT, counts3(1, 0, 1))}
    how = Combine(kind="weighted", weights={"member": 70, "deputy": 30})
    assert combine(SAT, groups, how).verdict == "satisfied"


def test_combine_weighted_skips_groups_without_valid_ballots() -> None:
    groups = {"member": tally(SAT, counts3(25, 3, 0)), "deputy": tally(SAT, {}, 3)}
    how = Combine(kind="weighted", weights={"member": 70, "deputy": 30})
    result = combine(SAT, groups, how)
    assert result.shares == tally(SAT, counts3(25, 3, 0)).shares
    assert result.rate == D("100.00")
    assert result.invalid == 3
    nothing = combine(SAT, {"deputy": tally(SAT, {})}, how)
    assert (nothing.verdict, nothing.rate, nothing.total) == (None, None, 0)
    only_invalid = combine(SAT, {"deputy": tally(SAT, {}, 2)}, how)
    assert only_invalid.verdict == "unsatisfied"
    assert only_invalid.shares == dict.fromkeys(SAT.option_keys(), D("0.00"))


def test_combine_weighted_ignores_groups_without_weight() -> None:
    groups = {"member": tally(SAT, counts3(3, 0, 0)), "guest": tally(SAT, counts3(0, 0, 9))}
    how = Combine(kind="weighted", weights={"member": 1})
    result = combine(SAT, groups, how)
    assert result.counts == counts3(3, 0, 0)
    assert result.rate == D("100.00")


def test_combine_weighted_score_scale() -> None:
    scale = SCALES["score"]
    groups = {"member": tally(scale, {"90": 2}), "deputy": tally(scale, {"50": 1})}
    how = Combine(kind="weighted", weights={"member": 70, "deputy": 30})
    result = combine(scale, groups, how)
    assert result.score == D("78.00")  # 0.7 * 90 + 0.3 * 50
    assert result.verdict == "pass"
    assert result.rate == D("70.00")
    assert result.bands == {"excellent": 2, "good": 0, "pass": 0, "fail": 1}
    assert result.counts == {"50": 1, "90": 2}
    assert result.median is None


def test_combine_threshold_length_checked() -> None:
    with pytest.raises(RuleError):
        combine(SAT, {}, Combine(), rule=Rule(kind="threshold", thresholds=(50,)))


# --------------------------------------------------------------------------------------------
# rank
# --------------------------------------------------------------------------------------------


def test_rank_ties_share_a_rank() -> None:
    entries = [
        ("c", tally(SAT, counts3(1, 1, 0))),  # rate 100, 满意 50
        ("a", tally(SAT, counts3(25, 3, 0))),  # rate 100, 满意 89.29
        ("b", tally(SAT, counts3(25, 3, 0))),  # same as a
        ("d", tally(SAT, counts3(0, 1, 1))),  # rate 50
    ]
    assert rank(entries) == [(1, "a"), (1, "b"), (3, "c"), (4, "d")]


def test_rank_tie_broken_by_best_share_and_none_last() -> None:
    x = tally(SAT, counts3(6, 3, 1))  # rate 90, 满意 60
    y = tally(SAT, counts3(7, 2, 1))  # rate 90, 满意 70
    z = tally(SAT, counts3(10, 0, 0))  # rate 100
    none1 = tally(SAT, {}, 2)
    none2 = tally(SAT, {})
    ranked = rank([(1, none1), (2, x), (3, y), (4, none2), (5, z)])
    assert ranked == [(1, 5), (2, 3), (3, 2), (4, 1), (4, 4)]
    assert rank([]) == []


def test_rank_score_scale_and_any_key_type() -> None:
    scale = SCALES["score"]
    entries = [
        ((1, "a"), tally(scale, {"70": 1})),  # rate 100, 优秀 share 0
        ((2, "b"), tally(scale, {"95": 1})),  # rate 100, 优秀 share 100
        ((3, "c"), tally(scale, {"95": 1, "50": 1})),  # rate 50
        ((4, "d"), tally(scale, {"75": 2})),  # same as (1, "a")
    ]
    assert rank(entries) == [(1, (2, "b")), (2, (1, "a")), (2, (4, "d")), (4, (3, "c"))]


# --------------------------------------------------------------------------------------------
# Properties
# --------------------------------------------------------------------------------------------

_INVALID = st.one_of(
    st.none(),
    st.just(""),
    st.just("bogus"),
    st.just([]),
    st.booleans(),
    st.floats(allow_nan=False),
    st.integers(min_value=101, max_value=1000),
    st.integers(max_value=-1),
)


def _valid_choices(scale: Scale) -> st.SearchStrategy[object]:
    if scale.score:
        scores = st.integers(min_value=0, max_value=100)
        return st.one_of(scores, scores.map(str))
    return st.sampled_from(scale.option_keys())


@st.composite
def ballots_for(draw: st.DrawFn, scale: Scale) -> list[object]:
    valid = _valid_choices(scale)
    ballot = st.one_of(
        valid,
        valid,
        valid,
        _INVALID,
        st.lists(valid, min_size=1, max_size=1),
        st.lists(valid, min_size=2, max_size=3),
    )
    return draw(st.lists(ballot, max_size=60))


@st.composite
def rules(draw: st.DrawFn, scale: Scale) -> Rule:
    if draw(st.booleans()):
        return Rule(base=draw(st.sampled_from(["expected", "present", "valid"])))
    count = len(scale.levels) - 1
    values = draw(
        st.lists(
            st.integers(min_value=0, max_value=100), min_size=count, max_size=count, unique=True
        )
    )
    return Rule(kind="threshold", thresholds=tuple(sorted(values, reverse=True)))


@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_property_count_and_tally(data: st.DataObject) -> None:
    scale = data.draw(st.sampled_from(list(SCALES.values())))
    ballots = data.draw(ballots_for(scale))
    rule = data.draw(rules(scale))
    expected = data.draw(st.none() | st.integers(min_value=0, max_value=80))
    present = data.draw(st.none() | st.integers(min_value=0, max_value=80))

    counts, invalid = count_choices(scale, ballots)
    result = tally(scale, counts, invalid, rule=rule, expected=expected, present=present)

    assert sum(result.counts.values()) == result.valid
    assert result.valid + result.invalid == len(ballots) == result.total
    assert set(scale.option_keys()) <= set(result.counts)
    if result.valid > 0:
        tolerance = D("0.005") * len(result.shares)
        assert abs(sum(result.shares.values()) - 100) <= tolerance
        assert result.rate is not None
        positive = sum(result.shares[key] for key in scale.positive)
        assert abs(result.rate - positive) <= D("0.005") * (len(scale.positive) + 1)
        assert D(0) <= result.rate <= D(100)
    else:
        assert result.rate is None
        assert set(result.shares.values()) <= {D("0.00")}
    if ballots:
        assert result.verdict in scale.levels
    else:
        assert result.verdict is None
    assert json.dumps(result.to_dict(scale))


@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_property_combine_weighted(data: st.DataObject) -> None:
    scale = data.draw(st.sampled_from(list(SCALES.values())))
    groups = {
        name: tally(scale, *count_choices(scale, data.draw(ballots_for(scale))))
        for name in ("member", "deputy")
    }
    weights = data.draw(
        st.fixed_dictionaries(
            {
                "member": st.integers(min_value=1, max_value=100),
                "deputy": st.floats(min_value=0.5, max_value=100),
            }
        )
    )
    result = combine(scale, groups, Combine(kind="weighted", weights=weights))
    assert result.valid == sum(group.valid for group in groups.values())
    assert result.invalid == sum(group.invalid for group in groups.values())
    if result.valid:
        assert abs(sum(result.shares.values()) - 100) <= D("0.005") * len(result.shares)
        assert result.verdict in scale.levels
    elif result.total == 0:
        assert result.verdict is None


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 5), st.integers(0, 5), st.integers(0, 5)), max_size=12))
def test_property_rank(rows: list[tuple[int, int, int]]) -> None:
    entries = [(f"item{i}", tally(SAT, counts3(*row))) for i, row in enumerate(rows)]
    ranked = rank(entries)
    assert sorted(key for _, key in ranked) == sorted(key for key, _ in entries)
    numbers = [number for number, _ in ranked]
    assert numbers == sorted(numbers)
    for position, number in enumerate(numbers, start=1):
        assert 1 <= number <= position
    if ranked:
        assert numbers[0] == 1
    by_key = dict(entries)
    rates = [by_key[key].rate for _, key in ranked]
    known = [rate for rate in rates if rate is not None]
    assert known == sorted(known, reverse=True)
    assert rates[len(known) :] == [None] * (len(rates) - len(known))


def test_tally_type() -> None:
    assert isinstance(tally(SAT, {}), Tally)
