"""Hostile submissions: each gets a score and a message; none harms the grader or leaks it.

Every attack is the reference of 01_tensors with one function replaced by the attack, so
the other items show that the rest of the module is still graded honestly.
"""

from __future__ import annotations

import hashlib
import os
import socket
import textwrap
import time
import uuid
from pathlib import Path

import pytest

from helpers import ROOT, SEED
from torchdojo.grading.runner import Scorer
from torchdojo.sandbox.isolation import available_tier
from torchdojo.sandbox.limits import Limits

pytestmark = pytest.mark.slow

MODULE = "01_tensors"
TARGET = "pairwise_sum"  # the item every attack takes over
LIMITS = Limits(wall_seconds=20, call_seconds=3, memory_bytes=1024**3, file_bytes=8 * 1024**2)
TIERS = ["namespaces", "basic"] if available_tier() == "namespaces" else ["basic"]


@pytest.fixture(scope="module", params=TIERS)
def hostile_scorer(request):
    with Scorer(device="cpu", seed=SEED, lang="en", limits=LIMITS, isolation=request.param) as s:
        yield s


def attack(tmp_path: Path, body: str, *, at_import: str = "") -> Path:
    sub = tmp_path / "sub"
    sub.mkdir(exist_ok=True)
    code = (ROOT / "reference" / f"{MODULE}.py").read_text(encoding="utf-8")
    code += "\n\n" + textwrap.dedent(at_import) + "\n\ndef pairwise_sum(col, row):\n" + textwrap.indent(
        textwrap.dedent(body).strip() + "\n", "    ")
    (sub / f"{MODULE}.py").write_text(code, encoding="utf-8")
    return sub


def grade(scorer, sub: Path, budget: float = 60.0):
    start = time.monotonic()
    report = scorer.score(sub, [MODULE])
    elapsed = time.monotonic() - start
    assert elapsed < budget, f"grading took {elapsed:.1f} s"
    items = {i.name: i for i in report.modules[0].items}
    return report, items


def assert_only_target_lost(items, words: str = "") -> None:
    target = items[TARGET]
    assert target.score == 0 and target.text.en, target
    if words:
        assert words in target.text.en, target.text.en
    kept = {n: (i.status, i.text.en) for n, i in items.items() if n != TARGET and i.score != i.max_score}
    assert not kept, kept


def processes_with(marker: str) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                if marker.encode() in Path(f"/proc/{entry}/cmdline").read_bytes():
                    found.append(int(entry))
            except OSError:
                pass
    return found


# -- ends the process -------------------------------------------------------------------

@pytest.mark.parametrize("body, words", [
    ("import sys; sys.exit(0)", "SystemExit"),
    ("exit()", "SystemExit"),
    ("import os; os._exit(0)", "exit code 0"),
    ("raise KeyboardInterrupt", "KeyboardInterrupt"),
    ("import os, signal; os.kill(os.getpid(), signal.SIGKILL)", "SIGKILL"),
    ("import os, signal; os.kill(os.getpid(), signal.SIGSEGV)", "segmentation fault"),
    ("def again(n):\n    return again(n + 1)\nreturn again(0)", "infinite recursion"),
], ids=["sys.exit", "exit", "os._exit", "KeyboardInterrupt", "signal-self", "segfault", "recursion"])
def test_ending_the_process(hostile_scorer, tmp_path, body, words):
    _, items = grade(hostile_scorer, attack(tmp_path, body))
    assert_only_target_lost(items, words)


# -- hangs ------------------------------------------------------------------------------

@pytest.mark.parametrize("body", [
    "import time; time.sleep(1000)",
    "while True:\n    pass",
    "import signal\nsignal.signal(signal.SIGTERM, signal.SIG_IGN)\nwhile True:\n    pass",
], ids=["sleep", "spin", "ignore-sigterm"])
def test_hangs_time_out(hostile_scorer, tmp_path, body):
    _, items = grade(hostile_scorer, attack(tmp_path, body), budget=LIMITS.call_seconds * 4)
    assert items[TARGET].status == "timeout"
    assert_only_target_lost(items, "time limit")


def test_detached_children_do_not_survive(hostile_scorer, tmp_path):
    marker = f"torchdojo-orphan-{uuid.uuid4().hex}"
    body = f"""
        import os
        if os.fork() == 0:
            os.setsid()
            if os.fork() == 0:
                os.execvp("sleep", ["sleep", "300", "{marker}"])
            os._exit(0)
        return col[:, None] + row[None, :]
    """
    grade(hostile_scorer, attack(tmp_path, body))
    deadline = time.monotonic() + 5
    while processes_with(marker) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert processes_with(marker) == []


