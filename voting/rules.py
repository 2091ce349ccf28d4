"""Counting rules for 测评: scales, tallies, rates, verdicts, group combination and ranking.

Pure functions over plain data. This module imports neither Flask nor a database and keeps no
state; everything that depends on a meeting's settings is passed in.

Rounding: every percentage and score is computed exactly (integer / ``Fraction`` arithmetic) and
then rounded once, half-up, to 2 decimals, giving a ``Decimal`` such as ``Decimal("89.29")``. This
is the same as ``Decimal.quantize(Decimal("0.01"), ROUND_HALF_UP)`` applied to the exact value,
without the double rounding a limited-precision division could introduce. Floats are never used
for a result; comparisons (verdicts) are made on the exact, unrounded values.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from types import MappingProxyType
from typing import Any, TypeVar

from voting.errors import RuleError

__all__ = [
    "DEFAULT_SCALE",
    "SCALES",
    "SCORE_BANDS",
    "Combine",
    "Option",
    "Rule",
    "RuleError",
    "Scale",
    "Tally",
    "combine",
    "best_reachable",
    "count_choices",
    "get_scale",
    "parse_combine",
    "parse_rule",
    "rank",
    "rule_base",
    "tally",
]

K = TypeVar("K")

_CENT = Decimal("0.01")
_ZERO = Decimal("0.00")
_HUNDRED = Fraction(100)


# --------------------------------------------------------------------------------------------
# Scales
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Option:
    """One answer option of a scale."""

    key: str  # ASCII key used in the vote protocol and the database
    label: str  # Chinese label shown to users


@dataclass(frozen=True)
class Band:
    """One band of the 0–100 score scale: scores ``low``..``high`` inclusive."""

    key: str
    label: str
    low: int
    high: int


#: The bands of the score scale, best first. A score (or a mean) belongs to the first band whose
#: ``low`` it reaches; scores of 60 and more count as positive (合格 or better).
SCORE_BANDS: tuple[Band, ...] = (
    Band("excellent", "优秀", 90, 100),
    Band("good", "良好", 80, 89),
    Band("pass", "合格", 60, 79),
    Band("fail", "不合格", 0, 59),
)
_SCORE_MAX = 100
_SCORE_PASS = 60


@dataclass(frozen=True)
class Scale:
    """A set of answer options (测评等次) and how they are graded.

    ``levels`` are the graded option keys, best first, used for verdicts; an option that is not a
    level (弃权) is still a valid ballot and so part of the valid base. ``positive`` are the keys
    counted in 满意率. ``weights`` (optional) give a weighted score per option; options without a
    weight (弃权) are left out of that score, which averages over the weighted ballots only.

    The score scale (``score=True``) has no options: a choice is an integer score 0–100, counted
    under the key ``str(score)``; its levels and positive keys are the keys of ``SCORE_BANDS``.
    """

    key: str
    name: str
    options: tuple[Option, ...]
    levels: tuple[str, ...]
    positive: frozenset[str]
    weights: Mapping[str, int] | None = None
    score: bool = False

    def option_keys(self) -> tuple[str, ...]:
        """The option keys in display order (empty for the score scale)."""
        return tuple(option.key for option in self.options)

    def choice_key(self, choice: object) -> str | None:
        """The canonical key of a valid choice, or None if ``choice`` is not valid.

        For the score scale a score given as an int or as a string of digits is returned as
        ``str(int(score))``, so ``85`` and ``"085"`` both give ``"85"``.
        """
        if self.score:
            if isinstance(choice, bool):
                return None
            if isinstance(choice, int):
                return str(choice) if 0 <= choice <= _SCORE_MAX else None
            if (
                isinstance(choice, str)
                and 0 < len(choice) <= 3
                and choice.isascii()
                and choice.isdigit()
                and int(choice) <= _SCORE_MAX
            ):
                return str(int(choice))
            return None
        if isinstance(choice, str) and choice in self.option_keys():
            return choice
        return None

    def is_valid_choice(self, choice: object) -> bool:
        """True if ``choice`` is one valid answer on this scale.

        An option key for the ordinary scales; for the score scale an int (not a bool) 0..100, or
        a string of digits "0".."100".
        """
        return self.choice_key(choice) is not None

    def label(self, key: str) -> str:
        """The Chinese label of an option key (or, on the score scale, of a band or a score)."""
        for option in self.options:
            if option.key == key:
                return option.label
        if self.score:
            for band in SCORE_BANDS:
                if band.key == key:
                    return band.label
            normal = self.choice_key(key)
            if normal is not None:
                return normal
        raise RuleError("%(key)r 不是量表 %(scale)r 的选项。", key=key, scale=self.key)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-friendly description: key, name, options, levels, positive, score (+ bands)."""
        data: dict[str, Any] = {
            "key": self.key,
            "name": self.name,
            "options": [{"key": o.key, "label": o.label} for o in self.options],
            "levels": list(self.levels),
            "positive": [key for key in self.levels if key in self.positive],
            "score": self.score,
        }
        if self.score:
            data["bands"] = [
                {"key": b.key, "label": b.label, "min": b.low, "max": b.high} for b in SCORE_BANDS
            ]
        return data


