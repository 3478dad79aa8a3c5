"""One exception base so the CLI catches one thing (sqlite-utils style)."""

from __future__ import annotations


class TorchdojoError(Exception):
    """Base of every error torchdojo raises on purpose; the CLI prints it and exits 2."""


class UsageError(TorchdojoError):
    """Bad input from the user: a folder that does not exist, an unknown module, ..."""


class CourseError(TorchdojoError):
    """The course catalogue or a grader file is broken (an instructor's mistake)."""


class QuizError(TorchdojoError):
    """A quiz file, answer file or record file is invalid."""
