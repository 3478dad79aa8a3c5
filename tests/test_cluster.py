"""`grade --executor dask`: a small class through a LocalCluster, a killed worker, a resumed run.

Needs the `cluster` extra (dask[distributed]); without it only the fast tests run (and the one
that checks the install hint). One LocalCluster of 2 worker processes serves the slow tests.
"""

from __future__ import annotations

import logging
import os
import shutil
import signal
import sys
import threading
import time
from pathlib import Path

import pytest

from helpers import ROOT, SEED
from torchdojo.errors import UsageError

MODULE = "01_tensors"
SLEEP = 3  # seconds the slow student's module sleeps while loading: a window to kill its worker in


def _make_class(root: Path, *, slow: bool = False) -> Path:
    """Solved, unsolved, half-solved and empty submissions (as in test_cli_grade), maybe a slow one."""
    ref = (ROOT / "reference" / f"{MODULE}.py").read_text(encoding="utf-8")
    for name, source in (("alice", ref), ("bob", (ROOT / "exercises" / f"{MODULE}.py").read_text(encoding="utf-8")),
                         ("carol", ref + "\n\ndef pairwise_sum(col, row):\n    raise NotImplementedError\n")):
        (root / name).mkdir(parents=True)
        (root / name / f"{MODULE}.py").write_text(source, encoding="utf-8")
    (root / "dave").mkdir()  # handed in nothing
    if slow:
        (root / "slow").mkdir()
        (root / "slow" / f"{MODULE}.py").write_text(f"import time\ntime.sleep({SLEEP})\n" + ref, encoding="utf-8")
    return root


def _summary(report) -> tuple:
    return (report.score, report.max_score,
            [(m.name, [(i.name, i.score, i.status) for i in m.items]) for m in report.modules])


# -- fast: no cluster ------------------------------------------------------------------------

def test_without_dask_the_dask_executor_says_how_to_install(monkeypatch, tmp_path):
    from torchdojo.grading.cluster import grade_dask

    monkeypatch.setitem(sys.modules, "distributed", None)  # as if not installed
    with pytest.raises(UsageError, match=r"pip install 'torchdojo\[cluster\]'"):
        next(grade_dask(_make_class(tmp_path / "class")))


def test_submission_files_travel_as_the_local_path_reads_them(tmp_path):
    from torchdojo.grading.cluster import submission_files, write_submission

    sub = tmp_path / "sub"
    sub.mkdir()
    (sub / "01_tensors.py").write_bytes(b"x = 1\n")
    (sub / "02_autograd.py").write_bytes(b"#" * 5000)  # over the limit: only its size travels
    (sub / "03_gradient_descent.py").mkdir()  # a folder named like an exercise
    (sub / "notes.txt").write_text("not read")
    files = submission_files(sub, max_bytes=1000)
    assert files == {"01_tensors.py": b"x = 1\n", "02_autograd.py": 5000, "03_gradient_descent.py": None}
    out = tmp_path / "out"
    write_submission(out, files)
    assert (out / "01_tensors.py").read_bytes() == b"x = 1\n"
    assert (out / "02_autograd.py").stat().st_size == 5000 and (out / "03_gradient_descent.py").is_dir()
    with pytest.raises(ValueError):
        write_submission(tmp_path / "bad", {"../escape.py": b""})


def test_a_submission_the_cluster_could_not_grade_is_an_error_report():
    from torchdojo.grading.cluster import failed_report

    rep = failed_report("eve", "class/eve", ["01_tensors", "02_autograd"], "KilledWorker: died",
                        device="cpu", seed=7, lang="ko")
    assert rep.student == "eve" and rep.score == 0 and not rep.full
    assert [m.name for m in rep.modules] == ["01_tensors", "02_autograd"]
    item = rep.modules[0].items[0]
    assert item.name == "(grader)" and item.status == "error"
    assert "KilledWorker" in item.text.ko and "클러스터" in item.text.ko
    assert "failed twice on the cluster" in item.text.en and "KilledWorker" in item.text.en
    assert rep.to_dict()["modules"][0]["items"][0]["message"] == item.text.ko  # the report's language


# -- slow: a LocalCluster ----------------------------------------------------------------------

