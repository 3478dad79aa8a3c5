"""CSV cells a spreadsheet shows as text and never runs (OWASP's advice against CSV injection)."""

from __future__ import annotations

from typing import Any, Iterable

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: Any) -> Any:
    """A text starting with = + - @, tab or carriage return gets a leading apostrophe."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def csv_row(values: Iterable[Any]) -> list[Any]:
    return [csv_cell(v) for v in values]
