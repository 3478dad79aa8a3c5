"""Issue 13, the sandbox side: the worker's answers are an attacker's data, limits hold in the scorer.

Each test is an attack that worked on the engine before: tensors without values scored full,
three children held three times the memory limit, a symbolic link showed the reference (or
blocked the scorer on a /proc file), and student code could read the scorer's environment.
"""

from __future__ import annotations

import ast
import os
import textwrap
import threading
import time
from pathlib import Path

import pytest

from helpers import ROOT, SEED
from torchdojo.grading.runner import Scorer
from torchdojo.sandbox.isolation import available_tier, drop_uid
from torchdojo.sandbox.limits import Limits

pytestmark = pytest.mark.slow

MODULE = "01_tensors"
GIB = 1024**3


def _items(report):
    return {i.name: i for i in report.modules[0].items}


def _submission(tmp_path: Path, extra: str) -> Path:
    sub = tmp_path / "sub"
    sub.mkdir(exist_ok=True)
    code = (ROOT / "reference" / f"{MODULE}.py").read_text(encoding="utf-8")
    (sub / f"{MODULE}.py").write_text(code + "\n\n" + textwrap.dedent(extra), encoding="utf-8")
    return sub


# -- 1. tensors without values ----------------------------------------------------------

# Every function returns a meta tensor (a shape and a dtype, no values), and the worker's own
# encoder is rewritten to send it as if it were a result: on the old wire (torch.save /
# torch.load) it arrived as a meta tensor and assert_close passed it; now the scorer finds no
# values where the header promises them. Written without the names the static tampering check
# looks for, so that it is the wire that stops it.
META_ATTACK = '''
import sys as _s
import torch as _t

_mods = getattr(_s, "mod" + "ules")


def _no_values(result):
    if isinstance(result, _t.Tensor):
        return _t.empty(result.shape, dtype=result.dtype, device="meta")
    if isinstance(result, tuple):
        return tuple(_no_values(r) for r in result)
    return result


def _wrap(f):
    return lambda *a, **k: _no_values(f(*a, **k))


row_stats = _wrap(row_stats)
flatten_images = _wrap(flatten_images)
split_and_stack = _wrap(split_and_stack)
pairwise_sum = _wrap(pairwise_sum)
matmul_and_elementwise = _wrap(matmul_and_elementwise)
numpy_view = _wrap(numpy_view)

_old = _mods.get("torch" + "dojo.sandbox.worker")
if _old is not None:  # the engine before issue 13
    _orig_old = _old.Encoder.tensor

    def _tensor_old(self, t):
        if t.device.type == "meta":
            return {"__td__": "tensor", "data": t, "meta": {
                "shape": list(t.shape), "dtype": str(t.dtype)[6:], "device": "cpu", "requires_grad": False,
                "is_leaf": True, "grad_fn": None, "contiguous": True, "is_parameter": False, "has_grad": False,
                "shares_with": ["args[0]"]}}
        return _orig_old(self, t)
    _old.Encoder.tensor = _tensor_old

_new = _mods.get("torch" + "dojo.worker.loop")
if _new is not None:
    _orig_new = _new.Encoder.tensor

    def _tensor_new(self, t):
        if t.device.type == "meta":  # a header that names a tensor, and no values behind it
            return {"t": "tensor", "dtype": str(t.dtype)[6:], "shape": list(t.shape), "nbytes": 0,
                    "meta": {"device": "cpu", "shares_with": ["args[0]"]}}
        return _orig_new(self, t)
    _new.Encoder.tensor = _tensor_new
'''


def test_tensors_without_values_score_nothing(scorer, tmp_path):
    report = scorer.score(_submission(tmp_path, META_ATTACK), [MODULE])
    items = _items(report)
    value_items = [n for n in items if n != "split_and_stack.error"]  # that one is about raising
    assert all(items[n].score == 0 for n in value_items), [(n, items[n].text.en) for n in value_items]
    assert report.score <= items["split_and_stack.error"].max_score
    assert any("refused" in items[n].text.en for n in value_items), [items[n].text.en for n in value_items]