def test_fork_flood_is_contained(hostile_scorer, tmp_path):
    if hostile_scorer.tier != "namespaces":
        pytest.skip("a fork flood is only bounded with namespaces (RLIMIT_NPROC needs its own uid)")
    body = """
        import os
        while True:
            try:
                os.fork()
            except OSError:
                pass
    """
    _, items = grade(hostile_scorer, attack(tmp_path, body), budget=LIMITS.call_seconds * 6)
    assert_only_target_lost(items)


# -- exhausts ---------------------------------------------------------------------------

def test_huge_allocation(hostile_scorer, tmp_path):
    _, items = grade(hostile_scorer, attack(tmp_path, "import torch\nbig = torch.ones(8 * 1024**3, dtype=torch.uint8)\nreturn big"))
    assert_only_target_lost(items, "memory limit")


def test_huge_file(hostile_scorer, tmp_path):
    body = """
        with open("big.bin", "wb") as fh:
            for _ in range(1024):
                fh.write(b"x" * 1024 * 1024)
        return col[:, None] + row[None, :]
    """
    _, items = grade(hostile_scorer, attack(tmp_path, body))
    assert_only_target_lost(items, "to a file")


def test_printing_gigabytes(hostile_scorer, tmp_path):
    body = """
        import sys
        chunk = "spam" * 250_000
        for _ in range(4000):
            sys.stdout.write(chunk)
        return col[:, None] + row[None, :]
    """
    report, items = grade(hostile_scorer, attack(tmp_path, body))
    assert_only_target_lost(items)
    assert len(report.modules[0].output) <= LIMITS.output_bytes


# -- cheats -----------------------------------------------------------------------------

def test_patching_comparisons_changes_nothing(hostile_scorer, tmp_path):
    # written past the static tampering check (which would cost the whole module): this tests
    # that the scorer's comparisons do not depend on anything the worker can patch
    body = """
        import torch, pytest
        lib = torch
        setattr(lib, "allclose", lambda *a, **k: True)
        setattr(lib, "equal", lambda *a, **k: True)
        setattr(lib.testing, "assert_close", lambda *a, **k: None)
        setattr(lib.Tensor, "__eq__", lambda self, other: torch.tensor(True))
        pytest.approx = lambda expected, **k: expected
        return torch.zeros(len(col), len(row))
    """
    _, items = grade(hostile_scorer, attack(tmp_path, body))
    assert_only_target_lost(items, "values differ")


def test_tensor_subclass_is_not_trusted(hostile_scorer, tmp_path):
    body = """
        import torch
        class Liar(torch.Tensor):
            def __eq__(self, other):
                return True
            def __bool__(self):
                return True
        return torch.zeros(len(col), len(row)).as_subclass(Liar)
    """
    _, items = grade(hostile_scorer, attack(tmp_path, body))
    assert_only_target_lost(items, "expected a torch.Tensor, got Liar")


def test_stack_and_gc_hold_no_expected_values(hostile_scorer, tmp_path):
    # written past the static tampering check: this tests what the worker's memory holds
    body = """
        import importlib, torch
        load = getattr(importlib, "import_" + "module")
        gc, inspect = load("g" + "c"), load("in" + "spect")
        n, m = len(col), len(row)
        for frame in inspect.stack():
            for value in getattr(frame.frame, "f_" + "locals").values():
                if isinstance(value, torch.Tensor) and value.shape == (n, m):
                    return value
        for obj in gc.get_objects():
            if isinstance(obj, torch.Tensor) and obj.shape == (n, m):
                return obj
        return torch.zeros(n, m)
    """
    _, items = grade(hostile_scorer, attack(tmp_path, body))
    assert_only_target_lost(items)


def _digest(paths: list[Path]) -> dict[str, str]:
    return {str(p): hashlib.sha256(p.read_bytes()).hexdigest() for p in paths if p.is_file()}


