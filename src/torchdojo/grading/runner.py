"""Grading as a library: `check` one submission, `grade` a class. No printing here."""

from __future__ import annotations

import contextlib
import io
import os
import shutil
import stat
import time
from collections import deque
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

import pytest

from ..course import Course, load_course
from ..errors import TorchdojoError, UsageError
from ..i18n import Text
from ..seeds import new_seed
from ..sandbox.devices import resolve_device
from ..sandbox.files import is_link
from ..sandbox.isolation import available_tier, describe as describe_isolation
from ..sandbox.limits import Limits
from ..sandbox.zygote import Zygote
from .aggregate import modules_from_outcomes
from .context import GradingContext, RunRecord, make_data_root, reference_spent
from .report import ItemResult, ModuleResult, SubmissionReport, misplaced_folder, safe_label

PYTEST_INI = Path(__file__).with_name("pytest.ini")


class _ContextPlugin:
    """Hands the run's context, and the record it fills, to the grading plugin before it configures itself."""

    def __init__(self, ctx: GradingContext, record: RunRecord):
        self.ctx = ctx
        self.record = record

    @pytest.hookimpl(tryfirst=True)
    def pytest_configure(self, config) -> None:
        from .context import CONTEXT, RECORD

        config.stash[CONTEXT] = self.ctx
        config.stash[RECORD] = self.record


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
    temp_dir: str | None = None  # where the run's data folder goes (default: the system's temp folder)

    def __post_init__(self) -> None:
        self.course = self.course or load_course()
        self.graders = Path(self.graders or self.course.graders_dir).resolve()
        self.reference = Path(self.reference or self.course.reference_dir).resolve()
        self.seed = self.seed if self.seed is not None else new_seed()
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
            # graders, reference, .git and the course's declared folders (this course: tests/, the mutants)
            hidden = [self.graders, self.reference, *self.course.hidden_dirs()]
            self.hidden = list(dict.fromkeys(str(Path(h).resolve()) for h in hidden))
            self.data_root = make_data_root(self.temp_dir)
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
        started = time.monotonic()
        names = self.module_names(modules)
        self._refresh_references()
        ctx = self.context_for(submission, extra_hidden=extra_hidden, artifacts=artifacts)
        files = []
        broken: list[ModuleResult] = []
        for name in names:
            grader = self.graders / f"test_{name}.py"
            if grader.is_file():
                files.append(str(grader))
            else:
                broken.append(_whole_module_error(name, Text(ko=f"{name} 채점기 파일이 없습니다",
                                                             en=f"no grader file for {name}")))
        record = RunRecord()
        if files:
            try:
                record = _run_pytest(files, self.graders, ctx)
            finally:
                ctx.remove_data()
        results = {m.name: m for m in modules_from_outcomes(record.outcomes)}
        for path, error in record.collection_errors.items():
            name = Path(path).stem.removeprefix("test_")
            last = error.splitlines()[-1] if error else ""
            results[name] = _whole_module_error(name, Text(ko="채점기를 불러오지 못했습니다",
                                                           en=f"grader failed to load: {last}"))
        for module in broken:
            results[module.name] = module
        for name, output in record.outputs.items():
            if name in results:
                results[name].output = output
        ordered = [results[n] for n in names if n in results]
        return SubmissionReport(submission=str(submission), modules=ordered, device=self.device, seed=self.seed,
                                isolation=describe_isolation(self.tier), student=student, seconds=time.monotonic() - started,
                                lang=self.lang, artifacts=record.artifacts).fit()

    def context_for(self, submission: Path, *, extra_hidden: Iterable[Path] = (),
                    artifacts: bool = False) -> GradingContext:
        """The one place a grading run's configuration is built (check, grade, a grader run by hand)."""
        self.start()
        assert self.zygote is not None and self.course is not None
        return GradingContext(
            zygote=self.zygote, submission=Path(submission).resolve(), reference=self.reference,
            device=self.device, seed=self.seed, base_limits=self.limits, course=self.course,
            reference_modules=self._reference_modules, reference_cache=self._reference_cache,
            tier=self.tier, hidden=self.hidden + [str(p) for p in extra_hidden],
            data_root=self.data_root, shared=[self.data_root] if self.data_root else [],
            keep_artifacts=artifacts, fixed_cases_only=self.fixed_cases_only,
        )

    def _refresh_references(self) -> None:
        """Every submission starts with a reference worker whose failure budget is whole.

        A reference module that crashed, timed out or failed to load while an earlier student was
        graded is replaced by a fresh one (its answers stay cached), so transient failures of
        the reference never add up across a class run and cost later students points."""
        for name, remote in list(self._reference_modules.items()):
            if reference_spent(remote):
                self._reference_modules.pop(name, None)
                with contextlib.suppress(Exception):
                    remote.close()