def _options(*pairs: tuple[str, str]) -> tuple[Option, ...]:
    return tuple(Option(key, label) for key, label in pairs)


def _weights(weights: dict[str, int]) -> Mapping[str, int]:
    return MappingProxyType(weights)


_SATISFACTION_OPTIONS = _options(
    ("satisfied", "满意"), ("basic", "基本满意"), ("unsatisfied", "不满意")
)
_SATISFACTION_WEIGHTS = _weights({"satisfied": 100, "basic": 80, "unsatisfied": 0})

#: The key of the default scale.
DEFAULT_SCALE = "satisfaction"

#: All scales by key.
SCALES: dict[str, Scale] = {
    scale.key: scale
    for scale in (
        Scale(
            key="satisfaction",
            name="满意 / 基本满意 / 不满意",
            options=_SATISFACTION_OPTIONS,
            levels=("satisfied", "basic", "unsatisfied"),
            positive=frozenset({"satisfied", "basic"}),
            weights=_SATISFACTION_WEIGHTS,
        ),
        Scale(
            key="satisfaction_abstain",
            name="满意 / 基本满意 / 不满意 / 弃权",
            options=(*_SATISFACTION_OPTIONS, Option("abstain", "弃权")),
            levels=("satisfied", "basic", "unsatisfied"),
            positive=frozenset({"satisfied", "basic"}),
            # 弃权 has no weight: the weighted score averages over the other ballots only.
            weights=_SATISFACTION_WEIGHTS,
        ),
        Scale(
            key="grade4",
            name="优秀 / 良好 / 合格 / 不合格",
            options=_options(
                ("excellent", "优秀"), ("good", "良好"), ("pass", "合格"), ("fail", "不合格")
            ),
            levels=("excellent", "good", "pass", "fail"),
            positive=frozenset({"excellent", "good", "pass"}),
            # A default; published practice varies.
            weights=_weights({"excellent": 100, "good": 85, "pass": 70, "fail": 0}),
        ),
        Scale(
            key="competence",
            name="称职 / 基本称职 / 不称职",
            options=_options(
                ("competent", "称职"), ("basic", "基本称职"), ("incompetent", "不称职")
            ),
            levels=("competent", "basic", "incompetent"),
            positive=frozenset({"competent", "basic"}),
        ),
        Scale(
            key="score",
            name="百分制评分 (0–100)",
            options=(),
            levels=tuple(band.key for band in SCORE_BANDS),
            positive=frozenset(band.key for band in SCORE_BANDS if band.low >= _SCORE_PASS),
            score=True,
        ),
    )
}


def get_scale(key: str | None) -> Scale:
    """The scale with this key; None gives the default scale. Unknown keys raise RuleError."""
    if key is None:
        return SCALES[DEFAULT_SCALE]
    if isinstance(key, str) and key in SCALES:
        return SCALES[key]
    known = ", ".join(SCALES)
    raise RuleError("未知的量表 %(key)r；可用的量表：%(known)s。", key=key, known=known)


# --------------------------------------------------------------------------------------------
# Rules (verdicts)
# --------------------------------------------------------------------------------------------

