"""`torchdojo dev check`: is this course sound? (rustlings' `dev check`, for torchdojo courses)

Checks, in order: the manifest; every module's stub, reference, grader and hints; stubs and
references define every exercise; grader markers agree with the manifest's items and points;
the stubs score 0 with a message on every item; the reference scores full; every declared
mutant loses exactly its items on the fixed cases alone and on each seed tried; every
alternative keeps full points; the quiz files are valid.
"""

from __future__ import annotations

import ast
import contextlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

from ..course import COURSE_ENV, LEGACY_ENV, Course, load_course
from ..errors import TorchdojoError


@dataclass
class Finding:
    check: str
    ok: bool
    detail: str = ""


@contextlib.contextmanager
def course_env(root: Path) -> Iterator[None]:
    """Everything inside resolves the course at `root` (graders, reference, hidden folders)."""
    saved = {k: os.environ.get(k) for k in (COURSE_ENV, LEGACY_ENV)}
    os.environ[COURSE_ENV] = str(Path(root).resolve())
    os.environ.pop(LEGACY_ENV, None)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def _top_level_names(path: Path) -> set[str] | None:
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"))
    except (OSError, SyntaxError, UnicodeDecodeError, ValueError):
        return None
    return {n.name for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))}


def _files(course: Course) -> list[Finding]:
    found = []
    for m in course.modules:
        for label, path in (("stub", course.exercises_dir / m.filename), ("reference", course.reference_dir / m.filename),
                            ("grader", course.graders_dir / m.grader_filename)):
            if not path.is_file():
                found.append(Finding(f"{m.name}: {label}", False, f"{path} is missing"))
                continue
            if label == "grader":
                found.append(Finding(f"{m.name}: {label}", True, str(path)))
                continue
            names = _top_level_names(path)
            if names is None:
                found.append(Finding(f"{m.name}: {label}", False, f"{path} does not parse"))
                continue
            missing = [e for e in m.exercises if e not in names]
            found.append(Finding(f"{m.name}: {label}", not missing,
                                 f"{path} defines no {', '.join(missing)}" if missing else str(path)))
        empty = [e for e in m.exercises if not m.hints.get(e) or any(not h.ko.strip() or not h.en.strip()
                                                                      for h in m.hints[e])]
        found.append(Finding(f"{m.name}: hints", not empty,
                             f"no hints (ko and en) for {', '.join(empty)}" if empty else
                             f"{sum(len(v) for v in m.hints.values())} hints"))
    return found


def _grading(course: Course, seeds: tuple[int, ...], progress: Callable[[str], None],
             only: list[str] | None = None) -> list[Finding]:
    from ..grading.runner import Scorer
    from .mutants import build_submission, load_mutants, mutant_problems

    found = []
    names = [m.name for m in course.modules if (course.graders_dir / m.grader_filename).is_file()
             and (not only or m.name in only)]
    seed = seeds[0] if seeds else 1
    with Scorer(device="cpu", seed=seed, lang="en", course=course, graders=course.graders_dir,
                reference=course.reference_dir) as scorer:
        progress("grading the stubs and the reference")
        stubs = {m.name: m for m in scorer.score(course.exercises_dir, names).modules}
        refs = {m.name: m for m in scorer.score(course.reference_dir, names).modules}
        for name in names:
            stub, ref = stubs.get(name), refs.get(name)
            bad = [i.name for i in (stub.items if stub else []) if i.score != 0 or not (i.text.ko and i.text.en)]
            found.append(Finding(f"{name}: stub scores 0", stub is not None and not bad and stub.max_score > 0,
                                 f"items not 0 or without a message in both languages: {', '.join(bad)}" if bad else
                                 f"0/{stub.max_score:g}" if stub else "not graded"))
            short = [f"{i.name} ({i.status}: {i.text.en})" for i in (ref.items if ref else []) if i.score != i.max_score]
            found.append(Finding(f"{name}: reference full", ref is not None and not short and ref.max_score > 0,
                                 "; ".join(short) if short else f"{ref.score:g}/{ref.max_score:g}" if ref else "not graded"))
    if not course.mutants:
        found.append(Finding("mutants", False, "the manifest names no mutants folder: no mistake is proven caught"))
        return found
    folder = course.folder(course.mutants)
    try:
        mutants = load_mutants(folder, names)
    except Exception as exc:  # the author's file: report it, do not crash
        return found + [Finding("mutants", False, f"{folder}: {type(exc).__name__}: {exc}")]
    if not mutants:
        found.append(Finding("mutants", False, f"{folder}: no MUTANTS declared"))
        return found
    runs = [dict(fixed_cases_only=True, seed=seed)] + [dict(seed=s) for s in seeds]
    results: dict[str, list[str]] = {str(m): [] for m in mutants}
    with tempfile.TemporaryDirectory(prefix="torchdojo-devcheck-") as tmp:
        subs = {str(m): build_submission(m, Path(tmp) / str(i), course.reference_dir) for i, m in enumerate(mutants)}
        for run in runs:
            label = "fixed cases only" if run.get("fixed_cases_only") else f"seed {run['seed']}"
            progress(f"mutants: {label}")
            with Scorer(device="cpu", lang="en", course=course, graders=course.graders_dir,
                        reference=course.reference_dir, **run) as scorer:
                for m in mutants:
                    results[str(m)] += [f"{label}: {p}" for p in
                                        mutant_problems(scorer.score(subs[str(m)], [m.module]), m)]
    for m in mutants:
        kind = "alternative full" if not m.loses else f"loses {', '.join(m.loses)}"
        found.append(Finding(f"mutant {m} ({kind})", not results[str(m)], "; ".join(results[str(m)][:3])
                             or f"on fixed cases and seeds {', '.join(map(str, seeds))}"))
    return found


def _quizzes(course: Course) -> list[Finding]:
    folder = course.quizzes_dir
    if not folder.is_dir():
        return [Finding("quizzes", True, f"no quiz folder ({folder}): none to check")]
    from ..quiz.bank import check_paths

    report = check_paths([folder])
    problems = [str(p) for p in getattr(report, "problems", [])]
    return [Finding("quizzes", report.ok, "; ".join(problems[:5]) or f"{report.questions} questions valid")]


def dev_check(root: Path, *, seeds: tuple[int, ...] = (1, 2), grade: bool = True,
              modules: list[str] | None = None,
              progress: Callable[[str], None] = lambda text: None) -> list[Finding]:
    """Every check of the course at `root`, as findings (never raises for a broken course).

    `modules`: grade only these (the manifest, files and quizzes are checked for all)."""
    root = Path(root).resolve()
    with course_env(root):
        try:
            course = load_course(root)
        except TorchdojoError as exc:
            return [Finding("manifest", False, str(exc))]
        found = [Finding("manifest", True, f"{len(course.modules)} modules, "
                                           f"{sum(m.max_score for m in course.modules):g} points")]
        found += _files(course)
        if grade and all(f.ok for f in found):
            try:
                only = [course.module(m).name for m in modules] if modules else None
            except TorchdojoError as exc:
                return found + [Finding("modules", False, str(exc))]
            found += _grading(course, seeds, progress, only)
        elif grade:
            found.append(Finding("grading", False, "skipped: fix the files above first"))
        found += _quizzes(course)
    return found
