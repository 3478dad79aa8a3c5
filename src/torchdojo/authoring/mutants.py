"""Mutants: the reference with one deliberate mistake, graded to prove a grader catches it.

A mutant is the reference file with `code` appended: a later `def`/`class` of the same name
replaces the reference's, so each mutant states only the function it breaks. `loses` names the
items that must drop to 0 points; every other item of the module must keep full points. An
empty `loses` is a correct alternative that must score full. A course keeps its mutants in
Python files (`MUTANTS = [...]`) in the folder its manifest names (`mutants:`).
"""

from __future__ import annotations

import importlib.util
import shutil
import sys
import textwrap
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable


@dataclass(frozen=True)
class Mutant:
    name: str
    module: str
    code: str
    loses: tuple[str, ...] = field(default_factory=tuple)
    why: str = ""  # the mistake it stands for (a COURSE.md "Catch")

    def __str__(self) -> str:
        return f"{self.module}:{self.name}"


def alternative(name: str, module: str, code: str, why: str = "") -> Mutant:
    """A correct solution written differently: it must get full points."""
    return Mutant(name=name, module=module, code=code, loses=(), why=why)


def build_submission(mutant: Mutant, dest: Path, reference: Path) -> Path:
    """A copy of the whole reference folder with the mutant's module patched."""
    dest.mkdir(parents=True, exist_ok=True)
    for path in Path(reference).glob("*.py"):
        shutil.copyfile(path, dest / path.name)
    target = dest / f"{mutant.module}.py"
    target.write_text(target.read_text(encoding="utf-8") + "\n\n# --- mutant ---\n" + textwrap.dedent(mutant.code),
                      encoding="utf-8")
    return dest


def mutant_problems(report: Any, mutant: Mutant) -> list[str]:
    """What is wrong with how a mutant scored (empty: exactly its items lost, the rest full)."""
    (module,) = report.modules
    items = {item.name: item for item in module.items}
    unknown = set(mutant.loses) - set(items)
    if unknown:
        return [f"no such item(s) {sorted(unknown)}; items are {sorted(items)}"]
    problems = []
    for item in module.items:
        if item.name in mutant.loses:
            if item.score != 0:
                problems.append(f"{item.name} kept {item.score:g}/{item.max_score:g} (should lose all)")
            elif not item.text:
                problems.append(f"{item.name} lost its points without a message")
        elif item.score != item.max_score:
            problems.append(f"{item.name} lost points it should keep: {item.status} {item.text.en!r}")
    return problems


def load_mutants(folder: Path, modules: Iterable[str] | None = None) -> list[Mutant]:
    """Every `Mutant` in the `MUTANTS` lists of the Python files of `folder` (instructor code)."""
    folder = Path(folder)
    wanted = set(modules or [])
    found: list[Mutant] = []
    extra = [str(folder), str(folder.parent)]
    sys.path[:0] = extra
    try:
        for path in sorted(folder.glob("*.py")):
            spec = importlib.util.spec_from_file_location(f"_torchdojo_mutants_{path.stem}", path)
            loaded = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(loaded)  # type: ignore[union-attr]
            for m in vars(loaded).get("MUTANTS", []):
                if hasattr(m, "loses") and hasattr(m, "code") and (not wanted or m.module in wanted):
                    found.append(Mutant(m.name, m.module, m.code, tuple(m.loses), getattr(m, "why", "")))
    finally:
        for entry in extra:
            if entry in sys.path:
                sys.path.remove(entry)
    return found