_RULE_KINDS = ("majority", "threshold")
_BASES = ("expected", "present", "valid")


MAX_WEIGHT = 1_000_000


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


@dataclass(frozen=True)
class Rule:
    """How a verdict (等次) is reached.

    ``majority`` (default, published practice): with levels L0 (best) .. Ln and base B, the
    verdict is L0 if count(L0) ≥ B/2; else the first Li (i ≥ 1) with count(L0..Li) > B/2; else
    the last level. So 满意 needs half of the base (half counts, "以上"), 基本满意 needs more than
    half together with 满意 ("过半数"; exactly half is 不满意). ``base`` names B: ``expected``
    (应到, default), ``present`` (实到) or ``valid`` (valid ballots). A base whose number is not
    known (None, or 0) falls back to present, then to valid ballots.

    ``threshold``: the verdict is L0 if 满意率 ≥ thresholds[0], L1 if ≥ thresholds[1], ..., else
    the last level. Thresholds are percentages, strictly descending, one fewer than the levels.
    """

    kind: str = "majority"
    base: str = "expected"
    thresholds: tuple[float, ...] = (80.0, 60.0)

    def __post_init__(self) -> None:
        if self.kind not in _RULE_KINDS:
            raise RuleError(
                "未知的规则类型 %(kind)r；可用：%(known)s。",
                kind=self.kind,
                known=", ".join(_RULE_KINDS),
            )
        if self.base not in _BASES:
            raise RuleError(
                "未知的计票基数 %(base)r；可用：%(known)s。",
                base=self.base,
                known=", ".join(_BASES),
            )
        if not isinstance(self.thresholds, list | tuple) or not self.thresholds:
            raise RuleError("thresholds 须为非空的百分比列表。")
        for value in self.thresholds:
            if not _is_number(value) or not 0 <= value <= 100:
                raise RuleError("每个阈值须为 0 到 100 之间的数，而非 %(value)r。", value=value)
        values = tuple(float(value) for value in self.thresholds)
        if any(a <= b for a, b in zip(values, values[1:], strict=False)):
            raise RuleError("阈值须严格递减，而非 %(values)s。", values=list(values))
        object.__setattr__(self, "thresholds", values)

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly form, accepted back by ``parse_rule``."""
        return {"kind": self.kind, "base": self.base, "thresholds": list(self.thresholds)}


def _check_keys(what: str, data: Mapping[Any, Any], allowed: tuple[str, ...]) -> None:
    unknown = [key for key in data if key not in allowed]
    if unknown:
        names = ", ".join(repr(key) for key in unknown)
        raise RuleError(
            "%(what)s 中有未知的设置：%(names)s；可用：%(allowed)s。",
            what=what,
            names=names,
            allowed=", ".join(allowed),
        )


def _get_str(what: str, data: Mapping[str, Any], key: str, default: str) -> str:
    value = data.get(key, default)
    if not isinstance(value, str):
        raise RuleError(
            "%(what)s %(key)r 须为字符串，而非 %(value)r。", what=what, key=key, value=value
        )
    return value


def parse_rule(data: Mapping[str, Any] | None) -> Rule:
    """Build a Rule from settings such as ``{"kind": "threshold", "thresholds": [80, 60]}``.

    None gives the default rule (majority over expected). Missing keys take their defaults;
    unknown keys, wrong types and bad values raise RuleError.
    """
    if data is None:
        return Rule()
    if isinstance(data, Rule):
        return data
    if not isinstance(data, Mapping):
        raise RuleError("rule 须为对象，而非 %(type)s。", type=type(data).__name__)
    _check_keys("rule", data, ("kind", "base", "thresholds"))
    kind = _get_str("rule", data, "kind", Rule.kind)
    base = _get_str("rule", data, "base", Rule.base)
    thresholds = data.get("thresholds", Rule.thresholds)
    if not isinstance(thresholds, list | tuple):
        raise RuleError("rule 的 thresholds 须为数字列表，而非 %(value)r。", value=thresholds)
    return Rule(kind=kind, base=base, thresholds=tuple(thresholds))


# --------------------------------------------------------------------------------------------
# Counting
# --------------------------------------------------------------------------------------------


def _ballot_key(scale: Scale, ballot: object) -> str | None:
    if isinstance(ballot, list | tuple | set | frozenset):
        if len(ballot) != 1:
            return None
        (ballot,) = ballot
    return scale.choice_key(ballot)


def count_choices(scale: Scale, ballots: Iterable[object]) -> tuple[dict[str, int], int]:
    """Count ballots, one choice each, into ``(counts, invalid)``.

    A valid choice counts (a list, tuple or set holding exactly one valid choice counts as that
    choice). None, "", several or zero choices, and anything that is not a valid choice are
    invalid. ``counts`` has every option key, zero-filled, in display order; for the score scale
    it has only the scores that occur, keyed ``str(score)``, in ascending order.
    """
    counts: dict[str, int] = dict.fromkeys(scale.option_keys(), 0)
    invalid = 0
    for ballot in ballots:
        key = _ballot_key(scale, ballot)
        if key is None:
            invalid += 1
        else:
            counts[key] = counts.get(key, 0) + 1
    if scale.score:
        counts = {key: counts[key] for key in sorted(counts, key=int)}
    return counts, invalid


def _check_count(what: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise RuleError("%(what)s 须为非负整数，而非 %(value)r。", what=what, value=value)
    return value


def _check_optional_count(what: str, value: object) -> int | None:
    return None if value is None else _check_count(what, value)


def _clean_counts(scale: Scale, counts: Mapping[Any, int]) -> dict[str, int]:
    """Validate counts and return them zero-filled / normalised as ``count_choices`` would."""
    if not isinstance(counts, Mapping):
        raise RuleError("counts 须为“选项: 票数”的对象，而非 %(value)r。", value=counts)
    clean: dict[str, int] = dict.fromkeys(scale.option_keys(), 0)
    for choice, count in counts.items():
        key = scale.choice_key(choice)
        if key is None:
            raise RuleError(
                "%(choice)r 不是量表 %(scale)r 的选项。", choice=choice, scale=scale.key
            )
        clean[key] = clean.get(key, 0) + _check_count(repr(choice), count)
    if scale.score:
        clean = {key: clean[key] for key in sorted(clean, key=int) if clean[key]}
    return clean


# --------------------------------------------------------------------------------------------
# Tally
# --------------------------------------------------------------------------------------------


def _round2(value: Fraction) -> Decimal:
    """Round an exact value half-up (away from zero) to 2 decimals."""
    if value < 0:
        return -_round2(-value)
    hundredths = value * 100
    num, den = hundredths.numerator, hundredths.denominator
    return (Decimal((2 * num + den) // (2 * den)) / 100).quantize(_CENT)


def _round2_opt(value: Fraction | None) -> Decimal | None:
    return None if value is None else _round2(value)


def _as_float(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


@dataclass(frozen=True)
class Tally:
    """The result of counting one item (and aspect), for one group or combined.

    ``shares`` (percent of valid ballots) are per option, or per band on the score scale; all
    ``0.00`` when there are no valid ballots. ``rate`` is 满意率, None without valid ballots.
    ``verdict`` is a level key, None only when nothing was cast. ``base`` is the number the
    majority rule compared against (None for the threshold rule and the score scale). ``score``
    is the weighted score (scales with weights) or the mean score (score scale).
    """

    counts: dict[str, int]
    valid: int
    invalid: int
    shares: dict[str, Decimal]
    rate: Decimal | None
    verdict: str | None
    base: int | None
    score: Decimal | None = None
    median: Decimal | None = None
    bands: dict[str, int] | None = None

    @property
    def total(self) -> int:
        """All ballots cast: valid + invalid."""
        return self.valid + self.invalid

    def to_dict(self, scale: Scale) -> dict[str, Any]:
        """JSON-friendly form: Decimals as floats, plus ``verdict_label`` and ``options``.

        ``options`` lists ``{key, label, count, share}`` per option, or per band on the score
        scale.
        """
        if scale.score:
            bands = self.bands or {}
            rows = [(b.key, b.label, bands.get(b.key, 0)) for b in SCORE_BANDS]
        else:
            rows = [(o.key, o.label, self.counts.get(o.key, 0)) for o in scale.options]
        return {
            "counts": dict(self.counts),
            "valid": self.valid,
            "invalid": self.invalid,
            "total": self.total,
            "shares": {key: float(value) for key, value in self.shares.items()},
            "rate": _as_float(self.rate),
            "verdict": self.verdict,
            "verdict_label": None if self.verdict is None else scale.label(self.verdict),
            "base": self.base,
            "score": _as_float(self.score),
            "median": _as_float(self.median),
            "bands": None if self.bands is None else dict(self.bands),
            "options": [
                {
                    "key": key,
                    "label": label,
                    "count": count,
                    "share": float(self.shares.get(key, _ZERO)),
                }
                for key, label, count in rows
            ],
        }


@dataclass(frozen=True)
class _Exact:
    """Unrounded results: shares and rate in percent, score."""

    shares: dict[str, Fraction]
    rate: Fraction | None
    score: Fraction | None


def _band_of(value: Fraction) -> str:
    for band in SCORE_BANDS:
        if value >= band.low:
            return band.key
    return SCORE_BANDS[-1].key


def _score_bands(counts: Mapping[str, int]) -> dict[str, int]:
    bands = dict.fromkeys((band.key for band in SCORE_BANDS), 0)
    for key, count in counts.items():
        bands[_band_of(Fraction(int(key)))] += count
    return bands


def _median(counts: Mapping[str, int], valid: int) -> Fraction | None:
    if valid == 0:
        return None
    wanted = ((valid - 1) // 2, valid // 2)
    found: list[int] = []
    seen = 0
    for key in sorted(counts, key=int):
        seen += counts[key]
        while len(found) < 2 and wanted[len(found)] < seen:
            found.append(int(key))
    return Fraction(found[0] + found[1], 2)


def _exact(scale: Scale, counts: Mapping[str, int], valid: int) -> _Exact:
    """Exact shares, rate and score from clean counts."""

    def pct(part: int) -> Fraction:
        return Fraction(part * 100, valid) if valid else Fraction(0)

    if scale.score:
        bands = _score_bands(counts)
        shares = {key: pct(count) for key, count in bands.items()}
        positive = sum(bands[key] for key in scale.positive)
        total = sum(int(key) * count for key, count in counts.items())
        score = Fraction(total, valid) if valid else None
    else:
        shares = {key: pct(counts[key]) for key in scale.option_keys()}
        positive = sum(counts[key] for key in scale.positive)
        score = None
        if scale.weights is not None:
            weighted = sum(counts[key] for key in scale.weights)
            if weighted:
                points = sum(weight * counts[key] for key, weight in scale.weights.items())
                score = Fraction(points, weighted)
    return _Exact(shares=shares, rate=pct(positive) if valid else None, score=score)


def _check_rule_fits(scale: Scale, rule: Rule) -> None:
    if not isinstance(rule, Rule):
        raise RuleError("rule 须为 Rule，而非 %(value)r。", value=rule)
    if scale.score or rule.kind != "threshold":
        return
    needed = len(scale.levels) - 1
    if len(rule.thresholds) != needed:
        raise RuleError(
            "量表 %(scale)r（%(levels)s 个等次）的阈值规则须有 %(needed)s 个阈值，"
            "实有 %(got)s 个。",
            scale=scale.key,
            levels=len(scale.levels),
            needed=needed,
            got=len(rule.thresholds),
        )


def _majority(
    levels: tuple[str, ...], support: Mapping[str, Fraction | int], base: Fraction
) -> str:
    """The majority rule over support per level (counts, or percentages with base 100)."""
    if base <= 0:
        return levels[-1]  # nothing to be a majority of
    cumulative: Fraction | int = 0
    for index, level in enumerate(levels):
        cumulative += support.get(level, 0)
        if (index == 0 and 2 * cumulative >= base) or (index > 0 and 2 * cumulative > base):
            return level
    return levels[-1]


def _threshold(levels: tuple[str, ...], rate: Fraction | None, rule: Rule) -> str:
    if rate is not None:
        for level, threshold in zip(levels, rule.thresholds, strict=False):
            if rate >= Fraction(repr(threshold)):
                return level
    return levels[-1]


def _resolve_base(rule: Rule, valid: int, expected: int | None, present: int | None) -> int:
    """The majority base: the chosen number, falling back to present, then valid ballots."""
    chain = {"expected": (expected, present), "present": (present,), "valid": ()}[rule.base]
    for number in chain:
        if number:  # None (unknown) or 0 (not set) falls through
            return number
    return valid


def tally(
    scale: Scale,
    counts: Mapping[str, int],
    invalid: int = 0,
    *,
    rule: Rule = Rule(),  # a frozen dataclass: safe as a default
    expected: int | None = None,
    present: int | None = None,
) -> Tally:
    """Tally one item from its counts (as returned by ``count_choices``).

    Counts' keys must be valid choices of the scale and the counts non-negative integers (missing
    option keys are zero); otherwise RuleError. ``expected`` (应到) and ``present`` (实到) feed
    the majority rule's base (see ``Rule``).

    The verdict is None when nothing was cast (no valid and no invalid ballots). When ballots
    were cast but none is valid, the verdict is the last level (no one supported any level).
    On the score scale the rule is ignored: the verdict is the band holding the exact mean score,
    满意率 is the share of scores ≥ 60, and ``score`` / ``median`` / ``bands`` are filled in.
    """
    _check_rule_fits(scale, rule)
    clean = _clean_counts(scale, counts)
    invalid = _check_count("invalid", invalid)
    expected = _check_optional_count("expected", expected)
    present = _check_optional_count("present", present)
    valid = sum(clean.values())
    exact = _exact(scale, clean, valid)
    nothing_cast = valid + invalid == 0

    base: int | None = None
    median: Decimal | None = None
    bands: dict[str, int] | None = None
    if scale.score:
        bands = _score_bands(clean)
        median = _round2_opt(_median(clean, valid))
        verdict = scale.levels[-1] if exact.score is None else _band_of(exact.score)
    elif rule.kind == "threshold":
        verdict = _threshold(scale.levels, exact.rate, rule)
    else:
        base = _resolve_base(rule, valid, expected, present)
        verdict = _majority(scale.levels, clean, Fraction(base))
    return Tally(
        counts=clean,
        valid=valid,
        invalid=invalid,
        shares={key: _round2(value) for key, value in exact.shares.items()},
        rate=_round2_opt(exact.rate),
        verdict=None if nothing_cast else verdict,
        base=base,
        score=_round2_opt(exact.score),
        median=median,
        bands=bands,
    )


# --------------------------------------------------------------------------------------------
# Groups
# --------------------------------------------------------------------------------------------

_COMBINE_KINDS = ("members_only", "weighted")


@dataclass(frozen=True)
class Combine:
    """How the groups' tallies (测评人类别) make the combined result.

    ``members_only`` (default): only ``group`` (常委会组成人员, "member") counts; the others are
    advisory. ``weighted``: groups are weighted, e.g. ``{"member": 70, "deputy": 30}``.
    """

    kind: str = "members_only"
    group: str = "member"
    weights: Mapping[str, float] | None = None

    def __post_init__(self) -> None:
        if self.kind not in _COMBINE_KINDS:
            kinds = ", ".join(_COMBINE_KINDS)
            raise RuleError(
                "未知的合并方式 %(kind)r；可用：%(known)s。", kind=self.kind, known=kinds
            )
        if not isinstance(self.group, str) or not self.group:
            raise RuleError("combine 的 group 须为非空字符串，而非 %(value)r。", value=self.group)
        if self.weights is None:
            if self.kind == "weighted":
                raise RuleError("加权合并须给出 weights，例如 {member: 70, ...}。")
            return
        if not isinstance(self.weights, Mapping) or not self.weights:
            raise RuleError("combine 的 weights 须为非空对象，而非 %(value)r。", value=self.weights)
        for group, weight in self.weights.items():
            if not isinstance(group, str) or not group:
                raise RuleError("加权的组须为非空字符串，而非 %(value)r。", value=group)
            if not _is_number(weight) or not 0 < weight <= MAX_WEIGHT:  # NaN fails too
                raise RuleError(
                    "组 %(group)r 的权重须大于 0 且不超过 %(most)s，而非 %(value)r。",
                    group=group,
                    most=MAX_WEIGHT,
                    value=weight,
                )
        weights = {group: float(weight) for group, weight in self.weights.items()}
        object.__setattr__(self, "weights", MappingProxyType(weights))

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly form, accepted back by ``parse_combine``."""
        return {
            "kind": self.kind,
            "group": self.group,
            "weights": None if self.weights is None else dict(self.weights),
        }


