"""Grading as a library: `check` one submission, `grade` a class. No printing here."""

from __future__ import annotations

import contextlib
import io
import os
import random
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable, Iterator

import pytest

from ..course import Course, graders_dir, load_course, project_root, reference_dir
from ..errors import UsageError
from ..sandbox.devices import resolve_device
from ..sandbox.isolation import available_tier, describe as describe_isolation
from ..sandbox.limits import Limits
from ..sandbox.zygote import Zygote
from .aggregate import modules_from_outcomes
from .context import GradingContext, make_data_root
from .report import ItemResult, ModuleResult, SubmissionReport

PYTEST_INI = Path(__file__).with_name("pytest.ini")


class _ContextPlugin:
    """Hands the run's context to the grading plugin before it configures itself."""

    def __init__(self, ctx: GradingContext):
        self.ctx = ctx

    @pytest.hookimpl(tryfirst=True)
    def pytest_configure(self, config) -> None:
        from .plugin import CONTEXT

        config.stash[CONTEXT] = self.ctx


@dataclass
class Scorer:
    """Grades submissions one after another, keeping the fork server and reference answers warm."""

    device: str = "auto"
    seed: int | None = None
    graders: Path | None = None
    reference: Path | None = None
    limits: Limits = Limits()
    lang: str = "ko"
    course: Course | None = None
    isolation: str | None = None  # None: the strongest tier available; "basic" forces the fallback
    fixed_cases_only: bool = False  # only the fixed corner cases of each item (seed-independent)

    def __post_init__(self) -> None:
        self.course = self.course or load_course()
        self.graders = Path(self.graders or graders_dir()).resolve()
        self.reference = Path(self.reference or reference_dir()).resolve()
        self.seed = self.seed if self.seed is not None else random.SystemRandom().randrange(2**31)
        self.zygote: Zygote | None = None
        self.tier = "basic"
        self.hidden: list[str] = []
        self.data_root: str | None = None
        self._reference_modules: dict = {}
        self._reference_cache: dict = {}

    def start(self) -> "Scorer":
        if self.zygote is None:
            self.device = resolve_device(self.device)
            self.tier = self.isolation or available_tier()
            root = project_root()  # tests/ holds mutants: near-copies of the reference
            self.hidden = [str(self.graders), str(self.reference), str(root / ".git"), str(root / "tests")]
            self.data_root = make_data_root()
            self.zygote = Zygote().start()
        return self

    def close(self) -> None:
        for remote in self._reference_modules.values():
            remote.close()
        self._reference_modules.clear()
        if self.zygote is not None:
            self.zygote.stop()
            self.zygote = None
        if self.data_root:
            shutil.rmtree(self.data_root, ignore_errors=True)
            self.data_root = None

    def __enter__(self) -> "Scorer":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    def module_names(self, only: Iterable[str] | None = None) -> list[str]:
        assert self.course is not None
        if not only:
            return self.course.names
        return [self.course.module(name).name for name in only]

    def score(self, submission: Path, modules: Iterable[str] | None = None,
              student: str | None = None, extra_hidden: Iterable[Path] = (),
              artifacts: bool = False) -> SubmissionReport:
        """Grade one submission folder (missing files cost their own module only)."""
        self.start()
        assert self.zygote is not None and self.course is not None
        started = time.monotonic()
        names = self.module_names(modules)
        ctx = GradingContext(
            zygote=self.zygote, submission=Path(submission).resolve(), reference=self.reference,
            device=self.device, seed=self.seed, base_limits=self.limits, course=self.course,
            reference_modules=self._reference_modules, reference_cache=self._reference_cache,
            tier=self.tier, hidden=self.hidden + [str(p) for p in extra_hidden],
            data_root=self.data_root, shared=[self.data_root] if self.data_root else [],
            keep_artifacts=artifacts, fixed_cases_only=self.fixed_cases_only,
        )
        files = []
        broken: list[ModuleResult] = []
        for name in names:
            grader = self.graders / f"test_{name}.py"
            if grader.is_file():
                files.append(str(grader))
            else:
                broken.append(_whole_module_error(name, f"no grader file for {name}", f"{name} 채점기 파일이 없습니다"))
        if files:
            try:
                _run_pytest(files, self.graders, ctx)
            finally:
                ctx.remove_data()
        results = {m.name: m for m in modules_from_outcomes(ctx.collected, self.lang)}
        for path, error in ctx.collection_errors.items():
            name = Path(path).stem.removeprefix("test_")
            results[name] = _whole_module_error(name, f"grader failed to load: {error.splitlines()[-1] if error else ''}",
                                                "채점기를 불러오지 못했습니다")
        for module in broken:
            results[module.name] = module
        for name, output in ctx.outputs.items():
            if name in results:
                results[name].output = output
        ordered = [results[n] for n in names if n in results]
        return SubmissionReport(submission=str(submission), modules=ordered, device=self.device, seed=self.seed,
                                isolation=describe_isolation(self.tier), student=student, seconds=time.monotonic() - started,
                                artifacts=ctx.artifacts)


def _whole_module_error(name: str, en: str, ko: str) -> ModuleResult:
    return ModuleResult(name, [ItemResult("(grader)", 0, 0, "error", en, {"en": en, "ko": ko})])


