"""A made-up class of 8 students for the classroom tests (imported as `classmates`).

    ana      solved (the reference)           bora    unsolved (the stubs)
    chul     01 solved, 02 a stub             dami    partly: row_stats by column, predict without eval()
    eun      broken: 01 a syntax error, 02 missing
    frank    01 a stub, 02 solved but accumulated_grads never zeroes the gradient
    김민준   01 in an own style, 02 solved    이서연  a near-copy of 김민준 (names and comments changed)
"""

from __future__ import annotations

import shutil
from pathlib import Path

from helpers import ROOT

MODULES = ["01_tensors", "02_autograd"]
STUDENTS = ["ana", "bora", "chul", "dami", "eun", "frank", "김민준", "이서연"]

OWN_STYLE = '''"""01_tensors — my solution."""

import numpy as np
import torch


class CannotSplit(ValueError):
    """raised when the rows cannot be shared out evenly"""


def row_stats(x):
    # one value per row: reduce across the columns
    totals = torch.sum(x, 1)
    averages = torch.mean(x, 1)
    spreads = torch.std(x, 1, correction=1)
    return totals, averages, spreads


def flatten_images(x):
    batch = x.size(0)
    if x.is_contiguous():
        return x.view(batch, -1)
    return x.reshape(batch, -1)


def split_and_stack(x, n):
    if n < 1 or len(x) % n != 0:
        raise CannotSplit(f"{len(x)} rows cannot be split into {n} equal parts")
    pieces = list(x.chunk(n, dim=0))
    return torch.stack(pieces, dim=0)


def pairwise_sum(col, row):
    left = col.unsqueeze(1)
    right = row.unsqueeze(0)
    return left + right


def matmul_and_elementwise(a, b):
    product = torch.einsum("ij,jk->ik", a, b)
    elementwise = torch.mul(a, b)
    return product, elementwise


def numpy_view(arr):
    return torch.as_tensor(arr)
'''

RENAMES = [("totals", "s"), ("averages", "m"), ("spreads", "sd"), ("batch", "bsz"), ("pieces", "parts"),
           ("left", "c"), ("right", "r"), ("product, elementwise", "mm, hadamard"), ("product", "mm"), ("elementwise =", "hadamard ="),
           ("CannotSplit", "SplitError"), ("# one value per row: reduce across the columns", "# 행마다 하나"),
           ("my solution", "과제 풀이")]


def _copy(src: Path, dest: Path, edits: list[tuple[str, str]] = ()) -> None:
    text = src.read_text(encoding="utf-8")
    for old, new in edits:
        assert old in text, (src, old)
        text = text.replace(old, new)
    dest.write_text(text, encoding="utf-8")


def make_class(root: Path) -> Path:
    ref, stub = ROOT / "reference", ROOT / "exercises"
    folders = {name: root / name for name in STUDENTS}
    for folder in folders.values():
        folder.mkdir(parents=True)
    for m in MODULES:
        _copy(ref / f"{m}.py", folders["ana"] / f"{m}.py")
        _copy(stub / f"{m}.py", folders["bora"] / f"{m}.py")
    _copy(ref / "01_tensors.py", folders["chul"] / "01_tensors.py")
    _copy(stub / "02_autograd.py", folders["chul"] / "02_autograd.py")
    _copy(ref / "01_tensors.py", folders["dami"] / "01_tensors.py",
          [("x.sum(dim=1), x.mean(dim=1), x.std(dim=1)", "x.sum(dim=0), x.mean(dim=0), x.std(dim=0)")])
    _copy(ref / "02_autograd.py", folders["dami"] / "02_autograd.py", [("    model.eval()\n", "")])
    (folders["eun"] / "01_tensors.py").write_text("import torch\n\ndef row_stats(x)\n    return x\n", encoding="utf-8")
    _copy(stub / "01_tensors.py", folders["frank"] / "01_tensors.py")
    _copy(ref / "02_autograd.py", folders["frank"] / "02_autograd.py", [("    x.grad.zero_()\n", "")])
    (folders["김민준"] / "01_tensors.py").write_text(OWN_STYLE, encoding="utf-8")
    copy = OWN_STYLE
    for old, new in RENAMES:
        copy = copy.replace(old, new)
    (folders["이서연"] / "01_tensors.py").write_text(copy, encoding="utf-8")
    for name in ("김민준", "이서연"):
        _copy(ref / "02_autograd.py", folders[name] / "02_autograd.py")
    return root


def stubs_dir() -> Path:
    return ROOT / "exercises"
