"""Progressive hints (nudge, PyTorch idea, near-code), kept per exercise in the course manifest."""

from __future__ import annotations

from .course import load_course
from .errors import UsageError
from .i18n import Lang



def load_hints() -> dict[str, dict[str, list[dict[str, str]]]]:
    """{module: {exercise: [{ko, en}, ...]}} of the current course."""
    return {m.name: {ex: [t.model_dump() for t in texts] for ex, texts in m.hints.items()}
            for m in load_course().modules}


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
    levels = [t.as_text() for t in course_module.hints.get(exercise, [])]
    if not levels:
        raise UsageError(f"no hints yet for {course_module.name} / {exercise}")
    if level < 1:
        raise UsageError("--level starts at 1")
    level = min(level, len(levels))
    text = levels[level - 1].pick(lang)
    return course_module.name, exercise, level, len(levels), text
