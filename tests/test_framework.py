"""torchdojo as a framework: a course is a folder with a manifest, found from where you stand.

The engine installs as a wheel and grades any course; `new` writes a working course; `dev
check` checks one; grader markers and the manifest cannot disagree.
"""

from __future__ import annotations

import contextlib
import io
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from helpers import ROOT
from torchdojo.course import MANIFEST, load_course
from torchdojo.grading.plugin import marker_of, module_of, points_per_test

TORCHDOJO = [sys.executable, "-m", "torchdojo"]


def run(*args: str, cwd: Path, env: dict | None = None) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if k not in ("TORCHDOJO_COURSE", "TORCHDOJO_HOME")}
    base.update({"TORCHDOJO_LANG": "en", "NO_COLOR": "1", **(env or {})})
    return subprocess.run([*TORCHDOJO, *args], cwd=cwd, capture_output=True, text=True, env=base, timeout=900)


def test_no_course_here_is_a_clear_error(tmp_path):
    (tmp_path / "exercises").mkdir()
    (tmp_path / "exercises" / "01_tensors.py").write_text("x = 1\n")
    result = run("check", "exercises", cwd=tmp_path)
    assert result.returncode == 2, result.stdout + result.stderr
    assert MANIFEST in result.stderr and "--course" in result.stderr
    assert "0/0" not in result.stdout


def test_broken_manifest_names_the_file_and_field(tmp_path):
    (tmp_path / MANIFEST).write_text(textwrap.dedent("""
        modules:
          - name: 01_x
            title: {ko: 가, en: a}
            exercises: [f]
            items: {g: 1}
    """))
    result = run("list", cwd=tmp_path)
    assert result.returncode == 2
    assert f"{tmp_path / MANIFEST}" in result.stderr and "item 'g' belongs to no exercise" in result.stderr


def test_course_is_found_from_a_subfolder_and_by_option(tmp_path):
    assert load_course(ROOT).root == ROOT
    result = run("hint", "1", "--lang", "en", cwd=ROOT / "exercises")
    assert result.returncode == 0 and "row_stats" in result.stdout
    result = run("--course", str(ROOT), "hint", "tensors", "--lang", "en", cwd=tmp_path)
    assert result.returncode == 0 and "row_stats" in result.stdout


class _Markers:
    def __init__(self) -> None:
        self.tests: dict[str, list] = {}

    def pytest_collection_modifyitems(self, items) -> None:
        for item in items:
            name, points = marker_of(item)
            self.tests.setdefault(module_of(item.path), []).append((name, item.originalname, points))


def test_grader_markers_agree_with_the_manifest():
    import pytest as _pytest

    course = load_course(ROOT)
    markers = _Markers()
    files = [str(course.graders_dir / m.grader_filename) for m in course.modules]
    from torchdojo.grading.runner import _forget_other_graders

    _forget_other_graders(files)  # another test of this process may have loaded a grader of the same name
    with contextlib.redirect_stdout(io.StringIO()):
        _pytest.main([*files, "--collect-only", "-q", "-p", "torchdojo.grading.plugin", "-p", "no:cacheprovider",
                      "--rootdir", str(course.graders_dir), "--import-mode=importlib",
                      "-c", str(ROOT / "src/torchdojo/grading/pytest.ini")], plugins=[markers])
    for module in course.modules:
        _, problem = points_per_test(module, markers.tests.get(module.name, []))
        assert problem is None, f"{module.name}: {problem}"


def test_points_per_test_refuses_disagreement():
    module = load_course(ROOT).module("01_tensors")
    tests = [(item, f"test_{item}", points) for item, points in module.items.items()]
    assert points_per_test(module, tests)[1] is None
    extra = points_per_test(module, tests + [("bonus", "test_bonus", 1.0)])[1]
    assert "items the manifest does not list: bonus" in extra
    missing = points_per_test(module, tests[1:])[1]
    assert "no grader test checks: row_stats" in missing
    wrong = points_per_test(module, [(i, f, 99.0 if i == "row_stats" else p) for i, f, p in tests])[1]
    assert "row_stats" in wrong and "99" in wrong


