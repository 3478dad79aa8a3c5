"""Korean first, English beside: language choice and bilingual text helpers."""

from __future__ import annotations

import os
from typing import Literal, Mapping

Lang = Literal["ko", "en"]
LANGS: tuple[Lang, ...] = ("ko", "en")


def default_lang() -> Lang:
    """The language a student reads by default: TORCHDOJO_LANG, else the locale, else Korean."""
    explicit = os.environ.get("TORCHDOJO_LANG", "").strip().lower()
    if explicit in LANGS:
        return explicit  # type: ignore[return-value]
    for var in ("LC_ALL", "LC_MESSAGES", "LANG", "LANGUAGE"):
        value = os.environ.get(var, "").split(":")[0].split(".")[0].strip()
        if value and value.upper() not in ("C", "POSIX"):  # C/POSIX name no language: keep looking
            return "en" if value.lower().startswith("en") else "ko"
    return "ko"


def pick(text: Mapping[str, str], lang: Lang) -> tuple[str, bool]:
    """The text in `lang`, falling back to the other language; the bool says a fallback happened."""
    value = text.get(lang)
    if value:
        return value, False
    for other in LANGS:
        if other != lang and text.get(other):
            return text[other], True
    return "", True


def both(ko: str, en: str) -> str:
    """One line a student reads in both languages: Korean, then English."""
    return f"{ko} / {en}" if en and ko != en else ko
