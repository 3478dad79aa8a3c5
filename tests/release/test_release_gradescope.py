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
from torchdojo.i18n import Text


@pytest.fixture(scope="module")
def wheel() -> Path:
    return release_helpers.shared_wheel()


VISIBILITY = ["hidden", "after_due_date", "after_published", "visible"]
FORMATS = ["text", "html", "simple_format", "md", "ansi"]
NUMBER = {"type": "number"}
# Gradescope's results.json as its autograder documentation specifies it ("Autograder
# Specifications: Output format"): these fields, these types, nothing else.
RESULTS_SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "required": ["score", "tests"],  # Gradescope needs "score" unless every test has one; ours always has it
    "properties": {
        "score": NUMBER,
        "execution_time": NUMBER,
        "output": {"type": "string"},
        "output_format": {"enum": FORMATS},
        "test_output_format": {"enum": FORMATS},
        "test_name_format": {"enum": FORMATS},
        "visibility": {"enum": VISIBILITY},
        "stdout_visibility": {"enum": VISIBILITY},
        "extra_data": {"type": "object"},
        "tests": {"type": "array", "items": {
            "type": "object",
            "additionalProperties": False,
            "required": ["name", "score", "max_score", "status", "output"],
            "properties": {
                "score": NUMBER,
                "max_score": NUMBER,
                "status": {"enum": ["passed", "failed"]},
                "name": {"type": "string", "minLength": 1},
                "name_format": {"enum": FORMATS},
                "number": {"type": "string"},
                "output": {"type": "string"},
                "output_format": {"enum": FORMATS},
                "tags": {"type": "array", "items": {"type": "string"}},
                "visibility": {"enum": VISIBILITY},
                "extra_data": {"type": "object"},
            },
        }},
        "leaderboard": {"type": "array", "items": {
            "type": "object",
            "additionalProperties": False,
            "required": ["name", "value"],
            "properties": {"name": {"type": "string"}, "value": {"type": ["number", "string"]},
                           "order": {"enum": ["asc", "desc"]}},
        }},
    },
}


def assert_gradescope_results(data: dict) -> None:
    """Gradescope's results.json format (the fields it documents, with their types)."""
    import jsonschema

    jsonschema.validate(data, RESULTS_SCHEMA)
    for test in data["tests"]:
        assert 0 <= test["score"] <= test["max_score"]
    if data["tests"]:
        assert data["score"] == pytest.approx(sum(t["score"] for t in data["tests"]))
    json.dumps(data)


def test_schema_refuses_what_gradescope_does_not_know():
    import jsonschema

    good = {"score": 1, "tests": [{"name": "a", "score": 1, "max_score": 1, "status": "passed", "output": ""}]}
    assert_gradescope_results(good)
    for bad in ({**good, "grade": 1}, {**good, "visibility": "soon"}, {**good, "output_format": "markdown"},
                {**good, "tests": [{**good["tests"][0], "points": 1}]},
                {**good, "leaderboard": [{"name": "acc", "value": 1, "order": "up"}]}):
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(bad, RESULTS_SCHEMA)


def test_markdown_messages_stay_text_and_visibility_follows_the_course():
    report = SubmissionReport(submission="x", seed=5, device="cpu", modules=[
        ModuleResult("01_tensors", [
            ItemResult("row_stats", 0, 3, "failed", Text.same("[click](http://evil) <img src=x> **bold**")),
            ItemResult("flatten_images.view", 0, 1, "failed", Text.same("not a view")),
            ItemResult("numpy_view", 2, 2, "passed"),
        ], output="```\n# not a heading"),
        ModuleResult("02_autograd", [ItemResult("predict", 2, 2, "passed")])])
    data = to_gradescope(report, visibility={"01_tensors": {"flatten_images": "after_due_date", "numpy_view": "hidden"},
                                             "02_autograd": "after_published"},
                         leaderboard=[{"name": "Accuracy (%)", "value": 87.5, "order": "desc"}])
    assert_gradescope_results(data)
    first = data["tests"][0]["output"]
    assert "\\[click\\]\\(http://evil\\)" in first and "\\<img" in first and "\\*\\*bold" in first
    assert "````text\n```\n# not a heading\n````" in first  # printed text cannot close its fence
    assert [t["visibility"] for t in data["tests"]] == ["visible", "after_due_date", "hidden", "after_published"]
    assert data["leaderboard"] == [{"name": "Accuracy (%)", "value": 87.5, "order": "desc"}]


