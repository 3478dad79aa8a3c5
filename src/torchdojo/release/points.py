"""Points per item and per exercise, from the course manifest (declared once; graders agree).

An item belongs to the exercise its name starts with (``name`` or ``name.subcheck``).
"""

from __future__ import annotations

from collections import OrderedDict
from pathlib import Path
from typing import Iterable


OTHER = "(other)"  # items whose name matches no exercise of the module


def item_points(modules: Iterable[str], graders: Path | None = None) -> dict[str, dict[str, float]]:
    """{module: {item: max points}} as the course manifest declares them (the graders must agree)."""
    from ..course import load_course

    course = load_course()
    return {course.module(m).name: dict(course.module(m).items) for m in modules}


def exercise_of(item: str, exercises: Iterable[str]) -> str:
    for name in exercises:
        if item == name or item.startswith(name + "."):
            return name
    return OTHER


def exercise_points(items: dict[str, float], exercises: list[str]) -> "OrderedDict[str, float]":
    """{exercise: points} in catalogue order, plus OTHER when some item matches no exercise."""
    out: "OrderedDict[str, float]" = OrderedDict((name, 0.0) for name in exercises)
    for item, points in items.items():
        key = exercise_of(item, exercises)
        out[key] = out.get(key, 0.0) + points
    return out
