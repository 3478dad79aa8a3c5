"""Batteries of cases per item: fixed corner cases on every run, random cases on top.

A grader item loops over `cases(rng, fixed=[...], random=make, count=3)`. The fixed cases
are the same on every seed (their values come from `fixed_generator`), so a mistake that one
of them separates from the correct answer is caught on every seed. The random cases add
variety. `fixed_cases_only()` (set by the scorer, e.g. for the mutant proof) drops the random
ones: a mutant caught in that mode is caught whatever the seed.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Any, Callable, Iterable, Iterator, TypeVar

T = TypeVar("T")

_FIXED_ONLY = False
FIXED_SEED = 0x70DC


def cases(rng: Any, fixed: Iterable[T] = (), random: Callable[[Any], T] | None = None,
          count: int = 3) -> Iterator[T]:
    """The fixed cases, then `count` cases drawn by `random(rng)` (none in fixed-only mode)."""
    yield from fixed
    if random is None or _FIXED_ONLY:
        return
    for _ in range(count):
        yield random(rng)


def fixed_generator(tag: int = 0) -> Any:
    """A generator that gives the same values on every run: for the values of fixed cases."""
    import torch

    return torch.Generator().manual_seed(FIXED_SEED + tag)


@contextmanager
def fixed_cases_only(enabled: bool = True) -> Iterator[None]:
    """Within the block, `cases` yields only the fixed cases (the scorer sets this per run)."""
    global _FIXED_ONLY
    before, _FIXED_ONLY = _FIXED_ONLY, enabled
    try:
        yield
    finally:
        _FIXED_ONLY = before