def test_cannot_write_outside_scratch(hostile_scorer, tmp_path):
    from torchdojo.sandbox.isolation import nobody_can_import

    if hostile_scorer.tier != "namespaces" and not (os.getuid() == 0 and nobody_can_import()):
        pytest.skip("the basic tier protects files only when it can run student code as an unprivileged uid (documented)")
    sub = tmp_path / "sub"
    sub.mkdir()
    (sub / "02_autograd.py").write_text("# another module of the same submission\n", encoding="utf-8")
    protected = [ROOT / "graders" / f"test_{MODULE}.py", ROOT / "reference" / f"{MODULE}.py", sub / "02_autograd.py"]
    before = _digest(protected)
    fake = tmp_path / "fake-result.json"
    targets = [str(p) for p in protected] + [str(fake), str(ROOT / "fake-result.json"), "/tmp/torchdojo-fake-result.json"]
    body = f"""
        written = []
        for path in {targets!r}:
            try:
                with open(path, "w") as fh:
                    fh.write('{{"score": 999}}')
                written.append(path)
            except OSError:
                pass
        print("wrote", written)
        return col[:, None] + row[None, :]
    """
    attack(tmp_path, body)
    grade(hostile_scorer, sub)
    try:
        assert _digest(protected) == before
        if hostile_scorer.tier == "namespaces":
            assert not fake.exists() and not (ROOT / "fake-result.json").exists()
            assert not Path("/tmp/torchdojo-fake-result.json").exists()
    finally:
        for leftover in (fake, ROOT / "fake-result.json", Path("/tmp/torchdojo-fake-result.json")):
            leftover.unlink(missing_ok=True)


def test_searching_the_disk_finds_no_grader_or_reference(hostile_scorer, tmp_path):
    if hostile_scorer.tier != "namespaces":
        pytest.skip("without namespaces the files stay readable (documented fallback)")
    # the project's own checkout and the temp folders: what the engine promises to hide (another
    # copy of the course elsewhere on the machine is the instructor's business: README)
    tops = [str(ROOT), "/tmp", "/var/tmp", "/dev/shm"]
    direct = [str(ROOT / "graders" / f"test_{MODULE}.py"), str(ROOT / "reference" / f"{MODULE}.py"),
              str(ROOT / "tests" / "mutants" / f"test_mutants_{MODULE}.py")]
    # the search runs at import (pairwise_sum itself must stay loop-free: the item has a no-loops rule)
    at_import = f"""
        import os, time
        found = []
        start = time.monotonic()
        for top, dirs, files in (step for root in {tops!r} for step in os.walk(root)):
            dirs[:] = [d for d in dirs if d not in ("proc", "sys", "dev", "usr", "lib", "lib64", "bin", "sbin",
                                                   "etc", "var", "boot", "run", ".venv", "__pycache__")]
            for name in files:
                if name in ("test_01_tensors.py", "01_tensors.py"):
                    path = os.path.join(top, name)
                    try:
                        text = open(path).read()
                    except OSError:
                        continue
                    own = "FOUND" in text  # this very file, in the scratch copy
                    if not own and ("def row_stats" in text and "NotImplementedError" not in text
                                    or "never square" in text):
                        found.append(text)
            if time.monotonic() - start > 2:
                break
        for path in {direct!r}:  # and straight at the known places
            try:
                found.append(open(path).read())
            except OSError:
                pass
    """
    body = """
        print("FOUND", len(found), *found)
        return col[:, None] + row[None, :] if not found else found[0]
    """
    report, items = grade(hostile_scorer, attack(tmp_path, body, at_import=at_import))
    grader_text = (ROOT / "graders" / f"test_{MODULE}.py").read_text(encoding="utf-8")
    output = report.modules[0].output
    assert "FOUND 0" in output, output[-500:]
    assert "never square" not in output and grader_text[:200] not in output
    assert items[TARGET].score == items[TARGET].max_score  # an honest answer after a failed search


def test_network_is_refused(hostile_scorer, tmp_path):
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.bind(("127.0.0.1", 0))
    server.listen(5)
    server.setblocking(False)
    port = server.getsockname()[1]
    body = f"""
        import socket
        socket.create_connection(("127.0.0.1", {port}), timeout=1).sendall(b"hello")
        return col[:, None] + row[None, :]
    """
    try:
        _, items = grade(hostile_scorer, attack(tmp_path, body))
        with pytest.raises(BlockingIOError):
            server.accept()
    finally:
        server.close()
    assert_only_target_lost(items, "network connection")


def test_the_scorer_survives_and_still_grades_honestly(hostile_scorer, tmp_path):
    report = hostile_scorer.score(ROOT / "reference", [MODULE])
    assert report.score == report.max_score > 0


def test_ordinary_imports_still_work(hostile_scorer, tmp_path):
    body = """
        import json, csv, statistics, collections.abc, fractions, decimal, encodings.idna, email.utils
        return col[:, None] + row[None, :]
    """
    _, items = grade(hostile_scorer, attack(tmp_path, body))
    assert all(i.score == i.max_score for i in items.values()), [(i.name, i.text.en) for i in items.values()]
