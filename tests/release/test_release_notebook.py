"""Notebooks from stubs + references + graders, and notebooks back into modules (no nbgrader needed)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

import release_helpers
from release_helpers import MODULE, ROOT, grade_id, leaked, source_of
from torchdojo.course import load_course
from torchdojo.release.notebook import build_notebook, write_notebook
from torchdojo.release.notebooks import (
    NotebookProblem,
    apply_problems,
    extract_module_source,
    grade_notebooks,
    notebook_class_root,
    notebooks_to_submission,
)
from torchdojo.release.points import OTHER, exercise_of, exercise_points, item_points
from torchdojo.release.source import BEGIN_HIDDEN, BEGIN_SOLUTION, END_HIDDEN, END_SOLUTION, module_parts, strip_solutions

COURSE = load_course()


@pytest.fixture(scope="module")
def secret_lines() -> dict[str, set[str]]:
    return release_helpers.secret_lines()


@pytest.fixture(scope="module")
def all_points() -> dict[str, dict[str, float]]:
    return item_points(COURSE.names, ROOT / "graders")


def _notebook(module: str, points: dict[str, float]) -> dict:
    mod = COURSE.module(module)
    parts = module_parts(mod.name, mod.exercises, ROOT / "exercises" / mod.filename, ROOT / "reference" / mod.filename)
    return build_notebook(parts, exercise_points(points, mod.exercises))


def _released(nb: dict) -> dict:
    """What nbgrader's release does to answer and test cells (solutions and hidden tests out)."""
    nb = json.loads(json.dumps(nb))
    for cell in nb["cells"]:
        text = source_of(cell)
        if BEGIN_SOLUTION in text:
            cell["source"] = strip_solutions(text)
        if BEGIN_HIDDEN in text:
            cell["source"] = text.split(BEGIN_HIDDEN)[0] + text.split(END_HIDDEN)[1]
    return nb


@pytest.fixture(scope="module")
def tensors_notebooks(tmp_path_factory, all_points) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("nb")
    nb = _notebook(MODULE, all_points[MODULE])
    return write_notebook(nb, folder / "source" / f"{MODULE}.ipynb"), write_notebook(
        _released(nb), folder / "release" / f"{MODULE}.ipynb")


@pytest.mark.parametrize("module", COURSE.names)
def test_every_module_makes_a_notebook_with_the_graders_points(module, all_points, secret_lines):
    mod = COURSE.module(module)
    nb = _notebook(module, all_points[module])
    nbformat = pytest.importorskip("nbformat")
    nbformat.validate(nbformat.from_dict(nb))
    assert nb["metadata"]["kernelspec"]["name"] == "python3"
    ids = [grade_id(c) for c in nb["cells"] if grade_id(c)]
    assert len(ids) == len(set(ids))
    assert ids[0] == "setup"
    for name in mod.exercises:
        assert f"{name}_answer" in ids and f"{name}_test" in ids
    points = {grade_id(c): c["metadata"]["nbgrader"].get("points", 0) for c in nb["cells"] if grade_id(c)}
    assert sum(points.values()) == pytest.approx(sum(all_points[module].values()))
    per_exercise = exercise_points(all_points[module], mod.exercises)
    assert OTHER not in per_exercise  # every grader item belongs to an exercise
    for name in mod.exercises:
        assert points[f"{name}_test"] == pytest.approx(per_exercise[name])
    # solved: the module runs and defines every exercise; released: no solution line is left
    solved = "\n\n".join(source_of(c) for c in nb["cells"] if grade_id(c) == "setup" or
                         (grade_id(c) or "").endswith("_answer"))
    compile(solved, module, "exec")
    released = _released(nb)
    text = json.dumps(released, ensure_ascii=False)
    assert BEGIN_SOLUTION not in text and END_SOLUTION not in text and BEGIN_HIDDEN not in text
    assert "score_exercise" not in text
    own = {line.strip() for line in (ROOT / "reference" / mod.filename).read_text(encoding="utf-8").splitlines()}
    assert not leaked("\n".join(source_of(c) for c in released["cells"]),
                      {"reference": secret_lines["reference"] & own})
    for cell in released["cells"]:
        if (grade_id(cell) or "").endswith("_answer"):
            assert "raise NotImplementedError()" in source_of(cell)


