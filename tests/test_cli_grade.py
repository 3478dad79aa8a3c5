"""`torchdojo grade` of a class: solved, unsolved and half-solved copies, JSON and CSV."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import pytest

from conftest import ROOT, SEED
from test_cli_check import run

MODULE = "01_tensors"


@pytest.fixture(scope="module")
def class_root(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("class")
    solved, unsolved, half = root / "alice", root / "bob", root / "carol"
    for sub, source in ((solved, "reference"), (unsolved, "exercises")):
        sub.mkdir()
        shutil.copyfile(ROOT / source / f"{MODULE}.py", sub / f"{MODULE}.py")
    half.mkdir()
    ref = (ROOT / "reference" / f"{MODULE}.py").read_text(encoding="utf-8")
    stub = (ROOT / "exercises" / f"{MODULE}.py").read_text(encoding="utf-8")
    # half: the reference, with two functions put back to the stub's NotImplementedError
    half_source = ref + "\n\ndef pairwise_sum(col, row):\n    raise NotImplementedError\n" \
                        "\n\ndef numpy_view(arr):\n    raise NotImplementedError\n"
    (half / f"{MODULE}.py").write_text(half_source, encoding="utf-8")
    (root / "dave").mkdir()  # handed in nothing
    assert "NotImplementedError" in stub
    return root


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_grade_scores_full_zero_and_between(class_root, tmp_path, jobs):
    csv_path = tmp_path / "grades.csv"
    proc = run("grade", str(class_root), "--json", "--module", MODULE, "--csv", str(csv_path), "-j", jobs,
               "--device", "cpu", "--seed", str(SEED))
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    subs = {s["student"]: s for s in data["submissions"]}
    assert sorted(subs) == ["alice", "bob", "carol", "dave"]
    full = subs["alice"]["max_score"]
    assert full > 0 and subs["alice"]["score"] == full
    assert subs["bob"]["score"] == 0 and subs["dave"]["score"] == 0
    assert 0 < subs["carol"]["score"] < full
    carol_items = {i["name"]: i for i in subs["carol"]["modules"][0]["items"]}
    assert carol_items["pairwise_sum"]["score"] == 0 and carol_items["row_stats"]["status"] == "passed"
    assert all(i["status"] == "missing" for i in subs["dave"]["modules"][0]["items"])
    rows = list(csv.DictReader(csv_path.open(encoding="utf-8")))
    assert [r["student"] for r in rows] == ["alice", "bob", "carol", "dave"]
    assert {r["student"]: float(r[MODULE]) for r in rows} == {k: v["score"] for k, v in subs.items()}


def test_grade_of_a_missing_folder_is_a_clear_error(tmp_path):
    proc = run("grade", str(tmp_path / "none"))
    assert proc.returncode == 2 and "no such folder" in proc.stderr


def test_grade_of_an_empty_folder_is_a_clear_error(tmp_path):
    proc = run("grade", str(tmp_path))
    assert proc.returncode == 2 and "no submission folders" in proc.stderr