def parse_combine(data: Mapping[str, Any] | None) -> Combine:
    """Build a Combine from settings such as ``{"kind": "weighted", "weights": {...}}``.

    None gives the default (members only). Unknown keys, wrong types and bad values (weights must
    be positive numbers) raise RuleError.
    """
    if data is None:
        return Combine()
    if isinstance(data, Combine):
        return data
    if not isinstance(data, Mapping):
        raise RuleError("combine 须为对象，而非 %(type)s。", type=type(data).__name__)
    _check_keys("combine", data, ("kind", "group", "weights"))
    kind = _get_str("combine", data, "kind", Combine.kind)
    group = _get_str("combine", data, "group", Combine.group)
    weights = data.get("weights")
    if weights is not None and not isinstance(weights, Mapping):
        raise RuleError("combine 的 weights 须为“组: 权重”的对象，而非 %(value)r。", value=weights)
    return Combine(kind=kind, group=group, weights=weights)


def _weighted_mean(pairs: list[tuple[Fraction, Fraction]]) -> Fraction | None:
    total = sum(weight for weight, _ in pairs)
    if not total:
        return None
    return sum(weight * value for weight, value in pairs) / total


def combine(
    scale: Scale,
    groups: Mapping[str, Tally],
    how: Combine,
    *,
    rule: Rule = Rule(),  # a frozen dataclass: safe as a default
    expected: int | None = None,
    present: int | None = None,
) -> Tally:
    """Combine per-group tallies into the item's result.

    ``members_only``: the counted group's tally recomputed with ``rule``, ``expected`` and
    ``present`` (an empty tally if the group has no ballots); other groups are ignored.

    ``weighted``: only groups that have a weight take part. Shares, 满意率 and the score are
    Σ w·x / Σ w over the groups with valid ballots (exact group values, rounded once); counts,
    valid and invalid are the plain sums (informational). Verdict: the threshold rule uses the
    combined 满意率; the majority rule applies to the weighted shares with the valid ballots as
    its base (L0 if its share ≥ 50 %, else the first level whose cumulative share > 50 %), so
    ``expected`` and ``present`` are not used and ``base`` is the summed valid count. On the
    score scale the verdict is the band of the weighted mean, and ``median`` is None.
    """
    if not isinstance(how, Combine):
        raise RuleError("how 须为 Combine，而非 %(value)r。", value=how)
    _check_rule_fits(scale, rule)
    if how.kind == "members_only":
        member = groups.get(how.group)
        counts = member.counts if member is not None else {}
        invalid = member.invalid if member is not None else 0
        return tally(scale, counts, invalid, rule=rule, expected=expected, present=present)

    assert how.weights is not None  # guaranteed by Combine
    return _combine_weighted(scale, groups, how.weights, rule)