def test_released_modules_import_and_solved_ones_define_everything(all_points):
    """Each released answer cell raises only when called: the module still imports."""
    for module in COURSE.names:
        nb = _notebook(module, all_points[module])
        for which, book in (("solved", nb), ("released", _released(nb))):
            code = "\n\n".join(source_of(c) for c in book["cells"]
                               if grade_id(c) == "setup" or (grade_id(c) or "").endswith("_answer"))
            namespace: dict = {"__name__": module}
            exec(compile(code, f"{module}-{which}", "exec"), namespace)
            for name in COURSE.module(module).exercises:
                assert name in namespace, (module, which, name)


def test_points_match_a_scored_reference(scorer, all_points):
    report = scorer.score(ROOT / "reference", [MODULE])
    items = {i.name: i.max_score for i in report.modules[0].items}
    assert items == all_points[MODULE]
    assert exercise_of("flatten_images.view", ["flatten", "flatten_images"]) == "flatten_images"
    assert exercise_of("fit_line", ["fit"]) == OTHER


def test_notebook_and_py_get_the_same_points(scorer, tensors_notebooks, tmp_path):
    source_nb, release_nb = tensors_notebooks
    for nb, expected in ((source_nb, 15), (release_nb, 0)):
        sub = tmp_path / nb.parent.name
        sub.mkdir()
        (sub / f"{MODULE}.py").write_text(extract_module_source(nb, MODULE), encoding="utf-8")
        report = scorer.score(sub, [MODULE])
        assert report.score == expected
        if expected == 0:
            assert {i.status for i in report.modules[0].items} == {"missing"}
    # a wrong answer in the notebook loses exactly what the same code loses as a .py file
    book = json.loads(source_nb.read_text(encoding="utf-8"))
    wrong = "def row_stats(x):\n    return x.sum(dim=0), x.mean(dim=0), x.std(dim=0)\n"
    for cell in book["cells"]:
        if grade_id(cell) == "row_stats_answer":
            cell["source"] = wrong
    partial = tmp_path / "partial.ipynb"
    partial.write_text(json.dumps(book), encoding="utf-8")
    as_notebook = tmp_path / "as_notebook"
    as_notebook.mkdir()
    (as_notebook / f"{MODULE}.py").write_text(extract_module_source(partial, MODULE), encoding="utf-8")
    as_py = tmp_path / "as_py"
    as_py.mkdir()
    (as_py / f"{MODULE}.py").write_text((ROOT / "reference" / f"{MODULE}.py").read_text() + "\n\n" + wrong)
    a, b = scorer.score(as_notebook, [MODULE]), scorer.score(as_py, [MODULE])
    assert a.score == b.score == 12
    assert [(i.name, i.score) for i in a.modules[0].items] == [(i.name, i.score) for i in b.modules[0].items]


def test_magics_become_comments(tensors_notebooks, tmp_path):
    book = json.loads(tensors_notebooks[0].read_text(encoding="utf-8"))
    for cell in book["cells"]:
        if grade_id(cell) == "numpy_view_answer":
            cell["source"] = ["%%time\n", "!ls\n", source_of(cell)]
    path = tmp_path / "magic.ipynb"
    path.write_text(json.dumps(book), encoding="utf-8")
    text = extract_module_source(path, MODULE)
    compile(text, "magic", "exec")
    assert "# (notebook-only, not run) %%time" in text