def _whole_module_error(name: str, text: Text) -> ModuleResult:
    return ModuleResult(name, [ItemResult("(grader)", 0, 0, "error", text)])


def _forget_other_graders(files: list[str]) -> None:
    """pytest's importlib mode names a grader module by its file name: a grader of the same name
    from another course (dev check, a second course in one process) must not be reused."""
    import sys

    wanted = {Path(f).stem: str(Path(f).resolve()) for f in files}
    for name, path in wanted.items():
        module = sys.modules.get(name)
        if module is not None and str(Path(getattr(module, "__file__", "") or "").resolve()) != path:
            del sys.modules[name]


def _run_pytest(files: list[str], rootdir: Path, ctx: GradingContext) -> RunRecord:
    """Run the graders on one submission; returns what they found."""


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

    _forget_other_graders(files)
    record = RunRecord()
    sink = io.StringIO()
    with contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink), fixed_cases_only(ctx.fixed_cases_only):
        pytest.main(args, plugins=[_ContextPlugin(ctx, record)])
    return record


# -- submissions on disk ------------------------------------------------------------------

def _lstat_mode(path: Path) -> int | None:
    try:
        return os.lstat(path).st_mode
    except OSError:
        return None


def validate_submission(path: Path, course: Course) -> Path:
    """A folder that exists and holds at least one exercise file; else a clear UsageError.

    Links are never followed: a folder that is a symbolic link is refused (it could name the
    reference or another student's work), and an exercise file that is a link counts as there
    (it is graded, and scores 0 with the message that links are not accepted)."""
    path = Path(path)
    shown = safe_label(str(path), 4096)
    mode = _lstat_mode(path)
    if mode is None:
        raise UsageError(f"{shown}: no such folder (폴더가 없습니다)")
    if stat.S_ISLNK(mode):
        raise UsageError(f"{shown}: is a symbolic link; links are not accepted, give the folder itself "
                         f"(심볼릭 링크입니다. 링크는 받지 않으니 폴더 자체를 주세요)")
    if not stat.S_ISDIR(mode):
        raise UsageError(f"{shown}: not a folder (폴더가 아닙니다)")
    known = {m.filename for m in course.modules}
    if not any(_lstat_mode(path / name) is not None for name in known):
        deeper = misplaced_folder(path, known)
        if deeper:
            inner = safe_label(str(path / deeper), 4096)
            raise UsageError(f"{shown}: holds no exercise files, but {inner} does: run torchdojo check {inner} "
                             f"(연습 문제 파일이 {inner}에 있습니다: torchdojo check {inner})")
        raise UsageError(f"{shown}: holds no exercise files such as {course.modules[0].filename} "
                         f"(연습 문제 파일이 없습니다)")
    return path


def class_submissions(root: Path) -> list[tuple[str, Path]]:
    """(student, folder) for every subfolder of `root`, in name order; never through a link.

    The student's name is `safe_label` of the folder's name (control characters and bytes that
    are not UTF-8 shown escaped). A subfolder that is a symbolic link to a folder is listed
    too: grading gives it 0 on every item with the message that links are not accepted
    (`link_report`), without reading anything through it."""
    root = Path(root)
    if not root.is_dir():
        raise UsageError(f"{safe_label(str(root), 4096)}: no such folder (폴더가 없습니다)")
    subs: list[tuple[str, Path]] = []
    seen: set[str] = set()
    for entry in sorted(root.iterdir()):
        if entry.name.startswith("."):
            continue
        mode = _lstat_mode(entry)
        if mode is None:
            continue
        if stat.S_ISLNK(mode):
            if not entry.is_dir():  # a link to a file, or dangling: not a submission, as a file is not
                continue
        elif not stat.S_ISDIR(mode):
            continue
        name = safe_label(entry.name)
        unique, n = name, 2
        while unique in seen:  # two names that only differ in what the label escapes
            unique, n = f"{name} ({n})", n + 1
        seen.add(unique)
        subs.append((unique, entry))
    if not subs:
        raise UsageError(f"{safe_label(str(root), 4096)}: no submission folders inside (제출 폴더가 없습니다)")
    return subs


