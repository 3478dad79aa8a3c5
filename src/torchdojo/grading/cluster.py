"""Grading a class on a Dask cluster (`grade --executor dask`): one task per submission.

Same contract as `runner.grade` (yields each report as soon as it is known, `on_start(seed, device)`
once, `skip` = students already done), so the CLI's journal, progress bar and --resume work the
same for both executors. Dask (`distributed`) is optional and imported only here, lazily.

What travels, and where grading happens:
- Client -> every worker, once per run: the graders and reference solutions as bytes, in a worker
  plugin (the scheduler hands it to workers that join or restart later too). Workers need only
  the same torchdojo package installed, no shared file system, no copy of graders/ or reference/.
- Client -> one worker, per task: the submission's files as bytes (exactly the files the local
  path would read: the folder's top-level `*.py`).
- On the worker: `grade_submission` writes the files into a temporary folder and grades them with
  a `Scorer` kept per worker process (its fork server and the reference answers stay warm
  between tasks), inside the same sandbox and limits as locally.
- Worker -> client: `SubmissionReport.to_dict()` (plain data) and the worker's address.

Faults: a worker that dies mid-task has its submission retried on another worker by the
scheduler; a submission whose grading fails twice (raises twice, or kills two workers: the
scheduler's `allowed-failures` is set to 1 for the LocalCluster started here) is reported as an
error for that student and the batch goes on.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import logging
import os
import shutil
import stat
import tempfile
import threading
import uuid
from collections import Counter, OrderedDict
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

from ..seeds import new_seed
from ..errors import TorchdojoError, UsageError
from ..i18n import Text
from .report import SubmissionReport

INSTALL_HINT = ("--executor dask needs Dask's distributed scheduler, which is not installed here: "
                "pip install 'torchdojo[cluster]' (or: pip install 'dask[distributed]>=2024.1'), "
                "or use --executor local")
WAIT_FOR_WORKERS_S = 600  # with --scheduler: how long to wait for the first (or --workers N) workers
CONNECT_TIMEOUT_S = 30
RETRIES = 1  # a submission is tried at most twice
# For the scheduler of a LocalCluster started here (put the same in the config of a real one):
# a submission whose worker died twice ends as KilledWorker (Dask default: after 4), a worker
# holds only the task it runs, so a death makes no innocent queued submission "suspicious".
SCHEDULER_CONFIG = {"distributed.scheduler.allowed-failures": RETRIES,
                    "distributed.scheduler.worker-saturation": 1.0}
# no dashboard; its HTTP server (health, metrics) on a free local port, not 8787 (often taken)
LOCAL_SCHEDULER_KWARGS = {"dashboard": False, "dashboard_address": "127.0.0.1:0"}


def _import_distributed() -> Any:
    try:
        import dask  # noqa: F401
        import distributed
    except ImportError as exc:
        raise UsageError(f"{INSTALL_HINT} ({exc})") from exc
    return distributed


# -- what travels ---------------------------------------------------------------------------

def _hidden(relative: Path) -> bool:
    return any(part.startswith(".") or part == "__pycache__" for part in relative.parts)


def course_bundle(graders: Path, reference: Path, manifest: Path | None = None) -> dict[str, bytes]:
    """graders/ and reference/ as {"graders/test_01_tensors.py": bytes, "reference/01_tensors.py": ...},
    with the course manifest as "torchdojo.yaml" (workers grade the client's course, not their own)."""
    files: dict[str, bytes] = {}
    if manifest is not None:
        files["torchdojo.yaml"] = Path(manifest).read_bytes()
    for prefix, folder in (("graders", Path(graders)), ("reference", Path(reference))):
        if not folder.is_dir():
            raise UsageError(f"{folder}: no such folder; the cluster needs the {prefix} to send to its workers")
        for path in sorted(folder.rglob("*")):
            relative = path.relative_to(folder)
            if path.is_file() and not _hidden(relative) and path.suffix != ".pyc":
                files[f"{prefix}/{relative.as_posix()}"] = path.read_bytes()
    return files


@functools.lru_cache(maxsize=None)
def package_fingerprint() -> str:
    """A hash of the torchdojo code that grading runs (course, grading, sandbox, coursekit).

    The client's and every worker's must be equal: the same graders on another version of the
    sandbox or the coursekit could score differently. Computed once per process (at its first
    use), so a worker whose installation changed on disk after it started is refused too.
    """
    package = Path(__file__).resolve().parents[1]
    digest = hashlib.sha256()
    paths = [package / "course.py", package / "errors.py", package / "i18n.py", package / "wire.py"]
    for sub in ("grading", "sandbox", "worker", "coursekit"):
        paths += sorted(p for p in (package / sub).rglob("*") if p.suffix in (".py", ".yaml", ".ini"))
    for path in paths:
        if path.is_file():
            digest.update(path.relative_to(package).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


LINK = "link"  # on the wire: this exercise file is a symbolic link (never read, never followed)
_DANGLING = "/nonexistent/torchdojo-link-not-accepted"


def submission_files(path: Path, max_bytes: int) -> dict[str, bytes | int | str | None]:
    """The files the local path would read from a submission folder, for the wire.

    {name: bytes} for each top-level `*.py` file (a regular file, read without following links
    or blocking); {name: size} for one larger than `max_bytes` (it is never read, only its size
    is reported: re-created as a sparse file of that size); {name: None} for a folder named like
    an exercise file; {name: "link"} for a symbolic link (re-created as a dangling link, which
    grading refuses like any link). A folder that is itself a link gives {}.
    """
    from ..sandbox.files import UnsafeFile, is_link, read_regular_file

    files: dict[str, bytes | int | str | None] = {}
    if is_link(path):
        return files
    try:
        entries = sorted(Path(path).iterdir())
    except OSError:
        return files
    for entry in entries:
        if entry.suffix != ".py":
            continue
        try:
            info = os.lstat(entry)
        except OSError:
            continue
        if stat.S_ISLNK(info.st_mode):
            files[entry.name] = LINK
        elif stat.S_ISDIR(info.st_mode):
            files[entry.name] = None
        elif stat.S_ISREG(info.st_mode):
            if info.st_size > max_bytes:
                files[entry.name] = info.st_size
                continue
            try:
                files[entry.name] = read_regular_file(entry, max_bytes, root=path)
            except UnsafeFile as exc:
                if exc.kind == "too_large":
                    files[entry.name] = max_bytes + 1
                elif exc.kind == "link":
                    files[entry.name] = LINK
            except OSError:
                continue
    return files


def write_submission(folder: Path, files: dict[str, bytes | int | str | None]) -> None:
    """Re-create on the worker what `submission_files` read on the client."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        if not name or name in (".", "..") or "/" in name or "\\" in name or "\0" in name:
            raise ValueError(f"bad file name in a submission: {name!r}")
        target = folder / name
        if content is None:
            target.mkdir()
        elif content == LINK:
            os.symlink(_DANGLING, target)
        elif isinstance(content, int):
            with open(target, "wb") as fh:
                fh.truncate(content)
        elif isinstance(content, bytes):
            target.write_bytes(content)
        else:
            raise ValueError(f"bad file content in a submission: {type(content).__name__}")


# -- on the worker ----------------------------------------------------------------------------

_LOCK = threading.RLock()  # one grading at a time per worker process (pytest and a Scorer are not re-entrant)
_HOMES: dict[str, Path] = {}  # run token -> the folder the run's graders/ and reference/ were unpacked into
_SCORERS: "OrderedDict[tuple, Any]" = OrderedDict()  # (run, device, seed, lang) -> a started Scorer
_MAX_SCORERS = 2


def _unpack(run: str, bundle: dict[str, bytes], parent: str | None = None) -> Path:
    home = Path(tempfile.mkdtemp(prefix="torchdojo-course-", dir=parent))
    os.chmod(home, 0o700)
    for name, content in bundle.items():
        target = home / name
        if not target.resolve().is_relative_to(home.resolve()):
            raise ValueError(f"bad file name in the course bundle: {name!r}")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content)
    (home / "graders").mkdir(exist_ok=True)
    (home / "reference").mkdir(exist_ok=True)
    _HOMES[run] = home
    return home


def _forget(run: str, *, wait: bool = False) -> None:
    """Close the run's Scorers and remove its unpacked graders/reference.

    Called from the worker's event loop (plugin teardown): it must not block there, so while a
    task of a cancelled run still grades, the cleaning waits for it in a thread of its own.
    """
    if not _LOCK.acquire(blocking=wait):
        threading.Thread(target=_forget, args=(run,), kwargs={"wait": True}, daemon=True).start()
        return
    try:
        for key in [k for k in _SCORERS if k[0] == run]:
            with contextlib.suppress(Exception):
                _SCORERS.pop(key).close()
        home = _HOMES.pop(run, None)
        if home is not None:
            shutil.rmtree(home, ignore_errors=True)
    finally:
        _LOCK.release()


def _plugin_class() -> type:
    """The worker plugin class, made on first use so that importing this module needs no Dask."""
    cls = globals().get("_CoursePluginClass")
    if cls is None:
        from distributed.diagnostics.plugin import WorkerPlugin

        class _CoursePlugin(WorkerPlugin):
            """Carries one run's graders and reference to every worker, current and future."""

            def __init__(self, run: str, bundle: dict[str, bytes], fingerprint: str):
                self.run, self.bundle, self.fingerprint = run, bundle, fingerprint

            def setup(self, worker: Any) -> None:
                mine = package_fingerprint()
                if mine != self.fingerprint:
                    raise RuntimeError(
                        f"torchdojo on worker {worker.address} differs from the client's "
                        f"(code fingerprint {mine} != {self.fingerprint}); install the same torchdojo on every worker")
                # in the worker's own folder: Dask purges it if the worker is killed before teardown
                _unpack(self.run, self.bundle, getattr(worker, "local_directory", None))

            def teardown(self, worker: Any) -> None:
                _forget(self.run)

        _CoursePlugin.__module__ = __name__
        _CoursePlugin.__qualname__ = _CoursePlugin.__name__ = "_CoursePlugin"
        globals()["_CoursePluginClass"] = cls = _CoursePlugin
    return cls


def __getattr__(name: str) -> Any:  # lets pickle find the plugin class on a worker (PEP 562)
    if name == "_CoursePlugin":
        return _plugin_class()
    raise AttributeError(name)


def _scorer_for(run: str, home: Path, options: dict) -> Any:
    from ..course import load_course
    from ..sandbox.zygote import mark_process_has_graded
    from .runner import Scorer

    key = (run, options["device"], options["seed"], options["lang"])
    scorer = _SCORERS.get(key)
    if scorer is not None:
        _SCORERS.move_to_end(key)
        return scorer
    while len(_SCORERS) >= _MAX_SCORERS:
        with contextlib.suppress(Exception):
            _SCORERS.popitem(last=False)[1].close()
    # This process holds graders, reference solutions and other students' files (the plugin and
    # the tasks' arguments): its fork server must be a fresh interpreter, never a fork of it.
    # (It is threaded too, another reason not to fork a long-lived server from it.)
    mark_process_has_graded()
    scorer = Scorer(device=options["device"], seed=options["seed"], lang=options["lang"],
                    graders=home / "graders", reference=home / "reference",
                    course=load_course(home) if (home / "torchdojo.yaml").is_file() else load_course()).start()
    _SCORERS[key] = scorer
    return scorer


def grade_submission(student: str, files: dict[str, bytes | int | None], modules: list[str] | None,
                     options: dict) -> dict[str, Any]:
    """The Dask task: grade one submission on this worker; {"report": to_dict(), "worker": address}.

    `options`: run (the plugin's token), device ('auto' resolves on the worker), seed, lang,
    submission (the folder's path on the client, put back into the report).
    """
    from distributed import get_worker

    worker = get_worker()
    address = worker.address
    run = options["run"]
    with _LOCK:
        home = _HOMES.get(run)
        if home is None:
            raise RuntimeError(f"worker {address} has no course for run {run} (its plugin failed to set up)")
        scorer = _scorer_for(run, home, options)
        staging = Path(tempfile.mkdtemp(prefix="torchdojo-submission-", dir=getattr(worker, "local_directory", None)))
        try:
            folder = staging / "submission"
            write_submission(folder, files)
            try:
                report = scorer.score(folder, modules, student=student, extra_hidden=[staging])
            except BaseException:
                # a broken Scorer (e.g. its fork server died) is not reused: the retry gets a fresh one
                key = (run, options["device"], options["seed"], options["lang"])
                with contextlib.suppress(Exception):
                    _SCORERS.pop(key).close()
                raise
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    data = report.to_dict()
    data["submission"] = options.get("submission", data["submission"])
    return {"report": data, "worker": address}


# -- on the client ------------------------------------------------------------------------------

def failed_report(student: str, submission: str, modules: list[str], reason: str, *, device: str, seed: int,
                  lang: str) -> SubmissionReport:
    """The report of a submission the cluster could not grade: every module one `(grader)` error."""
    from .runner import _whole_module_error

    text = Text(ko=f"클러스터에서 채점이 두 번 실패했습니다: {reason}", en=f"grading failed twice on the cluster: {reason}")
    results = [_whole_module_error(name, text) for name in modules]
    return SubmissionReport(submission=submission, modules=results, device=device, seed=seed,
                            student=student, lang=lang)


def _describe(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else ''}".strip().rstrip(":")


def _connect(distributed: Any, scheduler: str | None, workers: int | None, n_tasks: int) -> tuple[Any, Any]:
    """(client, cluster): a new LocalCluster of worker processes, or a client of `scheduler`."""
    import dask

    if scheduler is None:
        n = max(1, min(workers or len(os.sched_getaffinity(0)), n_tasks))
        with dask.config.set(SCHEDULER_CONFIG):  # the scheduler runs in this process
            cluster = distributed.LocalCluster(n_workers=n, threads_per_worker=1, processes=True,
                                               dashboard_address=None, scheduler_kwargs=LOCAL_SCHEDULER_KWARGS,
                                               silence_logs=logging.ERROR)
        try:
            client = distributed.Client(cluster, set_as_default=False)
        except BaseException:
            cluster.close()
            raise
        return client, cluster
    try:
        client = distributed.Client(scheduler, timeout=CONNECT_TIMEOUT_S, set_as_default=False)
    except (OSError, TimeoutError, ValueError) as exc:
        raise UsageError(f"cannot reach the Dask scheduler at {scheduler}: {exc}") from exc
    try:
        client.wait_for_workers(workers or 1, timeout=WAIT_FOR_WORKERS_S)
    except (TimeoutError, OSError) as exc:
        client.close()
        raise UsageError(f"fewer than {workers or 1} Dask worker(s) joined {scheduler} within "
                         f"{WAIT_FOR_WORKERS_S} s (start some: dask worker {scheduler} --nthreads 1)") from exc
    except BaseException:
        client.close()
        raise
    return client, None


def _worker_device(device: str) -> str:
    from ..sandbox.devices import resolve_device

    return resolve_device(device)


def _cluster_device(client: Any, device: str) -> str:
    """What the workers resolve `device` to (a UsageError, e.g. cuda without a GPU, comes back here)."""
    answers = client.run(_worker_device, device)
    values = sorted(set(answers.values()))
    return values[0] if len(values) == 1 else "+".join(values)


def grade_dask(root: Path, *, scheduler: str | None = None, workers: int | None = None,
               modules: Iterable[str] | None = None, device: str = "auto", seed: int | None = None,
               lang: str = "ko", skip: Iterable[str] = (), on_start: Callable[[int, str], None] | None = None,
               on_worker_counts: Callable[[dict[str, int]], None] | None = None) -> Iterator[SubmissionReport]:
    """Grade every subfolder of `root` (but `skip`) on a Dask cluster; yields each report as it arrives.

    `scheduler`: address of a running Dask scheduler (e.g. tcp://head:8786); None starts a
    LocalCluster of `workers` processes (default: the number of cores; never more than there
    are submissions). With a scheduler, `workers` is how many workers to wait for (default 1).
    `on_start(seed, device)` is called once, before the first submission; `on_worker_counts`
    once at the end with {worker address: reports graded there} ("(failed)": reports made
    because the cluster could not grade the submission).
    """
    distributed = _import_distributed()
    from ..course import load_course
    from ..sandbox.devices import resolve_device
    from ..sandbox.files import is_link
    from .report import submission_from_dict
    from .runner import class_submissions, graded_folder, link_report

    course = load_course()
    skipped = set(skip)
    subs = [s for s in class_submissions(root) if s[0] not in skipped]
    linked = [s for s in subs if is_link(s[1])]  # never read through: 0 with the message, not sent
    subs = [s for s in subs if not is_link(s[1])]
    names = [course.module(m).name for m in modules] if modules else None
    seed = seed if seed is not None else new_seed()
    if workers is not None and workers < 1:
        raise UsageError(f"--workers must be at least 1, not {workers}")
    if not subs:
        device = resolve_device(device) if scheduler is None else device
        if on_start:
            on_start(seed, device)
        for student, path in linked:
            yield link_report(student, path, names or course.names, course=course, lang=lang, device=device,
                              seed=seed)
        if on_worker_counts:
            on_worker_counts({"(link)": len(linked)} if linked else {})
        return
    bundle = course_bundle(course.graders_dir, course.reference_dir, course.folder("torchdojo.yaml"))
    max_source = max(m.limits_for().source_bytes for m in course.modules)
    run = uuid.uuid4().hex[:12]
    plugin_name = f"torchdojo-course-{run}"
    client = cluster = None
    pending: dict[Any, tuple[Any, str, Path]] = {}  # key -> (future, student, folder)
    counts: Counter[str] = Counter()
    client_device = resolve_device(device) if scheduler is None else None  # this machine: before starting workers
    try:
        client, cluster = _connect(distributed, scheduler, workers, len(subs))
        client_device = client_device or _cluster_device(client, device)
        try:
            client.register_plugin(_plugin_class()(run, bundle, package_fingerprint()), name=plugin_name)
        except Exception as exc:
            raise UsageError(f"a Dask worker could not set up grading: {exc}") from exc
        if on_start:
            on_start(seed, client_device)
        for student, path in linked:
            counts["(link)"] += 1
            yield link_report(student, path, names or course.names, course=course, lang=lang,
                              device=client_device, seed=seed)
        options = {"run": run, "device": device, "seed": seed, "lang": lang}
        # One task group (key prefix) for the whole class: the scheduler then queues the tasks
        # itself and hands a worker only the task it runs (worker-saturation 1.0).
        for student, path in subs:
            files = submission_files(graded_folder(Path(path), course), max_source)
            future = client.submit(grade_submission, student, files, names,
                                   {**options, "submission": str(path)}, key=(f"torchdojo-grade-{run}", student),
                                   retries=RETRIES, pure=False)
            pending[future.key] = (future, student, path)
        for future in distributed.as_completed([f for f, _, _ in pending.values()], loop=client.loop):
            _, student, path = pending.pop(future.key)
            try:
                data = future.result()
            except Exception as exc:
                if future.status != "error":
                    # cancelled or lost (scheduler gone or restarted): the cluster failed, not this
                    # submission. Stop; what was graded is journaled, --resume grades the rest.
                    raise TorchdojoError(f"the Dask cluster dropped the grading of {student} ({_describe(exc)}); "
                                         "the results so far are kept, run again with --resume") from exc
                # the task erred: KilledWorker (its worker died twice) or grading raised twice
                counts["(failed)"] += 1
                report = failed_report(student, str(path), names or course.names, _describe(exc),
                                       device=client_device, seed=seed, lang=lang)
            else:
                counts[data["worker"]] += 1
                report = submission_from_dict(data["report"])
            future.release()
            yield report
        if on_worker_counts:
            on_worker_counts(dict(counts))
    finally:
        _shut_down(client, cluster, plugin_name, pending)


def _shut_down(client: Any, cluster: Any, plugin_name: str, pending: dict) -> None:
    if client is not None:
        with contextlib.suppress(Exception):
            if pending:
                client.cancel([f for f, _, _ in pending.values()])
        if cluster is None:  # someone else's cluster: leave it as we found it
            with contextlib.suppress(Exception):
                client.unregister_worker_plugin(plugin_name)
        with contextlib.suppress(Exception):
            client.close()
    if cluster is not None:
        with contextlib.suppress(Exception):
            cluster.close()


__all__ = ["grade_dask", "grade_submission", "failed_report", "submission_files", "course_bundle",
           "package_fingerprint", "INSTALL_HINT"]
