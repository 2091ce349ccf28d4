"""The scales' labels in the page's language: what an English request is shown for 满意, 不合格, …

The labels are Chinese where they are made (`voting.rules`, the default aspect 总体评价) and stay
so in the store, the documents (report, letters: Chinese papers for the committee) and the
audit log. A payload built for a request in English (the results API, the exports) goes through
`localise` here, which swaps each known label for its English msgstr (Flask-Babel) and says the
rule line in English; labels a secretary typed (custom aspects, titles, subjects) stay as typed.

Socket.IO pushes go to whole rooms, one payload for all: the projector's, the phone's and the
console's pages get `label_map()` in their strings (empty in Chinese) and swap the same labels
themselves, the rule line from the pushed `rule_text_en` (`voting.views.revealed_results`).
"""

from __future__ import annotations

from typing import Any

from flask import has_request_context
from flask_babel import get_locale, gettext

from voting import wording
from voting.errors import N_

#: Every label the app itself makes: msgids of the English catalog.
LABELS: tuple[str, ...] = (
    N_("满意"),
    N_("基本满意"),
    N_("不满意"),
    N_("弃权"),
    N_("优秀"),
    N_("良好"),
    N_("合格"),
    N_("不合格"),
    N_("称职"),
    N_("基本称职"),
    N_("不称职"),
    N_("满意 / 基本满意 / 不满意"),
    N_("满意 / 基本满意 / 不满意 / 弃权"),
    N_("优秀 / 良好 / 合格 / 不合格"),
    N_("称职 / 基本称职 / 不称职"),
    N_("百分制评分 (0–100)"),
    N_("总体评价"),
    N_("满意率"),
    N_("合格率"),
    N_("称职率"),
)

#: The kinds of item and their names (msgids): 整改情况 is a department brought back to a later
#: meeting to be rated on its rectification (`POST /api/followups/<item>/next-round`).
KINDS: dict[str, str] = {
    "oral": N_("现场述法"),
    "written": N_("书面述法"),
    "other": N_("其他"),
    "rectification": N_("整改情况"),
}


def kind_names() -> dict[str, str]:
    """{kind: its name in this request's language}."""
    return {kind: gettext(name) for kind, name in KINDS.items()}


#: The keys whose values are labels; `aspects` (the phone's) is a list of them.
_LABEL_KEYS = frozenset({"label", "verdict_label", "name"})


def english() -> bool:
    """True when this request's pages are in English."""
    return has_request_context() and str(get_locale() or "") == "en"


def label_map() -> dict[str, str]:
    """{Chinese label: its translation} for this request; empty in Chinese (nothing to swap)."""
    if not english():
        return {}
    found = {text: gettext(text) for text in LABELS}
    return {text: shown for text, shown in found.items() if shown and shown != text}


def swap(value: Any, labels: dict[str, str]) -> Any:
    """`value` with every label under a label key swapped by `labels` (a copy; lists too)."""
    if isinstance(value, list):
        return [swap(v, labels) for v in value]
    if not isinstance(value, dict):
        return value
    out: dict[str, Any] = {}
    for key, v in value.items():
        if key in _LABEL_KEYS and isinstance(v, str):
            out[key] = labels.get(v, v)
        elif key == "aspects" and isinstance(v, list) and all(isinstance(a, str) for a in v):
            out[key] = [labels.get(a, a) for a in v]
        else:
            out[key] = swap(v, labels)
    return out


def localise(results: dict[str, Any]) -> dict[str, Any]:
    """A results payload (`Store.results`, the exports' data) for this request's language: in
    English its labels and its rule line in English; in Chinese `results` itself."""
    if not english():
        return results
    shown: dict[str, Any] = swap(results, label_map())
    if "rule_text" in results and "scale" in results:
        shown["rule_text"] = wording.results_rule_text(results, "en")
    return shown
