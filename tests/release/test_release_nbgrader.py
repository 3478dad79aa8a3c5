"""`torchdojo release nbgrader` with nbgrader's own generate_assignment, autograde and export.

One course of 01_tensors; three returned notebooks: the solved source copy (full), the
released copy (zero), and a partly solved one. nbgrader's points must equal
`grade_notebooks` (torchdojo's own engine) on the same notebooks, item for item.
"""

from __future__ import annotations

import csv
import json
import shutil
import subprocess
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

import release_helpers
from release_helpers import MODULE, PYTHON, cells, grade_id, leaked, source_of
from torchdojo.cli_release import release
from torchdojo.release.notebooks import grade_notebooks


@pytest.fixture(scope="module")
def secret_lines() -> dict[str, set[str]]:
    return release_helpers.secret_lines()


pytest.importorskip("nbgrader")
pytestmark = pytest.mark.slow


def nbgrader(course: Path, *args: str) -> subprocess.CompletedProcess:
    import os

    env = dict(os.environ, PATH=f"{Path(PYTHON).parent}{os.pathsep}{os.environ.get('PATH', '')}")
    env.pop("TORCHDOJO_HOME", None)
    return subprocess.run([PYTHON, "-m", "nbgrader", *args], cwd=course, capture_output=True, text=True, env=env,
                          timeout=900)


