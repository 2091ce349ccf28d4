"""The counting rule in words: one short line beside every verdict, saying how it was reached.

Pure, like `voting.rules`, whose numbers it states: e.g. "按应到 60 人计：满意票达 30 票为满意，
满意与基本满意合计超过 30 票为基本满意". Tested against `rules.tally` (tests/test_rule_text.py).
`lang="en"` says the same in English for the English pages and exports ("Counted against the 60
expected members: Satisfied with at least 30 Satisfied votes; …"), with the labels of `ENGLISH`
(the same as the English catalog's: tests/test_labels.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from voting.rules import (
    SCORE_BANDS,
    Combine,
    Rule,
    Scale,
    get_scale,
    parse_combine,
    parse_rule,
    rule_base,
)

MAJORITY = Rule()  # the default rule: a majority of 应到

#: What 满意率 is called on each scale (the share of the positive levels).
RATE_NAMES: Mapping[str, str] = MappingProxyType(
    {
        "satisfaction": "满意率",
        "satisfaction_abstain": "满意率",
        "grade4": "合格率",
        "competence": "称职率",
        "score": "合格率",
    }
)

_BASE_WORDS = {"expected": "应到", "present": "实到"}

#: The scales' labels in English: what the English pages and exports show for them.
ENGLISH: Mapping[str, str] = MappingProxyType(
    {
        "满意": "Satisfied",
        "基本满意": "Basically satisfied",
        "不满意": "Unsatisfied",
        "弃权": "Abstain",
        "优秀": "Excellent",
        "良好": "Good",
        "合格": "Pass",
        "不合格": "Fail",
        "称职": "Competent",
        "基本称职": "Basically competent",
        "不称职": "Incompetent",
        "满意率": "Satisfaction rate",
        "合格率": "Pass rate",
        "称职率": "Competence rate",
    }
)
_BASE_EN = {"expected": "the %s expected members", "present": "the %s members present"}
_BASE_EN_UNKNOWN = {"expected": "the number of expected members", "present": "those present"}
_WEIGHTED_EN = "Weighted by group: "


def _number(value: float) -> str:
    """A threshold as the meeting wrote it: 80 rather than 80.0, 62.5 as it is."""
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def _joined(labels: list[str]) -> str:
    """满意 / 满意与基本满意 / 优秀、良好与合格."""
    return labels[0] if len(labels) == 1 else "、".join(labels[:-1]) + "与" + labels[-1]


def _majority_words(scale: Scale, first: str, rest: str, noun: str = "票") -> str:
    """满意票达 {first}为满意，满意与基本满意合计超过 {rest}为基本满意 (and so on)."""
    labels = [scale.label(level) for level in scale.levels]
    parts = [f"{labels[0]}{noun}达{first}为{labels[0]}"]
    for index in range(1, len(labels) - 1):
        parts.append(f"{_joined(labels[: index + 1])}合计超过{rest}为{labels[index]}")
    return "，".join(parts)


def _threshold_words(scale: Scale, rule: Rule) -> str:
    rate_name = RATE_NAMES.get(scale.key, "满意率")
    labels = [scale.label(level) for level in scale.levels]
    parts = [
        f"{rate_name if n == 0 else ''}达 {_number(value)}% 为{label}"
        for n, (label, value) in enumerate(zip(labels, rule.thresholds, strict=False))
    ]
    return "，".join(parts)


def _score_words() -> str:
    parts = [f"达 {band.low} 分为{band.label}" for band in SCORE_BANDS[:-1]]
    return "平均分" + "，".join(parts) + f"，不足 {SCORE_BANDS[-2].low} 分为{SCORE_BANDS[-1].label}"


def _joined_en(labels: list[str]) -> str:
    """Satisfied / Satisfied and Basically satisfied / Excellent, Good and Pass."""
    return labels[0] if len(labels) == 1 else ", ".join(labels[:-1]) + " and " + labels[-1]


def _labels_en(scale: Scale) -> list[str]:
    return [ENGLISH.get(scale.label(level), scale.label(level)) for level in scale.levels]


def _majority_en(scale: Scale, first: str, rest: str, noun: str = "votes") -> str:
    """Satisfied with at least 30 Satisfied votes; Basically satisfied with more than 30
    Satisfied and Basically satisfied votes together (and so on)."""
    labels = _labels_en(scale)
    parts = [f"{labels[0]} with at least {first} {labels[0]} {noun}"]
    for index in range(1, len(labels) - 1):
        joined = _joined_en(labels[: index + 1])
        parts.append(f"{labels[index]} with more than {rest} {joined} {noun} together")
    return "; ".join(parts)


def _threshold_en(scale: Scale, rule: Rule) -> str:
    rate_name = ENGLISH[RATE_NAMES.get(scale.key, "满意率")]
    pairs = zip(_labels_en(scale), rule.thresholds, strict=False)
    parts = [f"at least {_number(value)}% for {label}" for label, value in pairs]
    return f"{rate_name} " + "; ".join(parts)


def _score_en() -> str:
    parts = [f"at least {band.low} for {ENGLISH[band.label]}" for band in SCORE_BANDS[:-1]]
    last = SCORE_BANDS[-1]
    return (
        "Average score "
        + "; ".join(parts)
        + f"; below {SCORE_BANDS[-2].low} for {ENGLISH[last.label]}"
    )


def describe_en(
    scale: Scale, rule: Rule, base_count: int | None, base: str | None, weighted: bool
) -> str:
    """`describe` in English: "Counted against the 60 expected members: Satisfied with at least
    30 Satisfied votes; Basically satisfied with more than 30 Satisfied and Basically satisfied
    votes together"."""
    prefix = _WEIGHTED_EN if weighted else ""
    if scale.score:
        return prefix + _score_en()
    if rule.kind == "threshold":
        return prefix + _threshold_en(scale, rule)
    if weighted:
        return prefix + _majority_en(scale, "50%", "50%", "share")
    base = base or rule.base
    if base in _BASE_EN and base_count:
        first, rest = str(-(-base_count // 2)), str(base_count // 2)
        return f"Counted against {_BASE_EN[base] % base_count}: " + _majority_en(scale, first, rest)
    if base in _BASE_EN:  # the number is not known yet
        return f"Counted against {_BASE_EN_UNKNOWN[base]}: " + _majority_en(scale, "half", "half")
    return "Counted against the valid ballots: " + _majority_en(scale, "half", "half")


def describe(
    scale: Scale,
    rule: Rule = MAJORITY,
    base_count: int | None = None,
    *,
    base: str | None = None,
    how: Combine | None = None,
    lang: str = "zh",
) -> str:
    """One short line, in the meeting's words, saying how a verdict is reached.

    ``base_count`` is the majority base's number (应到 or 实到); ``base`` the base actually used
    when it differs from ``rule.base`` (a missing 应到 falls back to 实到, then to the valid
    ballots: see ``rule_base``). The numbers are the ones ``tally`` uses: with base B the best
    level needs ⌈B/2⌉ votes ("达"), the next ones more than ⌊B/2⌋ together ("超过"). E.g.
    "按应到 60 人计：满意票达 30 票为满意，满意与基本满意合计超过 30 票为基本满意".
    ``lang="en"`` gives the English line (`describe_en`).
    """
    weighted = how is not None and how.kind == "weighted"
    if lang == "en":
        return describe_en(scale, rule, base_count, base, weighted)
    if scale.score:
        return ("按各类别加权" if weighted else "") + _score_words()
    if rule.kind == "threshold":
        words = _threshold_words(scale, rule)
        return f"按各类别加权{words}" if weighted else words
    if weighted:
        return "按各类别加权占比计：" + _majority_words(scale, " 50% ", " 50% ", "占比")
    base = base or rule.base
    if base in _BASE_WORDS and base_count:
        first, rest = f" {-(-base_count // 2)} 票", f" {base_count // 2} 票"
        return f"按{_BASE_WORDS[base]} {base_count} 人计：" + _majority_words(scale, first, rest)
    if base in _BASE_WORDS:  # the number is not known yet
        return f"按{_BASE_WORDS[base]}人数计：" + _majority_words(scale, "半数", "半数")
    return "按有效票计：" + _majority_words(scale, "有效票半数", "有效票半数")


def rule_text(
    scale: Scale,
    rule: Rule,
    how: Combine,
    expected: int | None,
    present: int | None,
    lang: str = "zh",
) -> str:
    """`describe` for a meeting's settings, 应到 and the counted group's 实到."""
    base, number = rule_base(rule, expected, present)
    return describe(scale, rule, number, base=base, how=how, lang=lang)


def results_rule_text(results: Mapping[str, Any], lang: str = "en") -> str:
    """The rule line of a results payload (`results.meeting_results`), said again in `lang`."""
    return rule_text(
        get_scale(results["scale"]["key"]),
        parse_rule(results["rule"]),
        parse_combine(results["combine"]),
        results["expected"],
        results["present"],
        lang,
    )