def error_report(student: str | None, submission: str, modules: list[str], text: Text, *,
                 course: Course, lang: str, device: str, seed: int, status: str = "error") -> SubmissionReport:
    """A report for a submission that was not graded: every item of every module 0 points, one message."""
    results = []
    for name in modules:
        module = course.module(name)
        items = [ItemResult(item, 0, points, status, text) for item, points in module.items.items()]
        results.append(ModuleResult(module.name, items))
    return SubmissionReport(submission=submission, modules=results, device=device, seed=seed,
                            student=student, lang=lang).fit()


def link_report(student: str | None, path: Path, modules: list[str], *, course: Course, lang: str,
                device: str, seed: int) -> SubmissionReport:
    """The report of a submission folder that is a symbolic link: nothing is read through it."""
    name = safe_label(Path(path).name)
    return error_report(
        student, str(path), modules,
        Text(ko=f"{name}은(는) 심볼릭 링크입니다: 링크는 받지 않으니 폴더 자체를 제출하세요",
             en=f"{name} is a symbolic link: links are not accepted, hand in the folder itself"),
        course=course, lang=lang, device=device, seed=seed)


def _describe(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return safe_label(f"{type(exc).__name__}: {text[0] if text else ''}".strip().rstrip(":"), 500)


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
#
# `-j N` grades in N processes forked from this one, supervised here: each process holds one
# submission at a time, so when one dies (the OOM killer, a signal) its submission is known.
# It is tried once more in a fresh process; a second death (or a second exception) becomes an
# error report for that student only, and the run goes on. Every process keeps its temporary
# folders (data root, scratch folders of its workers) in one folder of the run, removed at the end
# whatever happened.

_POOL_SCORER: Scorer | None = None
ATTEMPTS = 2  # a submission whose grading process dies (or raises) twice gets an error report
DIED_EN = "the grading process died while grading this submission ({how}); it was not graded: ask your instructor to grade it again"
DIED_KO = "이 제출물을 채점하던 채점 프로세스가 죽었습니다 ({how}). 채점되지 않았으니 강사에게 다시 채점해 달라고 하세요"
RAISED_EN = "the grader failed on this submission ({how}); it was not graded: ask your instructor to grade it again"
RAISED_KO = "이 제출물을 채점하다가 채점기가 실패했습니다 ({how}). 채점되지 않았으니 강사에게 다시 채점해 달라고 하세요"


def _pool_score(job: tuple[str, str, list[str] | None, list[str]]) -> dict:
    student, path, modules, hidden = job
    assert _POOL_SCORER is not None
    return _POOL_SCORER.score(Path(path), modules, student=student, extra_hidden=[Path(h) for h in hidden]).to_dict()


def _pool_main(conn: Any, options: dict, temp_root: str) -> None:
    """One grading process: a warm Scorer, one job at a time from `conn`, until None or EOF."""
    global _POOL_SCORER
    import signal
    import tempfile

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    scorer = None
    try:
        try:
            mine = tempfile.mkdtemp(prefix="proc-", dir=temp_root)
            os.chmod(mine, 0o711)
            scorer = Scorer(**options, temp_dir=mine).start()
            # after the fork server started (it keeps the usual temp folder): this process's own
            # temporary folders, e.g. its workers' scratch folders, go into the run's folder
            tempfile.tempdir = mine
        except BaseException as exc:
            conn.send(("fatal", _describe(exc)))
            return
        _POOL_SCORER = scorer
        while True:
            try:
                job = conn.recv()
            except (EOFError, OSError):
                break
            if job is None:
                break
            try:
                data = _pool_score(job)
            except Exception as exc:  # this Scorer may be broken now: the parent starts a fresh process
                conn.send(("error", _describe(exc)))
                break
            conn.send(("report", data))
    finally:
        _POOL_SCORER = None
        if scorer is not None:
            with contextlib.suppress(Exception):
                scorer.close()
        with contextlib.suppress(Exception):
            conn.close()


def _how_it_died(exitcode: int | None) -> str:
    import signal

    if exitcode is None:
        return "it stopped answering"
    if exitcode < 0:
        try:
            return f"killed by {signal.Signals(-exitcode).name}"
        except ValueError:
            return f"killed by signal {-exitcode}"
    return f"exit status {exitcode}"


class _PoolProcess:
    def __init__(self, mp: Any, options: dict, temp_root: str):
        self.conn, child = mp.Pipe(duplex=True)
        self.process = mp.Process(target=_pool_main, args=(child, options, temp_root), daemon=True,
                                  name="torchdojo-grade")
        self.process.start()
        child.close()  # else a dead process's end never reads EOF here
        self.job: tuple | None = None
        self.tries = 0  # earlier attempts at `job` that ended with a dead process

    def stop(self, *, kill: bool) -> None:
        if kill and self.process.is_alive():
            self.process.kill()
        else:
            with contextlib.suppress(Exception):
                self.conn.send(None)


def _grade_in_pool(work: list[tuple], jobs: int, options: dict, temp_root: str,
                   failed: Callable[[tuple, str, str], SubmissionReport]) -> Iterator[SubmissionReport]:
    import multiprocessing
    from multiprocessing.connection import wait

    from .report import submission_from_dict

    mp = multiprocessing.get_context("fork")
    queue: deque[tuple[tuple, int]] = deque((job, 0) for job in work)
    procs: list[_PoolProcess] = []
    deaths_in_a_row = 0
    finished = False
    try:
        procs = [_PoolProcess(mp, options, temp_root) for _ in range(min(jobs, len(work)))]
        while True:
            for index, proc in enumerate(procs):
                if proc.job is None and queue:
                    if not proc.process.is_alive():  # died while idle: not a submission's doing
                        procs[index] = proc = _PoolProcess(mp, options, temp_root)
                    proc.job, proc.tries = queue.popleft()
                    try:
                        proc.conn.send(proc.job)
                    except OSError:
                        pass  # it died just now: its sentinel says so below
            busy = [p for p in procs if p.job is not None]
            if not busy:
                break
            ready = set(wait([p.conn for p in busy] + [p.process.sentinel for p in busy]))
            for index, proc in enumerate(procs):
                if proc.job is None or (proc.conn not in ready and proc.process.sentinel not in ready):
                    continue
                message = None
                try:
                    if proc.conn.poll():
                        message = proc.conn.recv()
                except (EOFError, OSError):
                    message = None
                job, tries = proc.job, proc.tries
                if message is None:
                    if proc.process.is_alive() and proc.process.sentinel not in ready:
                        continue
                    proc.process.join(5)
                    reason = ("died", _how_it_died(proc.process.exitcode))
                elif message[0] == "fatal":
                    raise TorchdojoError(f"a grading process could not start: {message[1]}")
                elif message[0] == "error":
                    proc.process.join(5)
                    reason = ("raised", message[1])
                else:
                    proc.job = None
                    deaths_in_a_row = 0
                    yield submission_from_dict(message[1])
                    continue
                # the process is gone (or going): a fresh one for the rest, this job again or an error report
                proc.job = None
                with contextlib.suppress(Exception):
                    proc.process.kill()
                proc.conn.close()
                deaths_in_a_row += 1
                if deaths_in_a_row > 2 * len(procs) + 4:
                    raise TorchdojoError(f"grading processes keep dying ({reason[1]}); the results so far are "
                                         "kept, run again with --resume")
                if tries + 1 < ATTEMPTS:
                    queue.appendleft((job, tries + 1))
                else:
                    yield failed(job, *reason)
                procs[index] = _PoolProcess(mp, options, temp_root) if (queue or any(p.job for p in procs)) \
                    else proc
        finished = True
    finally:
        for proc in procs:
            proc.stop(kill=not finished or proc.job is not None)
        deadline = time.monotonic() + 30
        for proc in procs:
            proc.process.join(max(0.1, deadline - time.monotonic()))
            if proc.process.is_alive():
                proc.process.kill()
                proc.process.join(5)
            with contextlib.suppress(Exception):
                proc.conn.close()


def grade_folders(subs: list[tuple[str, Path]], *, jobs: int | None = None, modules: Iterable[str] | None = None,
                  device: str = "auto", seed: int | None = None, lang: str = "ko",
                  hidden: Iterable[Path] = (), on_start: Callable[[int, str], None] | None = None,
                  ) -> Iterator[SubmissionReport]:
    """Grade (student, folder) pairs, `jobs` at a time; yields each report as soon as it is known.

    `hidden` folders (the class folder, the original files) are invisible to student code.
    `on_start(seed, device)` is called once both are settled, before the first submission.
    A folder that is a symbolic link is not graded: 0 points with the message that links are
    not accepted. A folder that holds no exercise file but one plain subfolder that does is
    graded from that subfolder (`graded_folder`). A submission whose grading process dies (or whose grading raises) twice gets
    an error report; the run goes on.
    """
    course = load_course()
    modules = list(modules) if modules else None
    names = [course.module(m).name for m in modules] if modules else course.names
    seed = seed if seed is not None else new_seed()
    jobs = max(1, jobs or len(os.sched_getaffinity(0)))
    device = resolve_device(device)
    hidden = [str(Path(h).resolve()) for h in hidden]
    if on_start:
        on_start(seed, device)
    if not subs:
        return

    def failed(job: tuple, kind: str, how: str) -> SubmissionReport:
        en, ko = (DIED_EN, DIED_KO) if kind == "died" else (RAISED_EN, RAISED_KO)
        return error_report(job[0], job[1], names, Text(ko=ko.format(how=how), en=en.format(how=how)), course=course,
                            lang=lang, device=device, seed=seed)

    work = []
    moved: dict[str, str] = {}  # graded folder -> the student's folder, for the report
    for student, path in subs:
        if is_link(path):
            yield link_report(student, path, names, course=course, lang=lang, device=device, seed=seed)
        else:
            graded = str(graded_folder(Path(path), course))
            moved[graded] = str(path)
            work.append((student, graded, modules, hidden))
    if not work:
        return
    for report in _graded(work, jobs, modules, device, seed, lang, course, hidden, failed):
        report.submission = moved.get(report.submission, report.submission)
        yield report


def graded_folder(path: Path, course: Course) -> Path:
    """The folder graded for a submission: `path`, or, when `path` holds no exercise file, the
    one plain subfolder that does (`frank/exercises/`; the report says so)."""
    deeper = misplaced_folder(path, [m.filename for m in course.modules])
    return path / deeper if deeper else path


def _graded(work: list[tuple], jobs: int, modules: list[str] | None, device: str, seed: int, lang: str,
            course: Course, hidden: list[str], failed: Callable[[tuple, str, str], SubmissionReport],
            ) -> Iterator[SubmissionReport]:
    import tempfile

    if jobs == 1 or len(work) <= 1:
        scorer = Scorer(device=device, seed=seed, lang=lang, course=course)
        try:
            for job in work:
                for attempt in range(ATTEMPTS):
                    try:
                        report = scorer.score(Path(job[1]), modules, student=job[0],
                                              extra_hidden=[Path(h) for h in hidden])
                        break
                    except Exception as exc:  # a broken Scorer is not reused
                        with contextlib.suppress(Exception):
                            scorer.close()
                        scorer = Scorer(device=device, seed=seed, lang=lang, course=course)
                        if attempt + 1 == ATTEMPTS:
                            report = failed(job, "raised", _describe(exc))
                yield report
        finally:
            scorer.close()
        return
    temp_root = tempfile.mkdtemp(prefix="torchdojo-run-")
    os.chmod(temp_root, 0o711)  # workers of other uids must reach their scratch and data folders
    try:
        yield from _grade_in_pool(work, jobs, {"device": device, "seed": seed, "lang": lang}, temp_root, failed)
    finally:
        shutil.rmtree(temp_root, ignore_errors=True)


def grade(root: Path, *, jobs: int | None = None, modules: Iterable[str] | None = None, device: str = "auto",
          seed: int | None = None, lang: str = "ko", skip: Iterable[str] = (),
          on_start: Callable[[int, str], None] | None = None) -> Iterator[SubmissionReport]:
    """Grade every subfolder of `root` (but `skip`); yields each report as soon as it is known."""
    skipped = set(skip)
    subs = [s for s in class_submissions(root) if s[0] not in skipped]
    yield from grade_folders(subs, jobs=jobs, modules=modules, device=device, seed=seed, lang=lang,
                             hidden=[Path(root)], on_start=on_start)