def test_release_pins_the_seed_and_takes_visibility_from_the_course(tmp_path, wheel, monkeypatch):
    from torchdojo.course import load_course
    from torchdojo.release.gradescope import release_gradescope

    module = load_course().module(MODULE)
    monkeypatch.setattr(module, "visibility", {"row_stats": "after_due_date"})
    configs = []
    for n in range(2):
        out = release_gradescope(tmp_path / f"a{n}.zip", [MODULE, "09"], wheel=wheel)
        with zipfile.ZipFile(out) as zf:
            configs.append(json.loads(zf.read("torchdojo_autograder.json")))
    first = configs[0]
    assert isinstance(first["seed"], int) and first["seed"] != configs[1]["seed"]  # drawn once per release
    assert first["visibility"] == {MODULE: {"row_stats": "after_due_date"}}
    assert [e["module"] for e in first["leaderboard"]] == ["09_fashion_mnist"]
    out = release_gradescope(tmp_path / "s.zip", [MODULE], wheel=wheel, seed=77)
    with zipfile.ZipFile(out) as zf:
        config = json.loads(zf.read("torchdojo_autograder.json"))
    assert config["seed"] == 77 and config["leaderboard"] == []


@pytest.mark.slow
def test_leaderboard_holds_the_scorers_accuracy_for_09():
    """09's accuracy as the scorer computed it (logits fetched, labels never in the worker); the
    stub's worker-side claims count for nothing (0: it never gets that far)."""
    from torchdojo.grading.runner import Scorer
    from torchdojo.release.gradescope import LEADERBOARD, leaderboard_entries, score_with_leaderboard

    wanted = [dict(LEADERBOARD["09_fashion_mnist"], module="09_fashion_mnist")]
    with Scorer(device="cpu", seed=3, lang="en") as scorer:
        report, values = score_with_leaderboard(scorer, ROOT / "reference", ["09_fashion_mnist"])
        stub, stub_values = score_with_leaderboard(scorer, ROOT / "exercises", ["09_fashion_mnist"])
    assert report.score == report.max_score and 0.5 <= values["09_fashion_mnist"]["accuracy"] <= 1
    board = leaderboard_entries(wanted, values, ["09_fashion_mnist"])
    assert board[0]["value"] == round(100 * values["09_fashion_mnist"]["accuracy"], 2) and board[0]["order"] == "desc"
    assert stub_values == {} and leaderboard_entries(wanted, stub_values, ["09_fashion_mnist"])[0]["value"] == 0
    data = to_gradescope(report, leaderboard=board)
    assert_gradescope_results(data)
    assert "PYTEST_PLUGINS" not in os.environ


def test_to_gradescope_one_test_per_item():
    report = SubmissionReport(
        submission="x", seed=5, device="cpu", seconds=1.4, modules=[
            ModuleResult("01_tensors", [
                ItemResult("row_stats", 3, 3, "passed"),
                ItemResult("flatten_images", 0, 2, "failed", Text(ko="모양이 틀림", en="shape wrong")),
                ItemResult("numpy_view", 0, 2, "missing", Text(ko="미구현", en="not implemented")),
            ], output="hello from student"),
        ])
    data = to_gradescope(report)
    assert_gradescope_results(data)
    assert data["score"] == 3
    assert [t["name"] for t in data["tests"]] == ["01_tensors: row_stats", "01_tensors: flatten_images",
                                                  "01_tensors: numpy_view"]
    assert [t["status"] for t in data["tests"]] == ["passed", "failed", "failed"]
    assert data["tests"][1]["output"].startswith("모양이 틀림  \nshape wrong")
    assert "```text\nhello from student\n```" in data["tests"][1]["output"]
    assert data["output_format"] == "md" and all(t["output_format"] == "md" for t in data["tests"])
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
    with zipfile.ZipFile(autograder_zip) as zf:  # "Regrade all" uses the inputs of the release's seed
        assert data["extra_data"]["seed"] == json.loads(zf.read("torchdojo_autograder.json"))["seed"]


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