def _weighted_parts(
    scale: Scale, groups: Mapping[str, Tally], weights: Mapping[str, float]
) -> tuple[dict[str, int], int, int, list[tuple[Fraction, _Exact]]]:
    """The weighted groups' summed counts, valid and invalid, and each group with ballots as
    (weight, its exact shares)."""
    counts_sum: dict[str, int] = {}
    valid = invalid = 0
    parts: list[tuple[Fraction, _Exact]] = []
    for name, weight in weights.items():
        group = groups.get(name)
        if group is None:
            continue
        clean = _clean_counts(scale, group.counts)
        group_valid = sum(clean.values())
        for key, count in clean.items():
            counts_sum[key] = counts_sum.get(key, 0) + count
        valid += group_valid
        invalid += _check_count("invalid", group.invalid)
        if group_valid:
            parts.append((Fraction(repr(weight)), _exact(scale, clean, group_valid)))
    return counts_sum, valid, invalid, parts


def _combine_weighted(
    scale: Scale, groups: Mapping[str, Tally], weights: Mapping[str, float], rule: Rule
) -> Tally:
    """`combine` for weighted groups (see there)."""
    counts_sum, valid, invalid, parts = _weighted_parts(scale, groups, weights)
    counts = _clean_counts(scale, counts_sum)

    share_keys = [b.key for b in SCORE_BANDS] if scale.score else list(scale.option_keys())
    shares = {
        key: _weighted_mean([(w, part.shares[key]) for w, part in parts]) or Fraction(0)
        for key in share_keys
    }
    rate = _weighted_mean([(w, part.rate) for w, part in parts if part.rate is not None])
    score = _weighted_mean([(w, part.score) for w, part in parts if part.score is not None])

    base: int | None = None
    bands: dict[str, int] | None = None
    if scale.score:
        bands = _score_bands(counts)
        verdict = scale.levels[-1] if score is None else _band_of(score)
    elif rule.kind == "threshold":
        verdict = _threshold(scale.levels, rate, rule)
    else:
        base = valid
        verdict = _majority(scale.levels, shares, _HUNDRED if parts else Fraction(0))
    return Tally(
        counts=counts,
        valid=valid,
        invalid=invalid,
        shares={key: _round2(value) for key, value in shares.items()},
        rate=_round2_opt(rate),
        verdict=None if valid + invalid == 0 else verdict,
        base=base,
        score=_round2_opt(score),
        median=None,
        bands=bands,
    )