@pytest.fixture(scope="module")
def cluster():
    distributed = pytest.importorskip("distributed")
    import dask

    from torchdojo.grading.cluster import LOCAL_SCHEDULER_KWARGS, SCHEDULER_CONFIG

    with dask.config.set(SCHEDULER_CONFIG):
        local = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                                         scheduler_kwargs=LOCAL_SCHEDULER_KWARGS, silence_logs=logging.CRITICAL)
    client = distributed.Client(local, set_as_default=False)
    yield local, client
    client.close()
    local.close()


def _processing(dask_scheduler) -> dict[str, tuple[int, list[tuple[str, str]]]]:
    """Each worker's pid and the tasks it runs (one at most: threads_per_worker=1, saturation 1.0)."""
    return {address: (ws.pid, [ts.key for ts in ws.processing])
            for address, ws in dask_scheduler.workers.items()}


class _Killer(threading.Thread):
    """SIGKILLs each worker running a target student's task, up to `targets[student]` times.

    Asks the scheduler only (a broadcast to the workers would hang on a dying one); a task seen
    on the same worker in two polls 0.2 s apart is surely running there.
    """

    def __init__(self, client, targets: dict[str, int]):
        super().__init__(daemon=True)
        self.client, self.targets = client, dict(targets)
        self.killed: dict[str, list[str]] = {student: [] for student in targets}
        self.stop = threading.Event()

    def run(self) -> None:
        seen: set[tuple[str, str]] = set()
        while not self.stop.is_set() and any(len(self.killed[s]) < n for s, n in self.targets.items()):
            try:
                workers = self.client.run_on_scheduler(_processing)
            except Exception:
                workers = {}
            now = set()
            for address, (pid, keys) in workers.items():
                for student, times in self.targets.items():
                    if len(self.killed[student]) < times and any(key[1] == student for key in keys):
                        now.add((address, student))
                        if (address, student) in seen and address not in self.killed[student]:
                            os.kill(pid, signal.SIGKILL)
                            self.killed[student].append(address)
            seen = now
            time.sleep(0.2)


@pytest.fixture(scope="module")
def local_scores(tmp_path_factory, scorer) -> dict:
    """What the local path gives the class (the session's Scorer: device cpu, SEED, lang en)."""
    root = _make_class(tmp_path_factory.mktemp("local") / "class", slow=True)
    return {name: _summary(scorer.score(root / name, [MODULE], student=name)) for name in sorted(os.listdir(root))}


@pytest.mark.slow
def test_a_class_on_a_new_local_cluster_scores_as_the_local_path(tmp_path, local_scores):
    pytest.importorskip("distributed")
    from torchdojo.grading.cluster import grade_dask

    root = _make_class(tmp_path / "class")
    started, counts = [], []
    reports = list(grade_dask(root, workers=2, modules=["01"], device="cpu", seed=SEED, lang="en",
                              on_start=lambda seed, device: started.append((seed, device)),
                              on_worker_counts=counts.append))
    assert started == [(SEED, "cpu")]
    got = {r.student: _summary(r) for r in reports}
    assert sorted(got) == ["alice", "bob", "carol", "dave"]
    assert got == {k: v for k, v in local_scores.items() if k in got}
    assert got["alice"][0] == got["alice"][1] > 0 and 0 < got["carol"][0] < got["carol"][1]
    assert {r.submission for r in reports} == {str(root / n) for n in got} and {r.seed for r in reports} == {SEED}
    assert len(counts) == 1 and sum(counts[0].values()) == 4 and all(k.startswith("tcp://") for k in counts[0])


@pytest.mark.slow
def test_killed_workers_lose_nothing(tmp_path, cluster, local_scores):
    """`slow`'s worker is killed once: graded again elsewhere. `doomed` kills two: an error, for it only."""
    from torchdojo.grading.cluster import grade_dask

    local, client = cluster
    root = _make_class(tmp_path / "class", slow=True)
    shutil.copytree(root / "slow", root / "doomed")
    killer = _Killer(client, {"slow": 1, "doomed": 2})
    killer.start()
    counts = []
    try:
        reports = {r.student: r for r in grade_dask(root, scheduler=local.scheduler_address, modules=[MODULE],
                                                    device="cpu", seed=SEED, lang="en",
                                                    on_worker_counts=counts.append)}
    finally:
        killer.stop.set()
        killer.join()
    assert {s: len(k) for s, k in killer.killed.items()} == {"slow": 1, "doomed": 2}, killer.killed
    assert sorted(reports) == ["alice", "bob", "carol", "dave", "doomed", "slow"]  # nothing lost
    doomed = reports.pop("doomed")
    items = [i for m in doomed.modules for i in m.items]
    assert [m.name for m in doomed.modules] == [MODULE] and [i.status for i in items] == ["error"]
    assert "failed twice on the cluster" in items[0].text.en and "KilledWorker" in items[0].text.en
    assert {k: _summary(r) for k, r in reports.items()} == local_scores  # slow too: same scores as locally
    assert counts[0]["(failed)"] == 1 and sum(counts[0].values()) == 6


