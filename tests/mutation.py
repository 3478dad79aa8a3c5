"""Mutants: the reference with one deliberate mistake, graded to prove a grader catches it.

A mutant is the reference file with `code` appended: a later `def`/`class` of the same
name replaces the reference's, so each mutant states only the function it breaks.
`loses` names the items that must drop to 0 points; every other item of the module must
keep full points. An empty `loses` is a correct alternative that must score full.
"""

from __future__ import annotations

import shutil
import textwrap
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Mutant:
    name: str
    module: str
    code: str
    loses: tuple[str, ...] = field(default_factory=tuple)
    why: str = ""  # the COURSE.md "Catch" it stands for

    def __str__(self) -> str:
        return f"{self.module}:{self.name}"


def alternative(name: str, module: str, code: str, why: str = "") -> Mutant:
    """A correct solution written differently: it must get full points."""
    return Mutant(name=name, module=module, code=code, loses=(), why=why)


def build_submission(mutant: Mutant, dest: Path) -> Path:
    """A copy of the whole reference with the mutant's module patched."""
    dest.mkdir(parents=True, exist_ok=True)
    for path in (ROOT / "reference").glob("*.py"):
        shutil.copyfile(path, dest / path.name)
    target = dest / f"{mutant.module}.py"
    target.write_text(target.read_text(encoding="utf-8") + "\n\n# --- mutant ---\n" + textwrap.dedent(mutant.code),
                      encoding="utf-8")
    return dest


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
        _assert_report(run.score(submission, [mutant.module]), mutant, label)


def _assert_report(report, mutant: Mutant, label: str) -> None:
    (module,) = report.modules
    items = {item.name: item for item in module.items}
    unknown = set(mutant.loses) - set(items)
    assert not unknown, f"{mutant}: no such item(s) {sorted(unknown)}; items are {sorted(items)}"
    problems = []
    for item in module.items:
        if item.name in mutant.loses:
            if item.score != 0:
                problems.append(f"{item.name} kept {item.score}/{item.max_score} (should lose all)")
            elif not item.message:
                problems.append(f"{item.name} lost its points without a message")
        elif item.score != item.max_score:
            problems.append(f"{item.name} lost points it should keep: {item.status} {item.message!r}")
    assert not problems, f"{mutant} ({mutant.why}), {label}:\n  " + "\n  ".join(problems)