# --------------------------------------------------------------------------------------------
# Ranking
# --------------------------------------------------------------------------------------------


def _best_share(result: Tally) -> Decimal:
    """The share of the best level: tallies list their shares best first."""
    return next(iter(result.shares.values()), _ZERO)


def rank(entries: Iterable[tuple[K, Tally]]) -> list[tuple[int, K]]:
    """Rank items by 满意率 (desc), then by the share of the best level (desc).

    Items without a rate (no valid ballots) come last. Items with the same (rounded) rate and
    best-level share are tied (并列) and share a rank; the next rank skips (1, 1, 3). Ties keep
    their input order. Returns ``[(rank, key), ...]`` in ranking order.
    """
    items = list(entries)
    sort_keys: list[tuple[int, Decimal, Decimal]] = []
    for _, result in items:
        if result.rate is None:
            sort_keys.append((1, _ZERO, _ZERO))
        else:
            sort_keys.append((0, -result.rate, -_best_share(result)))
    order = sorted(range(len(items)), key=sort_keys.__getitem__)
    ranked: list[tuple[int, K]] = []
    current = 0
    for position, index in enumerate(order, start=1):
        if position == 1 or sort_keys[index] != sort_keys[order[position - 2]]:
            current = position
        ranked.append((current, items[index][0]))
    return ranked


