"""Class grading as one library entry: sources, executors, journal (the CLI only prints)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from helpers import ROOT, SEED
from torchdojo.errors import UsageError
from torchdojo.grading.classrun import EXECUTORS, detect_source, start_class_run


def _class(tmp_path: Path) -> Path:
    root = tmp_path / "class"
    for name, folder in (("ana", "reference"), ("bora", "exercises")):
        (root / name).mkdir(parents=True)
        shutil.copyfile(ROOT / folder / "01_tensors.py", root / name / "01_tensors.py")
    return root


def test_a_run_journals_each_report_and_resumes_with_its_seed(tmp_path):
    root = _class(tmp_path)
    journal = tmp_path / "j.jsonl"
    assert detect_source(root).name == "folders" and set(EXECUTORS) == {"local", "dask"}
    run = start_class_run(root, modules=["01"], device="cpu", seed=SEED, lang="en", results=journal, jobs=1)
    assert run.todo == ["ana", "bora"]
    graded = {r.student: r.score for r in run}
    assert graded["ana"] == 15 and graded["bora"] == 0 and [r.student for r in run.reports] == ["ana", "bora"]
    again = start_class_run(root, modules=["01"], device="cpu", lang="en", results=journal, resume=True)
    assert again.todo == [] and list(again) == [] and again.journal.seed == SEED
    with pytest.raises(UsageError, match="cannot change it"):
        start_class_run(root, modules=["01"], seed=SEED + 1, results=journal, resume=True)


def test_options_that_do_not_fit_the_executor_are_refused_before_grading(tmp_path):
    root = _class(tmp_path)
    with pytest.raises(UsageError, match="--executor dask"):
        start_class_run(root, scheduler="tcp://127.0.0.1:1", results=tmp_path / "a.jsonl")
    with pytest.raises(UsageError, match="unknown executor"):
        start_class_run(root, executor="slurm", results=tmp_path / "b.jsonl")


def test_a_refused_option_leaves_the_old_journal_alone(tmp_path):
    root = _class(tmp_path)
    journal = tmp_path / "j.jsonl"
    journal.write_text('{"journal": "torchdojo.grades/1", "seed": 1, "device": "cpu"}\n', encoding="utf-8")
    with pytest.raises(UsageError):
        start_class_run(root, jobs=2, executor="dask", results=journal)
    assert "seed" in journal.read_text(encoding="utf-8")
