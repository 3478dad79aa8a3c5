"""torchdojo: auto-graded PyTorch exercises and quizzes.

The library API: `check` grades one submission folder, `grade` a class, and
`torchdojo.grading` is what grader files import.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("torchdojo")
except PackageNotFoundError:  # pragma: no cover
    __version__ = "0+unknown"

__all__ = ["__version__", "check", "grade"]


def __getattr__(name: str):  # lazy: `import torchdojo` must not import torch
    if name in ("check", "grade"):
        from .grading import runner

        return getattr(runner, name)
    raise AttributeError(name)
