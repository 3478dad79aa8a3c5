"""This course's mutant harness for the test suite (the library part is torchdojo.authoring.mutants).

A mutant is the reference file with `code` appended (a later def/class replaces the
reference's); `loses` names the items that must drop to 0 points, every other item keeps full
points; an empty `loses` is a correct alternative that must score full.
"""

from __future__ import annotations

from pathlib import Path

from torchdojo.authoring.mutants import Mutant, alternative, mutant_problems
from torchdojo.authoring.mutants import build_submission as _build

ROOT = Path(__file__).resolve().parents[1]

__all__ = ["Mutant", "alternative", "assert_mutant_scored", "build_submission", "fixed_only_scorer"]


def build_submission(mutant: Mutant, dest: Path) -> Path:
    """A copy of this course's whole reference with the mutant's module patched."""
    return _build(mutant, dest, ROOT / "reference")


_FIXED_ONLY_SCORER = None


def fixed_only_scorer():
    """A scorer that runs only each item's fixed corner cases: the same cases on every seed.

    A mutant caught there is caught on every seed (the fixed cases run on every seed, and one
    failing case fails its item); a random case can never rescue it.
    """
    global _FIXED_ONLY_SCORER
    if _FIXED_ONLY_SCORER is None:
        import atexit

        from helpers import SEED
        from torchdojo.grading.runner import Scorer

        _FIXED_ONLY_SCORER = Scorer(device="cpu", seed=SEED, lang="en", fixed_cases_only=True).start()
        atexit.register(_FIXED_ONLY_SCORER.close)
    return _FIXED_ONLY_SCORER


def assert_mutant_scored(scorer, mutant: Mutant, tmp_path: Path) -> None:
    """Exactly the `loses` items lose their points: on the fixed cases alone (so on every seed)
    and on a full run with `scorer`'s seed (fixed and random cases)."""
    submission = build_submission(mutant, tmp_path / "submission")
    for run, label in ((fixed_only_scorer(), "fixed cases only"), (scorer, f"seed {scorer.seed}")):
        problems = mutant_problems(run.score(submission, [mutant.module]), mutant)
        assert not problems, f"{mutant} ({mutant.why}), {label}:\n  " + "\n  ".join(problems)
