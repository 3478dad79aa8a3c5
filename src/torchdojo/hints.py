"""Progressive hints (nudge, PyTorch idea, near-code), kept in hints.yaml beside course.yaml."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import yaml

from .course import load_course
from .errors import UsageError
from .i18n import Lang, pick

HINTS = Path(__file__).with_name("hints.yaml")
LEVELS = ("nudge", "idea", "near-code")


@lru_cache(maxsize=None)
def load_hints(path: Path = HINTS) -> dict[str, dict[str, list[dict[str, str]]]]:
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise UsageError(f"{path}: {exc}") from exc


def exercise_of(item: str) -> str:
    """'flatten_images.view' -> 'flatten_images' (an item is an exercise or a sub-check of it)."""
    return item.split(".", 1)[0]


def hint(module: str, item: str | None = None, *, level: int = 1, lang: Lang = "ko") -> tuple[str, str, int, int, str]:
    """(module, exercise, level, levels, text) of a hint; text falls back to the other language."""
    course_module = load_course().module(module)
    exercise = exercise_of(item) if item else course_module.exercises[0]
    if exercise not in course_module.exercises:
        known = ", ".join(course_module.exercises)
        raise UsageError(f"{course_module.name} has no exercise {exercise!r} (exercises: {known})")
    levels = load_hints().get(course_module.name, {}).get(exercise) or []
    if not levels:
        raise UsageError(f"no hints yet for {course_module.name} / {exercise}")
    if level < 1:
        raise UsageError("--level starts at 1")
    level = min(level, len(levels))
    text, _fallback = pick(levels[level - 1], lang)
    return course_module.name, exercise, level, len(levels), text