def test_expect_tensor_compares_values_itself():
    import torch

    from torchdojo.grading import GradeFailure, expect_tensor

    with pytest.raises(GradeFailure, match="plain values"):
        expect_tensor(torch.empty(3, 4, device="meta"), torch.ones(3, 4), "x")
    with pytest.raises(GradeFailure, match="plain values"):
        expect_tensor(torch.ones(3, 4).to_sparse(), torch.ones(3, 4), "x")
    with pytest.raises(GradeFailure, match="values differ"):
        expect_tensor(torch.tensor([1.0, float("nan")]), torch.tensor([1.0, 2.0]), "x")
    with pytest.raises(GradeFailure, match="values differ"):
        expect_tensor(torch.tensor([2**53 + 1]), torch.tensor([2**53]), "x")  # exact for integers
    expect_tensor(torch.tensor([1.0, float("nan"), float("inf")]), torch.tensor([1.0 + 1e-7, float("nan"),
                                                                                  float("inf")]), "x")
    expect_tensor(torch.tensor([1, 2], dtype=torch.int32), torch.tensor([1.0, 2.0]), "x", check_dtype=False)


# -- 2. memory of the whole worker tree ---------------------------------------------------

CHILDREN_ATTACK = '''
def pairwise_sum(col, row):
    import os, time
    for _ in range(3):
        if os.fork() == 0:
            try:
                block = bytearray(b"\\x01") * (900 * 1024 * 1024)  # touched: really resident
                time.sleep(60)
            finally:
                os._exit(0)
    time.sleep(60)
    return col[:, None] + row[None, :]
'''


@pytest.mark.parametrize("tier", ["namespaces", "basic"] if available_tier() == "namespaces" else ["basic"])
def test_memory_of_all_processes_together_is_bounded(tmp_path, tier):
    limits = Limits(wall_seconds=40, call_seconds=20, memory_bytes=1 * GIB)
    with Scorer(device="cpu", seed=SEED, lang="en", limits=limits, isolation=tier) as scorer:
        start = time.monotonic()
        report = scorer.score(_submission(tmp_path, CHILDREN_ATTACK), [MODULE])
        elapsed = time.monotonic() - start
        items = _items(report)
        target = items["pairwise_sum"]
        assert target.score == 0
        assert "used more than the memory limit of 1 GiB" in target.text.en, target.text.en
        assert "all its processes together" in target.text.en
        assert elapsed < limits.call_seconds, elapsed  # stopped by the memory bound, not the clock
        kept = {n: i.text.en for n, i in items.items() if n != "pairwise_sum" and i.score != i.max_score}
        assert not kept, kept
        assert "all processes of a worker together" in report.isolation
        honest = scorer.score(ROOT / "reference", [MODULE])  # the scorer survived and grades honestly
        assert honest.score == honest.max_score > 0


# -- 3. files the scorer reads --------------------------------------------------------------

def _grade_linked(scorer, sub: Path, budget: float = 60.0):
    result: dict = {}

    def run():
        result["report"] = scorer.score(sub, [MODULE])

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(budget)
    assert not thread.is_alive(), "grading a linked file blocked"
    return result["report"]


@pytest.mark.parametrize("target", ["reference", "other-student", "proc"])
def test_linked_module_scores_zero(scorer, tmp_path, target):
    sub = tmp_path / "sub"
    sub.mkdir()
    if target == "reference":
        source = ROOT / "reference" / f"{MODULE}.py"
    elif target == "other-student":
        other = tmp_path / "other"
        other.mkdir()
        source = other / f"{MODULE}.py"
        source.write_text((ROOT / "reference" / f"{MODULE}.py").read_text(encoding="utf-8")
                          + "\nSECRET_OF_ANOTHER_STUDENT = 1\n", encoding="utf-8")
    else:
        source = Path("/proc/kmsg")  # size 0; reading it waits for kernel messages
    (sub / f"{MODULE}.py").symlink_to(source)
    report = _grade_linked(scorer, sub)
    items = _items(report)
    assert report.score == 0 and items
    assert all("links are not accepted" in i.text.en for i in items.values()), [i.text.en for i in items.values()]
    shown = " ".join(i.text.en for i in items.values()) + report.modules[0].output
    assert "def row_stats" not in shown and "SECRET_OF_ANOTHER_STUDENT" not in shown