def test_dev_check_of_this_course_without_grading():
    result = run("dev", "check", "--no-grading", cwd=ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "FAIL" not in result.stdout


@pytest.mark.slow
def test_dev_check_of_this_course_grades_a_module_fully():
    """The whole dev check (stub, reference, every mutant on the fixed cases and two seeds) on one
    module of this course; the full course (348 checks, ~4.5 min) is the mutant tests' job."""
    result = run("dev", "check", "--module", "01_tensors", cwd=ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "01_tensors: stub scores 0" in result.stdout and "01_tensors: reference full" in result.stdout
    assert result.stdout.count("mutant 01_tensors:") >= 20 and "FAIL" not in result.stdout


def test_dev_new_adds_a_module_that_dev_check_accepts(tmp_path):
    course = tmp_path / "c"
    assert run("new", str(course), cwd=tmp_path).returncode == 0
    result = run("dev", "new", "02_more", "--exercise", "triple", cwd=course)
    assert result.returncode == 0, result.stderr
    manifest = load_course(course)
    assert manifest.names == ["01_basics", "02_more"] and manifest.module("02_more").items == {"triple": 2}
    assert run("dev", "new", "02_again", cwd=course).returncode == 2  # the number is taken
    result = run("dev", "check", cwd=course)
    assert result.returncode == 0, result.stdout + result.stderr


def _fresh_venv_with_wheel(tmp_path: Path) -> Path:
    """A new venv whose torchdojo is the wheel built from this checkout (torch etc. borrowed)."""
    wheels = tmp_path / "wheels"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
                    "-w", str(wheels), str(ROOT)], check=True, capture_output=True, timeout=600)
    (wheel,) = wheels.glob("torchdojo-*.whl")
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)],
                   check=True, timeout=120)
    site = next((venv / "lib").glob("python3*/site-packages"))
    borrowed = next(Path(p) for p in sys.path if p.endswith("site-packages") and Path(p, "torch").is_dir())
    (site / "borrowed.pth").write_text(str(borrowed) + "\n")  # a plain path: its .pth files (editable) are not run
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(site), str(wheel)],
                   check=True, capture_output=True, timeout=600)
    return venv


@pytest.mark.slow
def test_wheel_in_a_fresh_venv_grades_a_new_course(tmp_path):
    venv = _fresh_venv_with_wheel(tmp_path)
    python = venv / "bin" / "python"
    where = subprocess.run([str(python), "-c", "import torchdojo; print(torchdojo.__file__)"],
                           capture_output=True, text=True, check=True).stdout.strip()
    assert where.startswith(str(venv)), where
    env = {k: v for k, v in os.environ.items() if k not in ("TORCHDOJO_COURSE", "TORCHDOJO_HOME", "PYTHONPATH")}
    env.update({"TORCHDOJO_LANG": "en", "NO_COLOR": "1"})
    work = tmp_path / "work"
    work.mkdir()
    made = subprocess.run([str(python), "-m", "torchdojo", "new", "mycourse"], cwd=work, env=env,
                          capture_output=True, text=True, timeout=300)
    assert made.returncode == 0, made.stderr
    checked = subprocess.run([str(python), "-m", "torchdojo", "dev", "check"], cwd=work / "mycourse", env=env,
                             capture_output=True, text=True, timeout=900)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "FAIL" not in checked.stdout and "reference full" in checked.stdout
    stubs = subprocess.run([str(python), "-m", "torchdojo", "check", "--json"], cwd=work / "mycourse", env=env,
                           capture_output=True, text=True, timeout=300)
    assert stubs.returncode == 1 and '"max_score": 2' in stubs.stdout


def test_a_grader_that_disagrees_with_the_manifest_is_a_course_error(tmp_path):
    import shutil

    course = tmp_path / "course"
    for part in ("exercises", "reference", "graders"):
        shutil.copytree(ROOT / part, course / part, ignore=shutil.ignore_patterns("__pycache__", ".torchdojo"))
    text = (ROOT / MANIFEST).read_text(encoding="utf-8")
    (course / MANIFEST).write_text(text.replace("    row_stats: 3\n", "    row_stats: 4\n", 1), encoding="utf-8")
    result = run("check", "reference", "--module", "01", "--json", cwd=course)
    assert result.returncode == 1, result.stderr
    import json

    (module,) = json.loads(result.stdout)["modules"]
    assert module["score"] == 0 and all(i["status"] == "error" for i in module["items"])
    assert "item row_stats: the grader's markers give 3 points, the manifest 4" in module["items"][0]["message"]


def test_one_run_configuration_hides_the_course_folders_also_when_run_by_hand(tmp_path):
    import pytest as _pytest

    from torchdojo.grading import plugin
    from torchdojo.grading.runner import Scorer

    with Scorer(device="cpu", seed=5) as scorer:
        ctx = scorer.context_for(tmp_path)
    hidden = set(ctx.hidden)
    for folder in ("graders", "reference", "tests", ".git"):
        assert str((ROOT / folder).resolve()) in hidden
    seen = {}

    class Spy:
        @_pytest.hookimpl(trylast=True)
        def pytest_configure(self, config):
            seen["hidden"] = list(config.stash[plugin.CONTEXT].hidden)

    with contextlib.redirect_stdout(io.StringIO()):
        _pytest.main([str(ROOT / "graders" / "test_01_tensors.py"), "--collect-only", "-q", "-p", "torchdojo.grading.plugin",
                      "--submission", str(ROOT / "reference"), "-p", "no:cacheprovider", "--rootdir", str(ROOT / "graders"),
                      "--import-mode=importlib", "-c", str(ROOT / "src/torchdojo/grading/pytest.ini")], plugins=[Spy()])
    assert str((ROOT / "tests").resolve()) in seen["hidden"]