def _broken_copies(source_nb: Path, root: Path) -> dict[str, Path]:
    """A class: a good notebook, invalid JSON, no cells, a renamed answer cell, a markdown answer."""
    good = json.loads(source_nb.read_text(encoding="utf-8"))
    made = {}
    for student in ("good", "badjson", "nocells", "renamed", "markdown"):
        folder = root / student / MODULE
        folder.mkdir(parents=True)
        path = folder / f"{MODULE}.ipynb"
        book = json.loads(json.dumps(good))
        if student == "badjson":
            path.write_text(json.dumps(good)[:-40], encoding="utf-8")
        else:
            if student == "nocells":
                book["cells"] = []
            for cell in book["cells"]:
                if student == "renamed" and grade_id(cell) == "pairwise_sum_answer":
                    cell["metadata"]["nbgrader"]["grade_id"] = "my_pairwise_sum"
                if student == "markdown" and grade_id(cell) == "numpy_view_answer":
                    cell["cell_type"] = "markdown"
            path.write_text(json.dumps(book), encoding="utf-8")
        made[student] = path
    (root / "good" / "not_a_module").mkdir()  # ignored
    (root / "good" / "not_a_module" / "x.ipynb").write_text("{}", encoding="utf-8")
    return made


def test_bad_notebooks_get_clear_messages(tensors_notebooks, tmp_path):
    made = _broken_copies(tensors_notebooks[0], tmp_path / "class")
    expected = {
        "badjson": ["01_tensors.ipynb", "invalid JSON at line"],
        "nocells": ["01_tensors.ipynb", "no cells"],
        "renamed": ["01_tensors.ipynb", "'pairwise_sum_answer'", "missing", "'my_pairwise_sum'"],
        "markdown": ["01_tensors.ipynb", "'numpy_view_answer'", "not a code cell"],
    }
    for student, needles in expected.items():
        with pytest.raises(NotebookProblem) as info:
            extract_module_source(made[student], MODULE)
        for needle in needles:
            assert needle in str(info.value), (student, str(info.value))
        assert info.value.text.ko and info.value.text.ko != info.value.text.en
    problems = {}
    for student in made:
        problems[student] = notebooks_to_submission(tmp_path / "class" / student, tmp_path / "out" / student)
    assert problems["good"] == {}
    assert (tmp_path / "out" / "good" / f"{MODULE}.py").is_file()
    for student in expected:
        assert set(problems[student]) == {MODULE}
        assert not (tmp_path / "out" / student / f"{MODULE}.py").exists()
        assert problems[student][MODULE].ko and problems[student][MODULE].en  # both languages travel


def test_grade_notebooks_grades_the_others_and_explains_the_broken(tensors_notebooks, tmp_path):
    root = tmp_path / "course"
    made = _broken_copies(tensors_notebooks[0], root / "submitted")
    (root / "nbgrader_config.py").write_text("", encoding="utf-8")
    unsolved = root / "submitted" / "unsolved" / MODULE
    unsolved.mkdir(parents=True)
    shutil.copyfile(tensors_notebooks[1], unsolved / f"{MODULE}.ipynb")
    assert notebook_class_root(root) == root / "submitted"
    assert notebook_class_root(ROOT / "exercises") is None
    reports = {r.student: r for r in grade_notebooks(root, jobs=1, modules=[MODULE], device="cpu", seed=7,
                                                      lang="en")}
    assert set(reports) == set(made) | {"unsolved"}
    assert reports["good"].score == reports["good"].max_score > 0 and reports["unsolved"].score == 0
    assert reports["good"].submission == str(root / "submitted" / "good")
    for student in ("badjson", "nocells", "renamed", "markdown"):
        module = reports[student].modules[0]
        assert module.score == 0 and module.max_score == reports["good"].max_score
        assert {i.status for i in module.items} == {"error"}
        assert all("01_tensors.ipynb" in i.text.en and i.text.ko for i in module.items)


def test_apply_problems_keeps_max_points(scorer, tmp_path):
    report = scorer.score(tmp_path, [MODULE])  # nothing there: every item missing
    from torchdojo.i18n import Text

    apply_problems(report, {MODULE: Text(ko="x.ipynb: 고장", en="x.ipynb: broken")})
    assert report.max_score == 15 and report.score == 0
    assert {i.text for i in report.modules[0].items} == {Text(ko="x.ipynb: 고장", en="x.ipynb: broken")}


