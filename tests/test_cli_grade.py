"""`torchdojo grade` of a class: solved, unsolved and half-solved copies, JSON and CSV."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import pytest

from helpers import ROOT, SEED, run

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


def test_interrupted_grade_resumes_without_regrading(class_root, tmp_path):
    journal = tmp_path / "journal.jsonl"
    proc = run("grade", str(class_root), "--json", "--module", MODULE, "--results", str(journal), "-j", "1",
               "--device", "cpu")
    assert proc.returncode == 0, proc.stderr
    first = {s["student"]: s for s in json.loads(proc.stdout)["submissions"]}
    lines = journal.read_text(encoding="utf-8").splitlines()
    header, results = json.loads(lines[0]), lines[1:]
    assert header["journal"] == "torchdojo.grades/1" and len(results) == 4
    # as if interrupted while grading the last two: one line lost, one cut in half
    journal.write_text("\n".join([lines[0], *results[:2], results[3][:40]]) + "\n", encoding="utf-8")
    graded_again = {json.loads(r)["student"] for r in results[2:]}
    proc = run("grade", str(class_root), "--json", "--module", MODULE, "--results", str(journal), "--resume",
               "-j", "1", "--device", "cpu")
    assert proc.returncode == 0, proc.stderr
    second = {s["student"]: s for s in json.loads(proc.stdout)["submissions"]}
    assert {k: v["score"] for k, v in second.items()} == {k: v["score"] for k, v in first.items()}
    assert {s["seed"] for s in second.values()} == {header["seed"]}
    new_lines = [json.loads(line) for line in journal.read_text(encoding="utf-8").splitlines()[3:] if line.strip()
                 and line.startswith("{") and line.endswith("}")]
    assert {d["student"] for d in new_lines} == graded_again


def test_resume_refuses_another_seed(class_root, tmp_path):
    journal = tmp_path / "journal.jsonl"
    journal.write_text('{"journal": "torchdojo.grades/1", "seed": 5, "device": "cpu"}\n', encoding="utf-8")
    proc = run("grade", str(class_root), "--module", MODULE, "--results", str(journal), "--resume", "--seed", "6")
    assert proc.returncode == 2 and "seed 5" in proc.stderr