def _run_pytest(files: list[str], rootdir: Path, ctx: GradingContext) -> int:


    args = [
        *files,
        "-c", str(PYTEST_INI), "--rootdir", str(rootdir),
        "-p", "torchdojo.grading.plugin", "-p", "no:cacheprovider", "-p", "no:stepwise",
        # not needed for grading; unraisableexception alone costs ~0.25 s of gc.collect per run
        "-p", "no:unraisableexception", "-p", "no:threadexception", "-p", "no:doctest", "-p", "no:junitxml",
        "-p", "no:pastebin", "-p", "no:nose", "-p", "no:legacypath", "-p", "no:logging",
        "--import-mode=importlib", "--assert=plain", "-q", "--tb=no", "--no-header",
        "-W", "ignore",
    ]
    from .cases import fixed_cases_only

    sink = io.StringIO()
    with contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink), fixed_cases_only(ctx.fixed_cases_only):
        return int(pytest.main(args, plugins=[_ContextPlugin(ctx)]))


# -- submissions on disk ------------------------------------------------------------------

def validate_submission(path: Path, course: Course) -> Path:
    """A folder that exists and holds at least one exercise file; else a clear UsageError."""
    path = Path(path)
    if not path.exists():
        raise UsageError(f"{path}: no such folder (폴더가 없습니다)")
    if not path.is_dir():
        raise UsageError(f"{path}: not a folder (폴더가 아닙니다)")
    known = {m.filename for m in course.modules}
    if not any((path / name).exists() for name in known):
        raise UsageError(f"{path}: holds no exercise files such as {course.modules[0].filename} "
                         f"(연습 문제 파일이 없습니다)")
    return path


def class_submissions(root: Path) -> list[tuple[str, Path]]:
    root = Path(root)
    if not root.is_dir():
        raise UsageError(f"{root}: no such folder (폴더가 없습니다)")
    subs = [(p.name, p) for p in sorted(root.iterdir()) if p.is_dir() and not p.name.startswith(".")]
    if not subs:
        raise UsageError(f"{root}: no submission folders inside (제출 폴더가 없습니다)")
    return subs


def check(submission: Path, *, modules: Iterable[str] | None = None, device: str = "auto",
          seed: int | None = None, lang: str = "ko", artifacts: bool = False,
          save_progress: bool = True) -> SubmissionReport:
    """Grade one folder (e.g. `exercises/`) and return its report (progress saved in the folder)."""
    from .state import save_state

    course = load_course()
    validate_submission(submission, course)
    with Scorer(device=device, seed=seed, lang=lang, course=course) as scorer:
        report = scorer.score(submission, modules, artifacts=artifacts)
    if save_progress:
        save_state(submission, report)
    return report


# -- a class, possibly in parallel ---------------------------------------------------------

_POOL_SCORER: Scorer | None = None


def _pool_init(options: dict) -> None:
    global _POOL_SCORER
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _POOL_SCORER = Scorer(**options).start()


def _pool_score(job: tuple[str, str, list[str] | None, list[str]]) -> dict:
    student, path, modules, hidden = job
    assert _POOL_SCORER is not None
    return _POOL_SCORER.score(Path(path), modules, student=student, extra_hidden=[Path(h) for h in hidden]).to_dict()


def grade_folders(subs: list[tuple[str, Path]], *, jobs: int | None = None, modules: Iterable[str] | None = None,
                  device: str = "auto", seed: int | None = None, lang: str = "ko",
                  hidden: Iterable[Path] = (), on_start: Callable[[int, str], None] | None = None,
                  ) -> Iterator[SubmissionReport]:
    """Grade (student, folder) pairs, `jobs` at a time; yields each report as soon as it is known.

    `hidden` folders (the class folder, the original files) are invisible to student code.
    `on_start(seed, device)` is called once both are settled, before the first submission.
    """
    from .report import submission_from_dict

    course = load_course()
    modules = list(modules) if modules else None
    seed = seed if seed is not None else random.SystemRandom().randrange(2**31)
    jobs = max(1, jobs or len(os.sched_getaffinity(0)))
    device = resolve_device(device)
    hidden = [str(Path(h).resolve()) for h in hidden]
    if on_start:
        on_start(seed, device)
    if not subs:
        return
    if jobs == 1 or len(subs) <= 1:
        with Scorer(device=device, seed=seed, lang=lang, course=course) as scorer:
            for student, path in subs:
                yield scorer.score(path, modules, student=student, extra_hidden=[Path(h) for h in hidden])
        return
    import multiprocessing

    ctx = multiprocessing.get_context("fork")
    options = {"device": device, "seed": seed, "lang": lang}
    work = [(student, str(path), modules, hidden) for student, path in subs]
    with ctx.Pool(min(jobs, len(subs)), initializer=_pool_init, initargs=(options,)) as pool:
        for data in pool.imap_unordered(_pool_score, work):
            yield submission_from_dict(data)


def grade(root: Path, *, jobs: int | None = None, modules: Iterable[str] | None = None, device: str = "auto",
          seed: int | None = None, lang: str = "ko", skip: Iterable[str] = (),
          on_start: Callable[[int, str], None] | None = None) -> Iterator[SubmissionReport]:
    """Grade every subfolder of `root` (but `skip`); yields each report as soon as it is known."""
    skipped = set(skip)
    subs = [s for s in class_submissions(root) if s[0] not in skipped]
    yield from grade_folders(subs, jobs=jobs, modules=modules, device=device, seed=seed, lang=lang,
                             hidden=[Path(root)], on_start=on_start)