@pytest.fixture(scope="module")
def course(tmp_path_factory) -> Path:
    course = tmp_path_factory.mktemp("nbgrader") / "course"
    result = CliRunner().invoke(release, ["nbgrader", "--out", str(course), "--module", MODULE, "--seed", "11"],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return course


def test_course_layout_and_release_hold_no_solution_or_hidden_test(course, secret_lines):
    assert (course / "nbgrader_config.py").is_file() and (course / "gradebook.db").is_file()
    assert (course / "torchdojo_graders.pack").is_file()
    source = course / "source" / MODULE / f"{MODULE}.ipynb"
    released = course / "release" / MODULE / f"{MODULE}.ipynb"
    source_text = source.read_text(encoding="utf-8")
    assert "### BEGIN SOLUTION" in source_text and "### BEGIN HIDDEN TESTS" in source_text
    text = released.read_text(encoding="utf-8")
    for marker in ("BEGIN SOLUTION", "END SOLUTION", "HIDDEN TESTS", "score_exercise", "torchdojo.release"):
        assert marker not in text
    assert not leaked("\n".join(source_of(c) for c in cells(released)), secret_lines)
    points = {grade_id(c): c["metadata"]["nbgrader"].get("points") for c in cells(released) if grade_id(c)}
    from torchdojo.release.points import item_points

    assert sum(p for p in points.values() if p) == sum(item_points([MODULE], release_helpers.ROOT / "graders")[MODULE].values())
    answers = [c for c in cells(released) if (grade_id(c) or "").endswith("_answer")]
    assert len(answers) == 6 and all("raise NotImplementedError()" in source_of(c) for c in answers)
    assert json.loads(text)["metadata"]["kernelspec"]["name"] == "python3"
    from jupyter_client.kernelspec import KernelSpecManager

    assert "python3" in KernelSpecManager().find_kernel_specs()


def test_existing_course_is_refused_without_force(course):
    result = CliRunner().invoke(release, ["nbgrader", "--out", str(course), "--module", MODULE, "--no-generate"])
    assert result.exit_code == 2
    assert "not empty" in result.output and "--force" in result.output


def _partial(source: Path, released: Path, dest: Path) -> None:
    """Released copy with three answers solved (from the source) and row_stats wrong."""
    solved = {grade_id(c): c for c in cells(source)}
    book = json.loads(released.read_text(encoding="utf-8"))
    for cell in book["cells"]:
        gid = grade_id(cell)
        if gid in ("flatten_images_answer", "pairwise_sum_answer", "numpy_view_answer"):
            cell["source"] = source_of(solved[gid])
        if gid == "row_stats_answer":
            cell["source"] = "def row_stats(x):\n    return x.sum(dim=0), x.mean(dim=0), x.std(dim=0)\n"
    dest.write_text(json.dumps(book), encoding="utf-8")


def test_nbgrader_autograde_and_export_match_torchdojo_grade(course):
    source = course / "source" / MODULE / f"{MODULE}.ipynb"
    released = course / "release" / MODULE / f"{MODULE}.ipynb"
    for student in ("solved", "unsolved", "partial"):
        (course / "submitted" / student / MODULE).mkdir(parents=True)
    shutil.copyfile(source, course / "submitted" / "solved" / MODULE / f"{MODULE}.ipynb")
    shutil.copyfile(released, course / "submitted" / "unsolved" / MODULE / f"{MODULE}.ipynb")
    _partial(source, released, course / "submitted" / "partial" / MODULE / f"{MODULE}.ipynb")

    started = time.monotonic()
    done = nbgrader(course, "autograde", MODULE, "--force")
    nbgrader_seconds = time.monotonic() - started
    assert done.returncode == 0, done.stderr[-3000:]
    done = nbgrader(course, "export", "--to", "grades.csv")
    assert done.returncode == 0, done.stderr[-3000:]
    with open(course / "grades.csv", newline="", encoding="utf-8") as fh:
        rows = {row["student_id"]: row for row in csv.DictReader(fh)}
    from torchdojo.release.points import item_points

    points = item_points([MODULE], release_helpers.ROOT / "graders")[MODULE]
    full = sum(points.values())
    solved_in_partial = {"flatten_images", "pairwise_sum", "numpy_view"}
    partial_points = sum(v for k, v in points.items() if k.split(".")[0] in solved_in_partial)
    assert float(rows["solved"]["score"]) == full and float(rows["solved"]["max_score"]) == full
    assert float(rows["unsolved"]["score"]) == 0.0
    nb_partial = float(rows["partial"]["score"])

    # the explanation is in the autograded test cell of the partial student
    graded = cells(course / "autograded" / "partial" / MODULE / f"{MODULE}.ipynb")
    row_stats_test = next(c for c in graded if grade_id(c) == "row_stats_test")
    assert any(o.get("output_type") == "error" and "row_stats" in (o.get("evalue") or "")
               for o in row_stats_test["outputs"])

    started = time.monotonic()
    reports = {r.student: r for r in grade_notebooks(course, jobs=2, modules=[MODULE], seed=11, lang="en")}
    torchdojo_seconds = time.monotonic() - started
    assert reports["solved"].score == full and reports["unsolved"].score == 0
    assert reports["partial"].score == nb_partial == partial_points
    print(f"\nnbgrader autograde: {nbgrader_seconds:.1f} s, torchdojo grade: {torchdojo_seconds:.1f} s (3 notebooks)")


def test_force_rewrites_the_course_but_keeps_students_data(course):
    """Runs last: a re-release keeps submitted/, autograded/ and the gradebook."""
    marker = course / "source" / MODULE / "stale.txt"
    marker.write_text("old", encoding="utf-8")
    result = CliRunner().invoke(release, ["nbgrader", "--out", str(course), "--module", MODULE, "--force",
                                          "--no-generate"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert not marker.exists()
    assert (course / "source" / MODULE / f"{MODULE}.ipynb").is_file()
    for kept in ("submitted", "gradebook.db"):
        assert (course / kept).exists()


@pytest.fixture(scope="module")
def fresh_course(tmp_path_factory) -> Path:
    """A course nbgrader never autograded: only torchdojo writes its gradebook."""
    course = tmp_path_factory.mktemp("nbgrader-gb") / "course"
    result = CliRunner().invoke(release, ["nbgrader", "--out", str(course), "--module", MODULE, "--seed", "11"],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return course


def test_grade_writes_nbgrader_gradebook_and_export_agrees(fresh_course, tmp_path):
    from helpers import run
    from nbgrader.api import Gradebook

    course = fresh_course
    source = course / "source" / MODULE / f"{MODULE}.ipynb"
    released = course / "release" / MODULE / f"{MODULE}.ipynb"
    for student in ("solved", "partial"):
        (course / "submitted" / student / MODULE).mkdir(parents=True)
    shutil.copyfile(source, course / "submitted" / "solved" / MODULE / f"{MODULE}.ipynb")
    (course / "submitted" / "solved" / MODULE / "timestamp.txt").write_text("2026-03-02 10:00:00 UTC")
    _partial(source, released, course / "submitted" / "partial" / MODULE / f"{MODULE}.ipynb")

    proc = run("grade", str(course / "submitted"), "--module", MODULE, "--seed", "11", "-j", "1",
               "--results", str(tmp_path / "j.jsonl"), "--json")
    assert proc.returncode == 0, proc.stderr
    assert "nbgrader gradebook: 2 submission(s) of 2 student(s), 12 grade cell(s)" in proc.stderr
    assert "Warning" not in proc.stderr
    ours = {s["student"]: s["score"] for s in json.loads(proc.stdout)["submissions"]}

    from torchdojo.release.points import exercise_points, item_points

    from torchdojo.course import load_course

    per_exercise = exercise_points(item_points([MODULE])[MODULE], load_course().module(MODULE).exercises)
    with Gradebook("sqlite:///" + str(course / "gradebook.db"), course_id="torchdojo") as gb:
        assert {s.id for s in gb.students} == {"solved", "partial"}
        for student in ("solved", "partial"):
            sub = gb.find_submission(MODULE, student)
            assert sub.score == ours[student] and sub.max_score == sum(per_exercise.values())
            assert not sub.needs_manual_grade
        assert gb.find_grade("flatten_images_test", MODULE, MODULE, "partial").score == per_exercise["flatten_images"]
        assert gb.find_grade("row_stats_test", MODULE, MODULE, "partial").score == 0
        assert gb.find_submission(MODULE, "solved").timestamp.year == 2026
    done = nbgrader(course, "export", "--to", "grades.csv")
    assert done.returncode == 0, done.stderr[-3000:]
    with open(course / "grades.csv", newline="", encoding="utf-8") as fh:
        rows = {row["student_id"]: row for row in csv.DictReader(fh)}
    assert {k: float(v["score"]) for k, v in rows.items()} == {k: float(v) for k, v in ours.items()}
    assert ours["solved"] == sum(per_exercise.values()) and 0 < ours["partial"] < ours["solved"]
