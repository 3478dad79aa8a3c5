"""Korean first, English beside: the one shape of every text a person reads (`Text`).

Every message torchdojo shows (a check that failed, a refused file, a timeout, a quiz key, a
table label) is a `Text`: both languages travel together until the place that prints picks
one (`text.pick(lang)`) or shows both (`text.both()`). Exceptions that carry such a message
are `Explained` and keep it in `.text`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Literal, Mapping

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


@dataclass(frozen=True)
class Text:
    """A message in Korean and English (either may be empty: the other stands in for it)."""

    ko: str = ""
    en: str = ""

    @classmethod
    def same(cls, text: str) -> "Text":
        """Text that reads the same in both languages (a number, a name, code)."""
        return cls(ko=text, en=text)

    @classmethod
    def from_dict(cls, data: Any) -> "Text":
        """From {"ko": ..., "en": ...} written by someone else (a report, a worker): only strings count."""
        if not isinstance(data, Mapping):
            return cls()
        return cls(**{lang: data[lang] for lang in LANGS if isinstance(data.get(lang), str)})

    @classmethod
    def join(cls, separator: "str | Text", parts: Iterable["Text"]) -> "Text":
        sep = separator if isinstance(separator, Text) else Text.same(separator)
        parts = list(parts)
        return cls(ko=sep.ko.join(p.ko or p.en for p in parts), en=sep.en.join(p.en or p.ko for p in parts))

    def pick(self, lang: Lang) -> str:
        """The text in `lang`, else the other language."""
        return (self.ko or self.en) if lang == "ko" else (self.en or self.ko)

    def fell_back(self, lang: Lang) -> bool:
        """True when `lang` has no text of its own (pick shows the other language)."""
        return not getattr(self, lang, "")

    def both(self, separator: str = " / ") -> str:
        """One line in both languages: Korean, then English (once when they are the same)."""
        ko, en = self.ko or self.en, self.en or self.ko
        return ko if ko == en else f"{ko}{separator}{en}"

    def map(self, change: Callable[[str], str]) -> "Text":
        """The same message with `change` applied to each language (cleaning, capping)."""
        return Text(ko=change(self.ko), en=change(self.en))

    def to_dict(self) -> dict[str, str]:
        return {"ko": self.ko or self.en, "en": self.en or self.ko}

    def __add__(self, other: "Text | str") -> "Text":
        other = other if isinstance(other, Text) else Text.same(other)
        return Text(ko=(self.ko or self.en) + (other.ko or other.en), en=(self.en or self.ko) + (other.en or other.ko))

    def __radd__(self, other: str) -> "Text":
        return Text.same(other) + self

    def __bool__(self) -> bool:
        return bool(self.ko or self.en)

    def __str__(self) -> str:
        return self.both()


def texts(table: Mapping[str, Mapping[str, str]]) -> dict[str, Text]:
    """A table of labels written as {key: {"ko": ..., "en": ...}} as Texts."""
    return {key: Text(ko=value.get("ko", ""), en=value.get("en", "")) for key, value in table.items()}


class Explained(Exception):
    """An exception whose message a person reads (`text`, both languages); str() is the English."""

    def __init__(self, text: Text, *args: Any) -> None:
        super().__init__(text.en or text.ko, *args)
        self.text = text
