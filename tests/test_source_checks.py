"""Static checks of student source done in the scorer, and case batteries (pure logic, fast)."""

from __future__ import annotations

import os
import textwrap
from pathlib import Path
from types import SimpleNamespace

import pytest

from torchdojo.grading.cases import cases, fixed_cases_only, fixed_generator
from torchdojo.grading.plugin import tampering_verdict
from torchdojo.grading.source import StudentSource
from torchdojo.sandbox.limits import Limits

ROOT = Path(__file__).resolve().parents[1]


def parse(tmp_path: Path, code: str, name: str = "01_tensors.py") -> StudentSource:
    path = tmp_path / name
    path.write_text(textwrap.dedent(code), encoding="utf-8")
    return StudentSource.read(path, root=tmp_path)


def test_loops_are_found_in_the_function_and_its_helpers(tmp_path):
    src = parse(tmp_path, """
        def helper(col, row):
            return [[c + r for r in row] for c in col]

        def pairwise_sum(col, row):
            return helper(col, row)

        def clean(col, row):
            return col[:, None] + row[None, :]
    """)
    assert src.loops("pairwise_sum") == [3]
    assert src.loops("clean") == []


def test_an_old_body_kept_under_another_name_stays_reachable(tmp_path):
    src = parse(tmp_path, """
        def evaluate(model):
            for x in model:
                pass

        _old = evaluate

        def evaluate(model):
            return _old(model)
    """)
    assert src.loops("evaluate") == [3]


def test_calls_and_mentions(tmp_path):
    src = parse(tmp_path, """
        from torch.nn.functional import cross_entropy as ce

        def grads(w, x):
            loss = (w ** 2).sum()
            loss.backward()
            return w.grad

        def typed(w, x):
            return 18 * w, 8 * x

        def loss(logits, t):
            return ce(logits, t)
    """)
    assert src.calls("grads", {"backward"}) == [6]
    assert src.calls("typed", {"backward", "grad"}) == []
    assert (2, "cross_entropy") in src.mentions({"cross_entropy"})
    assert src.mentions({"cross_entropy"}, where="typed") == []


@pytest.mark.parametrize("code, what", [
    ("import gc", "import gc"),
    ("import torchdojo.sandbox.worker as w", "import torchdojo.sandbox.worker"),
    ("from ctypes import pythonapi", "from ctypes import ..."),
    ("import sys\nsys.modules['x'] = 1", ".modules"),
    ("import torch\ntorch.Tensor.add_ = lambda *a: None", "assignment to torch.Tensor.add_"),
    ("import torch.nn.functional as F\nF.cross_entropy = None", "assignment to F.cross_entropy"),
    ("import torch\nsetattr(torch.optim, 'Adam', object)", "setattr on a library module"),
    ("__import__('gc')", "__import__"),
    ("import importlib\nimportlib.import_module('g' + 'c')", "import_module of a computed name"),
    ("def f():\n    return f.__globals__", ".__globals__"),
    ("from torch.utils._python_dispatch import TorchDispatchMode", "from torch.utils._python_dispatch import ..."),
    ("import torch\nm = torch.sys.modules", ".modules"),
    ("def f(model):\n    type(model).forward = lambda self, x: x", "assignment to an attribute of type(...)"),
    ("import torch.optim.adam as A\nA.adam = None", "assignment to A.adam"),
    ("from torch.optim import adam\nadam.adam = None", "assignment to adam.adam"),
    ("from torch import overrides", "from torch import ..."),
    ("import torch\nclass T(torch.Tensor):\n    @classmethod\n    def __torch_function__(cls, *a):\n        pass",
     "def __torch_function__"),
])
def test_tampering_is_found(tmp_path, code, what):
    found = parse(tmp_path, code).tampering()
    assert what in [w for _, w in found], found


@pytest.mark.parametrize("code", [
    "import torch\ntorch.backends.cudnn.deterministic = True",
    "import importlib\nm = importlib.import_module('06_training')",
    "import sys\nprint(sys.version)",
    "def f(model):\n    model.eval()\n    for m in model.modules():\n        pass",
    "class Net:\n    def __init__(self):\n        setattr(self, 'fc1', 1)",
    '"""torchdojo exercise: a docstring that names torchdojo is fine"""',
])
def test_ordinary_code_is_not_tampering(tmp_path, code):
    assert parse(tmp_path, code).tampering() == []


def test_course_files_are_not_tampering():
    for folder in ("reference", "exercises"):
        for path in sorted((ROOT / folder).glob("*.py")):
            assert StudentSource.read(path).tampering() == [], path


def test_unreadable_sources_are_reported_not_raised(tmp_path):
    (tmp_path / "a.py").write_bytes(b"\xff\xfe")
    assert StudentSource.read(tmp_path / "a.py").problem == "UnicodeDecodeError"
    assert StudentSource.read(tmp_path / "missing.py").problem == "FileNotFoundError"
    (tmp_path / "deep.py").write_text("x = " + "(" * 200_000 + ")" * 200_000)
    deep = StudentSource.read(tmp_path / "deep.py")
    assert not deep.ok and deep.tampering() == []
    os.symlink(ROOT / "reference" / "01_tensors.py", tmp_path / "link.py")
    assert StudentSource.read(tmp_path / "link.py", root=tmp_path).problem == "UnsafeFile"


def test_tampering_in_an_imported_sibling_counts(tmp_path):
    (tmp_path / "06_training.py").write_text("import gc\n")
    (tmp_path / "09_fashion_mnist.py").write_text("import importlib\nt = importlib.import_module('06_training')\n")
    (tmp_path / "05_data.py").write_text("x = 1\n")
    ctx = SimpleNamespace(submission=tmp_path, limits=lambda module: Limits())
    verdict = tampering_verdict(ctx, "09_fashion_mnist")
    assert verdict is not None and "06_training.py" in verdict.en
    assert tampering_verdict(ctx, "05_data") is None


def test_tampering_module_scores_zero_without_running(scorer, tmp_path):
    sub = tmp_path / "sub"
    sub.mkdir()
    source = (ROOT / "reference" / "01_tensors.py").read_text(encoding="utf-8")
    (sub / "01_tensors.py").write_text(source + "\nimport gc\n", encoding="utf-8")
    (module,) = scorer.score(sub, ["01_tensors"]).modules
    assert module.max_score > 0 and module.score == 0
    assert all("import gc" in item.text.en for item in module.items)


def test_cases_fixed_then_random_and_fixed_only_mode():
    import torch

    rng = torch.Generator().manual_seed(1)
    drawn = list(cases(rng, fixed=["a", "b"], random=lambda g: int(torch.randint(0, 9, (1,), generator=g)), count=3))
    assert drawn[:2] == ["a", "b"] and len(drawn) == 5
    with fixed_cases_only():
        assert list(cases(rng, fixed=["a"], random=lambda g: 0, count=3)) == ["a"]
    assert len(list(cases(rng, fixed=[], random=lambda g: 0, count=2))) == 2
    assert torch.equal(torch.randn(3, generator=fixed_generator(4)), torch.randn(3, generator=fixed_generator(4)))