# --------------------------------------------------------------------------------------------
# The base a verdict is counted against, and whether the best level can be reached
# --------------------------------------------------------------------------------------------


def rule_base(rule: Rule, expected: int | None, present: int | None) -> tuple[str, int | None]:
    """The majority base that ``tally`` uses before any ballot is counted: ``(base, number)``.

    As ``tally`` does, a missing (None or 0) 应到 falls back to 实到, and a missing 实到 to the
    valid ballots, whose number is only known per item (None).
    """
    chain = {"expected": (("expected", expected), ("present", present)),
             "present": (("present", present),), "valid": ()}[rule.base]  # fmt: skip
    for name, number in chain:
        if number:
            return name, number
    return "valid", None


def best_reachable(
    scale: Scale, rule: Rule, how: Combine, expected: int | None, present: int
) -> tuple[bool, int]:
    """Whether the best level can still be reached with ``present`` voters: ``(ok, needed)``.

    Only the majority rule over 应到 (counted group only) can be out of reach: the best level
    needs ⌈应到/2⌉ votes, and no more than 实到 can be cast. Every other rule gives ``(True, 0)``.
    """
    if scale.score or rule.kind != "majority" or how.kind != "members_only":
        return True, 0
    base, number = rule_base(rule, expected, present)
    if base != "expected" or not number:
        return True, 0
    needed = -(-number // 2)
    return present >= needed, needed
