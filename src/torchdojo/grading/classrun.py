"""Grading a class, as one library entry: a submission source, an executor, a journal.

    run = start_class_run(Path("submissions"), executor="local", jobs=2, resume=True)
    for report in run:            # each report is journaled as it arrives
        ...
    run.reports                   # everyone, the journal's earlier students included

Sources say what a class folder holds (`folders` of .py files, or returned nbgrader `notebooks`);
executors say where it is graded (`local` processes, a `dask` cluster). Both are plain
registries, so a new one is one function. `torchdojo grade` only parses options and prints.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Iterator

from ..errors import UsageError
from .journal import Journal
from .report import SubmissionReport

Grader = Callable[..., Iterator[SubmissionReport]]


@dataclass(frozen=True)
class Source:
    """What a class folder holds and how its submissions are graded locally."""

    name: str
    root: Path  # the folder whose subfolders are the students
    grade_local: Grader
    nbgrader_course: Path | None = None  # an nbgrader course folder: its gradebook can take the points


def detect_source(root: Path) -> Source:
    """`notebooks` when `root` (or its `submitted/`) holds returned notebooks, else `folders`."""
    from ..release.nbgrader_course import nbgrader_course_of
    from ..release.notebooks import grade_notebooks, notebook_class_root
    from .runner import grade

    notebooks = notebook_class_root(root)
    if notebooks is not None:
        return Source("notebooks", notebooks, grade_notebooks, nbgrader_course_of(root))
    return Source("folders", Path(root), grade)


def _local(source: Source, *, jobs: int | None, scheduler: str | None, workers: int | None,
           worker_counts: dict[str, int], **options) -> Iterator[SubmissionReport]:
    if scheduler is not None or workers is not None:
        raise UsageError("--scheduler and --workers go with --executor dask")
    return source.grade_local(source.root, jobs=jobs, **options)


def _dask(source: Source, *, jobs: int | None, scheduler: str | None, workers: int | None,
          worker_counts: dict[str, int], **options) -> Iterator[SubmissionReport]:
    if jobs is not None:
        raise UsageError("-j is for --executor local; with dask use --workers")
    if source.name != "folders":
        raise UsageError("--executor dask grades folders of .py files; grade notebooks with --executor local")
    from .cluster import grade_dask

    return grade_dask(source.root, scheduler=scheduler, workers=workers, on_worker_counts=worker_counts.update,
                      **options)


EXECUTORS: dict[str, Callable[..., Iterator[SubmissionReport]]] = {"local": _local, "dask": _dask}


@dataclass
class ClassRun:
    """A class run under way: iterate it to grade (and journal) the students not done yet."""

    source: Source
    journal: Journal
    todo: list[str]
    results: Iterator[SubmissionReport]
    worker_counts: dict[str, int] = field(default_factory=dict)

    def __iter__(self) -> Iterator[SubmissionReport]:
        for report in self.results:
            self.journal.record(report)
            yield report

    @property
    def reports(self) -> list[SubmissionReport]:
        return sorted(self.journal.done.values(), key=lambda r: r.student or "")


def default_journal(root: Path) -> Path:
    return Path(".torchdojo") / f"grades-{Path(root).resolve().name}.jsonl"


def start_class_run(root: Path, *, source: Source | None = None, executor: str = "local", jobs: int | None = None, scheduler: str | None = None,
                    workers: int | None = None, modules: Iterable[str] | None = None, device: str = "auto",
                    seed: int | None = None, lang: str = "ko", results: Path | None = None,
                    resume: bool = False) -> ClassRun:
    """Check the options, open the journal (with --resume: its seed, its students), pick the
    source and the executor; grading starts when the run is iterated."""
    from .runner import class_submissions

    if executor not in EXECUTORS:
        raise UsageError(f"unknown executor {executor!r} (known: {', '.join(EXECUTORS)})")
    source = source or detect_source(root)
    subs = class_submissions(source.root)
    path = results or default_journal(root)
    earlier = Journal.open(path, resume=True) if resume else None  # reading it changes nothing
    if earlier is not None and earlier.seed is not None and seed is not None and seed != earlier.seed:
        raise UsageError(f"{path} was graded with seed {earlier.seed}; --resume cannot change it to {seed}")
    if earlier is not None and earlier.seed is not None:
        seed = earlier.seed
    counts: dict[str, int] = {}
    opened: list[Journal] = []
    done = earlier.done if earlier is not None else {}
    # the executor checks its options when called, before a new journal replaces an old one
    graded = EXECUTORS[executor](source, jobs=jobs, scheduler=scheduler, workers=workers, worker_counts=counts,
                                 modules=list(modules) if modules else None, device=device, seed=seed, lang=lang,
                                 skip=done, on_start=lambda s, d: opened[0].start(s, d))
    journal = earlier if earlier is not None else Journal.open(path, resume=False)
    opened.append(journal)
    todo = [name for name, _ in subs if name not in journal.done]
    return ClassRun(source, journal, todo, graded, counts)