@pytest.mark.slow
def test_workers_with_another_torchdojo_are_refused_before_anything_is_graded(tmp_path, cluster, monkeypatch):
    from torchdojo.grading import cluster as dask_grading

    local, _ = cluster
    monkeypatch.setattr(dask_grading, "package_fingerprint", lambda: "not-the-workers")  # on the client only
    started = []
    with pytest.raises(UsageError, match="differs from the client's"):
        next(dask_grading.grade_dask(_make_class(tmp_path / "class"), scheduler=local.scheduler_address,
                                     modules=[MODULE], device="cpu", on_start=lambda *a: started.append(a)))
    assert started == []


@pytest.mark.slow
def test_an_interrupted_run_resumes_with_only_the_rest(tmp_path, cluster, local_scores):
    from torchdojo.grading.cluster import grade_dask
    from torchdojo.grading.journal import Journal

    local, _ = cluster
    root = _make_class(tmp_path / "class", slow=True)
    shutil.rmtree(root / "slow")
    path = tmp_path / "journal.jsonl"
    journal = Journal.open(path, resume=False)
    results = grade_dask(root, scheduler=local.scheduler_address, modules=[MODULE], device="cpu", seed=SEED,
                         lang="en", on_start=journal.start)
    for report in results:
        journal.record(report)
        if len(journal.done) == 2:
            break
    results.close()  # as on Ctrl-C: the rest is cancelled, the cluster is left as it was
    first = set(journal.done)

    journal = Journal.open(path, resume=True)
    assert set(journal.done) == first and journal.seed == SEED
    again = []
    for report in grade_dask(root, scheduler=local.scheduler_address, modules=[MODULE], device="cpu",
                             seed=journal.seed, lang="en", skip=journal.done, on_start=journal.start):
        again.append(report.student)
        journal.record(report)
    assert sorted(again) == sorted({"alice", "bob", "carol", "dave"} - first)
    assert {k: _summary(r) for k, r in journal.done.items()} == {k: v for k, v in local_scores.items() if k != "slow"}


@pytest.mark.slow
def test_the_grade_command_runs_on_dask_with_the_same_scores(tmp_path, local_scores):
    """The CLI wiring: --executor dask --workers 2, JSON out, per-worker counts on stderr."""
    pytest.importorskip("distributed")
    import json

    from helpers import run

    root = _make_class(tmp_path / "class")
    proc = run("grade", str(root), "--executor", "dask", "--workers", "2", "--module", MODULE, "--device", "cpu",
               "--seed", str(SEED), "--json", "--results", str(tmp_path / "journal.jsonl"))
    assert proc.returncode == 0, proc.stderr[-3000:]
    got = {s["student"]: s["score"] for s in json.loads(proc.stdout)["submissions"]}
    assert got == {k: v[0] for k, v in local_scores.items() if k in got} and len(got) == 4
    text = run("grade", str(root), "--executor", "dask", "--workers", "1", "--module", MODULE, "--device", "cpu",
               "--seed", str(SEED), "--results", str(tmp_path / "journal2.jsonl"))
    assert text.returncode == 0 and "4 graded" in text.stderr, text.stderr[-2000:]


def test_executor_options_that_do_not_mix_are_refused(tmp_path):
    from helpers import run

    root = _make_class(tmp_path / "class")
    local = run("grade", str(root), "--scheduler", "tcp://127.0.0.1:1")
    assert local.returncode == 2 and "--executor dask" in local.stderr
    dask = run("grade", str(root), "--executor", "dask", "-j", "2")
    assert dask.returncode == 2 and "--workers" in dask.stderr