@pytest.mark.slow
@pytest.mark.parametrize("module", ["04_nn_module", "07_losses_optim"])
def test_solved_notebooks_of_classes_score_full(module, scorer, all_points, tmp_path):
    """Classes are cut per method (07's reference decorates step with @torch.no_grad())."""
    nb = write_notebook(_notebook(module, all_points[module]), tmp_path / f"{module}.ipynb")
    sub = tmp_path / "sub"
    sub.mkdir()
    (sub / f"{module}.py").write_text(extract_module_source(nb, module), encoding="utf-8")
    report = scorer.score(sub, [module])
    assert report.score == report.max_score == sum(all_points[module].values()), [
        (i.name, i.text.en) for i in report.modules[0].items if i.status != "passed"]


def test_cutting_rules_on_a_made_up_module(tmp_path):
    """Reference-only decorators, helpers and class attributes; what the release keeps runnable."""
    stub = tmp_path / "stub.py"
    ref = tmp_path / "ref.py"
    stub.write_text('''"""m — made up"""
import math


def scaled(x, factor=2, *rest, key=None, **extra):
    """Scale x."""
    raise NotImplementedError


class Box:
    """A box."""

    def __init__(self, size):
        raise NotImplementedError

    def area(self):
        raise NotImplementedError


class Keeper:
    def get(self):
        raise NotImplementedError
''', encoding="utf-8")
    ref.write_text('''"""reference"""
import math
import functools

OFFSET = 1  # a reference-only constant


def _twice(f):
    @functools.wraps(f)
    def wrapper(*a, **k):
        return 2 * f(*a, **k)
    return wrapper


@_twice
def scaled(x, factor=2, *rest, key=None, **extra):
    return x * factor + OFFSET + len(rest) + len(extra)


class Box:
    def __init__(self, size):
        self.size = size

    def area(self):
        return math.prod([self.size, self.size])


class Keeper:
    secret = 42  # a class attribute only the reference has

    def get(self):
        return self.secret
''', encoding="utf-8")
    parts = module_parts("m", ["scaled", "Box", "Keeper"], stub, ref)
    assert any("Keeper" in w for w in parts.warnings)
    solved = parts.setup + "\n\n".join(e.answer for e in parts.exercises)
    ns: dict = {}
    exec(compile(solved, "solved", "exec"), ns)
    assert ns["scaled"](3, 2, 9, a=1) == 2 * (3 * 2 + 1 + 1 + 1)  # decorator and helper honoured
    assert ns["Box"](3).area() == 9 and ns["Keeper"]().get() == 42
    released = "\n\n".join(strip_solutions(e.answer) for e in parts.exercises[:2])
    assert "OFFSET" not in released and "_twice" not in released and "math.prod" not in released
    ns = {}
    exec(compile(parts.setup + released, "released", "exec"), ns)  # the released cells still run
    with pytest.raises(NotImplementedError):
        ns["scaled"](1)
    with pytest.raises(NotImplementedError):
        ns["Box"](1)
    # the fallback keeps the stub and hides the whole reference class in a top-level region
    keeper = strip_solutions(parts.exercises[2].answer)
    assert "secret" not in keeper and "class Keeper" in keeper


def test_grade_command_takes_a_folder_of_returned_notebooks(tensors_notebooks, tmp_path):
    """`torchdojo grade` itself (the CLI, two workers) on ROOT/<student>/<assignment>/*.ipynb."""
    from helpers import run

    root = tmp_path / "submitted"
    for student, source in (("solved", tensors_notebooks[0]), ("unsolved", tensors_notebooks[1])):
        folder = root / student / MODULE
        folder.mkdir(parents=True)
        shutil.copyfile(source, folder / f"{MODULE}.ipynb")
    proc = run("grade", str(root), "--json", "--module", MODULE, "-j", "2", "--device", "cpu",
               "--results", str(tmp_path / "journal.jsonl"))
    assert proc.returncode == 0, proc.stderr
    subs = {s["student"]: s for s in json.loads(proc.stdout)["submissions"]}
    assert subs["solved"]["score"] == subs["solved"]["max_score"] > 0
    assert subs["unsolved"]["score"] == 0
