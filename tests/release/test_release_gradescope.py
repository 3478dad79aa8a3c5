"""Gradescope: `to_gradescope`, and the autograder zip's `run_autograder` on a fake /autograder tree."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

import release_helpers
from release_helpers import MODULE, PYTHON, ROOT
from torchdojo.cli_release import release
from torchdojo.grading.report import ItemResult, ModuleResult, SubmissionReport
from torchdojo.release.gradescope import to_gradescope


@pytest.fixture(scope="module")
def wheel() -> Path:
    return release_helpers.shared_wheel()


TOP_KEYS = {"score", "execution_time", "output", "output_format", "test_output_format", "test_name_format",
            "visibility", "stdout_visibility", "extra_data", "tests", "leaderboard"}
TEST_KEYS = {"score", "max_score", "status", "name", "name_format", "number", "output", "output_format",
             "tags", "visibility", "extra_data"}
VISIBILITY = {"hidden", "after_due_date", "after_published", "visible"}


def assert_gradescope_results(data: dict) -> None:
    """Gradescope's results.json format (the fields it documents, with their types)."""
    assert set(data) <= TOP_KEYS, set(data) - TOP_KEYS
    assert isinstance(data["score"], (int, float))
    assert isinstance(data.get("output", ""), str)
    assert data.get("visibility", "visible") in VISIBILITY
    assert isinstance(data["tests"], list)
    for test in data["tests"]:
        assert set(test) <= TEST_KEYS, set(test) - TEST_KEYS
        assert isinstance(test["name"], str) and test["name"]
        assert isinstance(test["score"], (int, float)) and isinstance(test["max_score"], (int, float))
        assert 0 <= test["score"] <= test["max_score"]
        assert test["status"] in ("passed", "failed")
        assert isinstance(test["output"], str)
        assert test["visibility"] in VISIBILITY
    if data["tests"]:
        assert data["score"] == pytest.approx(sum(t["score"] for t in data["tests"]))
    json.dumps(data)


def test_to_gradescope_one_test_per_item():
    report = SubmissionReport(
        submission="x", seed=5, device="cpu", seconds=1.4, modules=[
            ModuleResult("01_tensors", [
                ItemResult("row_stats", 3, 3, "passed"),
                ItemResult("flatten_images", 0, 2, "failed", "shape wrong", {"ko": "모양이 틀림", "en": "shape wrong"}),
                ItemResult("numpy_view", 0, 2, "missing", "not implemented", {"ko": "미구현", "en": "not implemented"}),
            ], output="hello from student"),
        ])
    data = to_gradescope(report)
    assert_gradescope_results(data)
    assert data["score"] == 3
    assert [t["name"] for t in data["tests"]] == ["01_tensors: row_stats", "01_tensors: flatten_images",
                                                  "01_tensors: numpy_view"]
    assert [t["status"] for t in data["tests"]] == ["passed", "failed", "failed"]
    assert data["tests"][1]["output"].startswith("모양이 틀림\nshape wrong")
    assert "hello from student" in data["tests"][1]["output"]
    assert data["extra_data"]["seed"] == 5 and data["extra_data"]["max_score"] == 7


@pytest.fixture(scope="module")
def autograder_zip(tmp_path_factory, wheel) -> Path:
    out = tmp_path_factory.mktemp("gs") / "autograder.zip"
    result = CliRunner().invoke(release, ["gradescope", "--out", str(out), "--module", MODULE, "--wheel", str(wheel)],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return out


def test_zip_layout(autograder_zip, wheel):
    with zipfile.ZipFile(autograder_zip) as zf:
        names = set(zf.namelist())
        assert {"setup.sh", "run_autograder", wheel.name, "torchdojo_graders.pack", "torchdojo_autograder.json"} <= names
        for script in ("setup.sh", "run_autograder"):
            assert (zf.getinfo(script).external_attr >> 16) & stat.S_IXUSR
        assert json.loads(zf.read("torchdojo_autograder.json"))["modules"] == [MODULE]
        assert not any(n.startswith(("reference/", "graders/")) for n in names)
    result = CliRunner().invoke(release, ["gradescope", "--out", str(autograder_zip), "--wheel", str(wheel)])
    assert result.exit_code == 2 and "--force" in result.output


def run_autograder(tmp_path: Path, autograder_zip: Path, fill) -> dict:
    root = tmp_path / "autograder"
    (root / "submission").mkdir(parents=True)
    with zipfile.ZipFile(autograder_zip) as zf:
        zf.extractall(root / "source")
    script = root / "source" / "run_autograder"
    script.chmod(0o755)
    fill(root / "submission")
    env = dict(os.environ, TORCHDOJO_AUTOGRADER_ROOT=str(root), TORCHDOJO_PYTHON=PYTHON)
    env.pop("TORCHDOJO_HOME", None)
    done = subprocess.run(["bash", str(script)], capture_output=True, text=True, env=env, timeout=600)
    assert done.returncode == 0, done.stderr
    data = json.loads((root / "results" / "results.json").read_text(encoding="utf-8"))
    assert_gradescope_results(data)
    return data


def test_run_autograder_grades_a_nested_submission(tmp_path, autograder_zip):
    def fill(sub: Path) -> None:
        (sub / "my-work" / "exercises").mkdir(parents=True)
        shutil.copyfile(ROOT / "reference" / f"{MODULE}.py", sub / "my-work" / "exercises" / f"{MODULE}.py")

    data = run_autograder(tmp_path, autograder_zip, fill)
    assert data["score"] == 15 and len(data["tests"]) == 8
    assert all(t["status"] == "passed" for t in data["tests"])


def test_run_autograder_explains_an_empty_submission(tmp_path, autograder_zip):
    data = run_autograder(tmp_path, autograder_zip, lambda sub: (sub / "notes.txt").write_text("hi"))
    assert data["score"] == 0 and data["tests"] == []
    assert "01_tensors.py" in data["output"]


def test_run_autograder_reads_a_notebook_and_reports_a_broken_one(tmp_path, autograder_zip):
    def fill(sub: Path) -> None:
        (sub / f"{MODULE}.ipynb").write_text('{"cells": [', encoding="utf-8")

    data = run_autograder(tmp_path, autograder_zip, fill)
    assert data["score"] == 0 and len(data["tests"]) == 8
    assert all("invalid JSON" in t["output"] for t in data["tests"])


def test_run_autograder_writes_results_even_when_python_is_missing(tmp_path, autograder_zip):
    root = tmp_path / "autograder"
    (root / "submission").mkdir(parents=True)
    with zipfile.ZipFile(autograder_zip) as zf:
        zf.extractall(root / "source")
    env = dict(os.environ, TORCHDOJO_AUTOGRADER_ROOT=str(root), TORCHDOJO_PYTHON=str(tmp_path / "no-python"))
    done = subprocess.run(["bash", str(root / "source" / "run_autograder")], capture_output=True, text=True, env=env)
    assert done.returncode == 0
    data = json.loads((root / "results" / "results.json").read_text(encoding="utf-8"))
    assert_gradescope_results(data)
    assert data["score"] == 0 and "autograder" in data["output"]