def test_linked_helper_module_is_not_copied(scorer, tmp_path):
    """Another .py of the submission that is a link is left out of the worker's scratch."""
    sub = _submission(tmp_path, '''
def row_stats(x):  # (pairwise_sum has a no-loops rule: the probe lives in an item without one)
    import os
    print("HELPER", sorted(n for n in os.listdir(".") if n.endswith(".py")))
    return x.sum(dim=1), x.mean(dim=1), x.std(dim=1)
''')
    (sub / "helper_link.py").symlink_to(ROOT / "graders" / f"test_{MODULE}.py")
    report = scorer.score(sub, [MODULE])
    assert report.score == report.max_score
    assert "helper_link.py" not in report.modules[0].output and "HELPER" in report.modules[0].output


# -- 4. the worker's environment ----------------------------------------------------------

ENV_ATTACK = '''
_PRINTED = []


def row_stats(x):  # (pairwise_sum has a no-loops rule: the probe lives in an item without one)
    import os
    if _PRINTED:  # row_stats runs once per case: report once, so the output tail keeps it
        return x.sum(dim=1), x.mean(dim=1), x.std(dim=1)
    _PRINTED.append(1)
    seen = {"os.environ": repr(dict(os.environ))}
    for pid in ("self", "1", str(os.getppid())):
        try:
            with open(f"/proc/{pid}/environ", "rb") as fh:
                seen["/proc/" + pid] = fh.read().decode("latin-1").replace("\\x00", " ").strip()  # zeroed blocks
        except OSError as exc:
            seen["/proc/" + pid] = f"<{type(exc).__name__}>"
    print("ENVIRONMENT", repr(seen))
    print("HOME", os.environ.get("HOME"), os.getcwd())
    return x.sum(dim=1), x.mean(dim=1), x.std(dim=1)
'''


@pytest.mark.parametrize("tier", ["namespaces", "basic"] if available_tier() == "namespaces" else ["basic"])
def test_worker_environment_is_an_allow_list(tmp_path, monkeypatch, tier):
    secret = "tok-" + os.urandom(8).hex()
    monkeypatch.setenv("TORCHDOJO_TEST_API_TOKEN", secret)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", secret)
    with Scorer(device="cpu", seed=SEED, lang="en", isolation=tier) as scorer:
        report = scorer.score(_submission(tmp_path, ENV_ATTACK), [MODULE])
    output = report.modules[0].output
    assert "ENVIRONMENT" in output, output[-500:]
    seen = ast.literal_eval(output.split("ENVIRONMENT ", 1)[1].split("\n", 1)[0])
    assert secret not in seen["os.environ"] and secret not in seen["/proc/self"]
    if tier == "namespaces" or drop_uid(tier, 200_001) is not None:
        assert secret not in output  # nor in any other process the student's code can see
    # (basic tier with the code running as the scorer's own uid: /proc of the scorer stays readable, README)
    assert report.score == report.max_score
    home, cwd = output.split("HOME ", 1)[1].split()[:2]
    assert home == cwd  # HOME is the worker's own scratch folder


def test_environment_allow_list_unit():
    from torchdojo.sandbox.isolation import worker_environment

    env = worker_environment("/scratch", {"PATH": "/bin", "LC_ALL": "C.UTF-8", "GITHUB_TOKEN": "x",
                                          "PYTHONHASHSEED": "0", "HOME": "/root", "OMP_NUM_THREADS": "8"})
    assert env["PATH"] == "/bin" and env["LC_ALL"] == "C.UTF-8" and env["PYTHONHASHSEED"] == "0"
    assert env["HOME"] == env["TMPDIR"] == "/scratch" and env["OMP_NUM_THREADS"] == "1"
    assert "GITHUB_TOKEN" not in env


# -- sizes in reports -------------------------------------------------------------------------

def test_megabyte_exception_class_name_is_capped_in_the_report(scorer, tmp_path):
    sub = _submission(tmp_path, '''
def pairwise_sum(col, row):
    raise type("Boom" * 250_000, (ValueError,), {})("m" * 1_000_000 + "\\udc80")
''')
    report = scorer.score(sub, [MODULE])
    target = _items(report)["pairwise_sum"]
    assert target.score == 0 and "Boom" in target.text.en
    assert len(target.text.en) < 6000, len(target.text.en)
    assert "\udc80" not in target.text.en
    target.text.en.encode("utf-8")
