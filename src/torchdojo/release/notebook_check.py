"""What an nbgrader test cell runs (inside its hidden-test markers).

    from torchdojo.release.notebook_check import score_exercise
    score_exercise("01_tensors", "row_stats", points=3)

It grades the notebook's own code with the same graders as ``torchdojo check``:
1. finds the notebook being executed (``<module>.ipynb`` in the kernel's working folder,
   which nbgrader's autograde sets to the autograded copy) and rebuilds ``<module>.py`` from
   its setup and answer cells (`notebooks.extract_module_source`, as ``torchdojo grade`` does);
   modules it imports by name (09 uses 05 and 06) come from the same student's notebooks of
   those assignments when they are there;
2. grades that folder in a fresh interpreter (``python -m torchdojo.release.packed check
   --json``) with the course's graders pack, so nothing the student's cells did to this kernel
   (monkeypatching torch, changing defaults) reaches the scorer or the reference;
3. returns the exercise's points: nbgrader reads a number as partial credit. Lost points are
   explained on stdout (with partial credit) or in an AssertionError (no credit).

The module is graded once per kernel and source (cached); every test cell reads that result.
Nothing here writes to stderr: nbgrader gives 0 points to a test cell with stderr output.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

_CACHE: dict[str, dict] = {}
TIMEOUT_ENV = "TORCHDOJO_NB_TIMEOUT"  # seconds for grading one module (default 900)


class GradingUnavailable(RuntimeError):
    """torchdojo could not grade the notebook (a course set-up problem, not the student's)."""


def _find_notebook(module: str, notebook: str | os.PathLike | None) -> Path:
    if notebook:
        return Path(notebook)
    here = Path.cwd()
    preferred = here / f"{module}.ipynb"
    if preferred.is_file():
        return preferred
    found = sorted(here.glob("*.ipynb"))
    if len(found) == 1:
        return found[0]
    raise GradingUnavailable(f"cannot tell which notebook to grade in {here} (expected {module}.ipynb)")


def _dependencies(source: str, module: str, names: list[str]) -> list[str]:
    """Other course modules this source names as strings (`importlib.import_module("05_data")`)."""
    import ast

    try:
        tree = ast.parse(source)
    except SyntaxError:
        return []
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value in names \
                and node.value != module and node.value not in found:
            found.append(node.value)
    return found


def _dependency_notebook(dep: str, nb_dir: Path, course_root: Path) -> Path | None:
    from .notebooks import notebook_for

    places = [nb_dir.parent / dep]
    if nb_dir.parent.parent.name in ("autograded", "submitted", "feedback"):
        student = nb_dir.parent.name
        places += [course_root / "submitted" / student / dep, course_root / "autograded" / student / dep]
    for place in places:
        if place.is_dir():
            nb = notebook_for(place, dep)
            if nb is not None:
                return nb
    return None


def build_submission(module: str, nb_path: Path, dest: Path, course_root: Path) -> dict[str, str]:
    """Write `<module>.py` (and the modules it imports by name) into `dest`; {name: source}."""
    from ..course import load_course
    from .notebooks import NotebookProblem, extract_module_source

    course = load_course()
    source = extract_module_source(nb_path, module, course)
    files = {module: source}
    for dep in _dependencies(source, module, course.names):
        dep_nb = _dependency_notebook(dep, nb_path.parent, course_root)
        if dep_nb is None:
            continue
        try:
            files[dep] = extract_module_source(dep_nb, dep, course)
        except NotebookProblem:
            continue
    for name, text in files.items():
        (dest / f"{name}.py").write_text(text, encoding="utf-8")
    return files


def _grade(module: str, nb_path: Path) -> dict:
    from .pack import find_pack, read_meta

    pack = find_pack(None, start=nb_path.parent)
    course_root = pack.parent
    with tempfile.TemporaryDirectory(prefix="torchdojo-nb-") as tmp:
        files = build_submission(module, nb_path, Path(tmp), course_root)
        key = hashlib.sha256(json.dumps([module, sorted(files.items()), str(pack)]).encode()).hexdigest()
        if key in _CACHE:
            return _CACHE[key]
        meta = read_meta(pack)
        seed = os.environ.get("TORCHDOJO_SEED") or str(meta.get("seed", ""))
        cmd = [sys.executable, "-m", "torchdojo.release.packed", "--pack", str(pack), "check", tmp, "--json",
               "--module", module, "--lang", "ko", "--device", os.environ.get("TORCHDOJO_DEVICE", "auto")]
        if seed:
            cmd += ["--seed", seed]
        env = {k: v for k, v in os.environ.items() if not k.startswith(("JPY_", "KERNEL_"))}
        try:
            done = subprocess.run(cmd, capture_output=True, text=True, env=env, stdin=subprocess.DEVNULL,
                                  timeout=float(os.environ.get(TIMEOUT_ENV, "900")))
        except subprocess.TimeoutExpired as exc:
            raise GradingUnavailable(f"grading {module} took longer than {exc.timeout:g} s") from exc
        if done.returncode not in (0, 1):
            tail = (done.stderr or done.stdout).strip().splitlines()[-5:]
            raise GradingUnavailable(f"torchdojo could not grade {module}: " + " | ".join(tail))
        report = json.loads(done.stdout)
    _CACHE[key] = report
    return report


def _fmt(x: float) -> str:
    return f"{int(x)}" if float(x).is_integer() else f"{x:.4g}"


def score_exercise(module: str, exercise: str | None, points: float | None = None,
                   notebook: str | os.PathLike | None = None) -> float:
    """Points of `exercise` (None: items matching no exercise) for the notebook's code."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from ..course import load_course
        from .notebooks import NotebookProblem
        from .points import OTHER, exercise_of

        exercises = load_course().module(module).exercises
        nb_path = _find_notebook(module, notebook)
        try:
            report = _grade(module, nb_path)
        except NotebookProblem as problem:
            raise AssertionError(problem.text.both("\n")) from None
    target = exercise or OTHER
    items = []
    for mod in report.get("modules", []):
        if mod.get("name") == module:
            items = [i for i in mod.get("items", []) if exercise_of(i["name"], exercises) == target]
    if not items:
        raise GradingUnavailable(f"the graders of {module} have no item for {target}")
    score = sum(float(i["score"]) for i in items)
    maximum = sum(float(i["max_score"]) for i in items)
    if points is not None and maximum > 0 and abs(maximum - float(points)) > 1e-9:
        score = score * float(points) / maximum  # graders changed since the release: scale
        maximum = float(points)
    lost = [i for i in items if float(i["score"]) < float(i["max_score"])]
    lines = [f"{target}: {_fmt(score)}/{_fmt(maximum)} (seed {report.get('seed')})"]
    for item in lost:
        messages = item.get("messages") or {}
        ko, en = messages.get("ko") or item.get("message", ""), messages.get("en") or ""
        lines.append(f"- {item['name']} ({_fmt(item['score'])}/{_fmt(item['max_score'])}, {item['status']}): {ko}")
        if en and en != ko:
            lines.append(f"  {en}")
    if score <= 0:
        raise AssertionError("\n".join(lines))
    print("\n".join(lines))
    return float(score)


__all__ = ["score_exercise", "build_submission", "GradingUnavailable"]
