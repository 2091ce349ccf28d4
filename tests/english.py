"""A refusal's message in English, as the catalogue translates it for a page in English (for
tests of the pure modules, which keep the Chinese msgid and its params)."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from babel.support import Translations

from voting.errors import CepingError, fill

TRANSLATIONS = Path(__file__).resolve().parent.parent / "translations"


@cache
def catalogue() -> Translations:
    return Translations.load(str(TRANSLATIONS), ["en"])


def english(exc: CepingError) -> str:
    """`exc`'s message translated into English, its params filled in."""
    return fill(catalogue().gettext(exc.template), exc.params)
