"""Broken files cost only their own module, with a message, never a torchdojo traceback."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from helpers import ROOT, SEED
from torchdojo.grading.runner import Scorer
from torchdojo.sandbox.limits import Limits

MODULE = "01_tensors"


@pytest.fixture(scope="module")
def quick_scorer():
    """Short limits so hanging submissions finish the test quickly."""
    with Scorer(device="cpu", seed=SEED, lang="en", limits=Limits(wall_seconds=8, call_seconds=2)) as s:
        yield s


def submission(tmp_path: Path, source: str | bytes | None, *, module: str = MODULE) -> Path:
    sub = tmp_path / "sub"
    sub.mkdir()
    shutil.copyfile(ROOT / "reference" / "02_autograd.py", sub / "02_autograd.py") if (
        ROOT / "reference" / "02_autograd.py").exists() else None
    if isinstance(source, bytes):
        (sub / f"{module}.py").write_bytes(source)
    elif isinstance(source, str):
        (sub / f"{module}.py").write_text(source, encoding="utf-8")
    return sub


def grade_items(scorer, sub: Path, module: str = MODULE):
    report = scorer.score(sub, [module])
    (result,) = report.modules
    return result.items


def reference_source() -> str:
    return (ROOT / "reference" / f"{MODULE}.py").read_text(encoding="utf-8")


def test_missing_file_scores_zero_as_missing(scorer, tmp_path):
    items = grade_items(scorer, submission(tmp_path, None))
    assert items and all(i.score == 0 and i.status == "missing" for i in items)
    assert all("file missing" in i.text.en for i in items)


def test_syntax_error_names_file_and_line(scorer, tmp_path):
    source = reference_source() + "\n\ndef broken(:\n    pass\n"
    items = grade_items(scorer, submission(tmp_path, source))
    line = source.count("\n", 0, source.index("def broken(:")) + 1
    assert all(i.score == 0 and i.status == "error" for i in items)
    assert f"{MODULE}.py, line {line}" in items[0].text.en and "syntax" in items[0].text.en


@pytest.mark.parametrize("content, words", [
    (b"\xff\xfe\x00garbage\x00", "binary"),
    ("def row_stats(x):\n    return '\u00e9'\n".encode("latin-1"), "not UTF-8"),
])
def test_unreadable_file_gets_a_message(scorer, tmp_path, content, words):
    items = grade_items(scorer, submission(tmp_path, content))
    assert all(i.score == 0 for i in items)
    assert words in items[0].text.en


def test_folder_instead_of_file(scorer, tmp_path):
    sub = submission(tmp_path, None)
    (sub / f"{MODULE}.py").mkdir()
    items = grade_items(scorer, sub)
    assert all(i.score == 0 for i in items)
    assert "folder" in items[0].text.en


def test_huge_file(scorer, tmp_path):
    items = grade_items(scorer, submission(tmp_path, "# padding\n" * 200_000))
    assert all(i.score == 0 for i in items)
    assert "too large" in items[0].text.en


@pytest.mark.parametrize("code, words", [
    ("import sys\nsys.exit(3)\n", "SystemExit"),
    ("import os\nos._exit(4)\n", "exit code 4"),
    ("raise KeyboardInterrupt\n", "KeyboardInterrupt"),
    ("import os, signal\nos.kill(os.getpid(), signal.SIGTERM)\n", "SIGTERM"),
])
def test_process_ending_at_import(scorer, tmp_path, code, words):
    items = grade_items(scorer, submission(tmp_path, reference_source() + "\n" + code))
    assert all(i.score == 0 and i.status == "error" for i in items)
    assert words in items[0].text.en


def test_crash_in_one_function_costs_only_its_items(scorer, tmp_path):
    source = reference_source() + "\n\ndef pairwise_sum(col, row):\n    import os, signal\n    os.kill(os.getpid(), signal.SIGSEGV)\n"
    items = {i.name: i for i in grade_items(scorer, submission(tmp_path, source))}
    assert items["pairwise_sum"].score == 0 and "segmentation fault" in items["pairwise_sum"].text.en
    others = [i for n, i in items.items() if n != "pairwise_sum"]
    assert all(i.score == i.max_score for i in others), [(i.name, i.text.en) for i in others]


def test_hang_in_one_function_times_out_alone(quick_scorer, tmp_path):
    source = reference_source() + "\n\ndef matmul_and_elementwise(a, b):\n    while True:\n        pass\n"
    items = {i.name: i for i in grade_items(quick_scorer, submission(tmp_path, source))}
    hung = items["matmul_and_elementwise"]
    assert hung.score == 0 and hung.status == "timeout" and "time limit" in hung.text.en
    assert all(i.score == i.max_score for n, i in items.items() if n != "matmul_and_elementwise")


def test_hang_at_import_times_out(quick_scorer, tmp_path):
    items = grade_items(quick_scorer, submission(tmp_path, "import time\nwhile True:\n    time.sleep(1)\n"))
    assert all(i.score == 0 and i.status == "timeout" for i in items)


def test_missing_name_is_reported_as_missing(scorer, tmp_path):
    source = reference_source().replace("def numpy_view(", "def numpy_view_renamed(")
    items = {i.name: i for i in grade_items(scorer, submission(tmp_path, source))}
    assert items["numpy_view"].status == "missing"
    assert "numpy_view is not defined" in items["numpy_view"].text.en
    assert items["row_stats"].score == items["row_stats"].max_score


def test_wrong_return_type_is_explained(scorer, tmp_path):
    source = reference_source() + "\n\ndef pairwise_sum(col, row):\n    return 'a string'\n"
    items = {i.name: i for i in grade_items(scorer, submission(tmp_path, source))}
    assert items["pairwise_sum"].score == 0
    assert "expected a torch.Tensor, got str" in items["pairwise_sum"].text.en


def test_students_printing_is_captured_not_parsed(scorer, tmp_path):
    fake = '{"score": 999, "max_score": 999}\\n15 passed'
    source = reference_source() + f"\nprint({fake!r})\n\ndef pairwise_sum(col, row):\n    print({fake!r})\n    return col\n"
    report = scorer.score(submission(tmp_path, source), [MODULE])
    items = {i.name: i for i in report.modules[0].items}
    assert items["pairwise_sum"].score == 0
    assert report.score < report.max_score
    assert "999" in report.modules[0].output  # kept for the student to read, never parsed
