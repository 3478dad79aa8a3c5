"""One nbgrader notebook per module (nbformat 4.5 JSON, written without nbformat).

Cells, in order:
- markdown: the stub's module docstring (title, what the module teaches) and how to work;
- ``setup`` (locked code): the stub's imports and given top-level code;
- per exercise: markdown (signature and bilingual docstrings), the answer cell
  ``<name>_answer`` (``solution: true``), and the test cell ``<name>_test``
  (``grade: true, locked: true``, points = the sum of that exercise's grader items).

A test cell's hidden part calls ``torchdojo.release.notebook_check.score_exercise``, which
grades the notebook's code with the same graders as ``torchdojo check`` (one source of
truth) and returns the exercise's points (nbgrader's partial credit).
"""

from __future__ import annotations

import json
from pathlib import Path

from .points import OTHER
from .source import BEGIN_HIDDEN, END_HIDDEN, ModuleParts

KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}
SETUP_ID = "setup"
OTHER_ID = "other_test"


def answer_id(name: str) -> str:
    return f"{name}_answer"


def test_id(name: str) -> str:
    return f"{name}_test"


def _meta(grade_id: str, *, solution: bool = False, grade: bool = False, locked: bool = False,
          points: float | None = None) -> dict:
    meta: dict = {"grade": grade, "grade_id": grade_id, "locked": locked, "schema_version": 3,
                  "solution": solution, "task": False}
    if points is not None:
        meta["points"] = int(points) if float(points).is_integer() else points
    return {"nbgrader": meta}


def _cell_id(text: str) -> str:
    return "".join(c if c.isalnum() or c in "-_" else "-" for c in text)[:64] or "cell"


def _markdown(cell_id: str, text: str, meta: dict | None = None) -> dict:
    return {"cell_type": "markdown", "id": _cell_id(cell_id), "metadata": meta or {}, "source": text.rstrip("\n")}


def _code(cell_id: str, text: str, meta: dict) -> dict:
    return {"cell_type": "code", "execution_count": None, "id": _cell_id(cell_id), "metadata": meta,
            "outputs": [], "source": text.rstrip("\n")}


def _fmt(points: float) -> str:
    return f"{int(points)}" if float(points).is_integer() else f"{points:g}"


def test_source(module: str, exercise: str | None, points: float) -> str:
    label = exercise if exercise else "기타 항목 / other items"
    call_arg = f'"{exercise}"' if exercise else "None"
    return "\n".join([
        f"# 채점 셀: {label} ({_fmt(points)}점). 숨은 테스트가 제출한 노트북을 `torchdojo check`와 같은 채점기로 채점합니다.",
        f"# Test cell: {label} ({_fmt(points)} points). Hidden tests grade the submitted notebook with the",
        "# same graders as `torchdojo check`; this cell then shows the points and what is wrong.",
        BEGIN_HIDDEN,
        "from torchdojo.release.notebook_check import score_exercise",
        f'score_exercise("{module}", {call_arg}, points={_fmt(points)})',
        END_HIDDEN,
    ])


def build_notebook(parts: ModuleParts, points: dict[str, float]) -> dict:
    """The source notebook (solutions and hidden tests in) of one module.

    `points`: {exercise: points} as `points.exercise_points` returns (OTHER for unmatched items)."""
    cells = [_markdown("intro", parts.intro),
             _code(SETUP_ID, parts.setup, _meta(SETUP_ID, locked=True))]
    for ex in parts.exercises:
        cells.append(_markdown(f"{ex.name}-doc", ex.markdown))
        cells.append(_code(answer_id(ex.name), ex.answer, _meta(answer_id(ex.name), solution=True)))
        pts = points.get(ex.name, 0.0)
        if pts > 0:
            cells.append(_code(test_id(ex.name), test_source(parts.module, ex.name, pts),
                               _meta(test_id(ex.name), grade=True, locked=True, points=pts)))
    if points.get(OTHER, 0.0) > 0:
        cells.append(_code(OTHER_ID, test_source(parts.module, None, points[OTHER]),
                           _meta(OTHER_ID, grade=True, locked=True, points=points[OTHER])))
    return {
        "cells": cells,
        "metadata": {"kernelspec": dict(KERNELSPEC),
                     "language_info": {"name": "python", "pygments_lexer": "ipython3"},
                     "torchdojo": {"module": parts.module}},
        "nbformat": 4,
        "nbformat_minor": 5,
    }


def write_notebook(notebook: dict, path: Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(notebook, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return path


def module_notebook(module: str, *, exercises_dir: Path, reference_dir: Path, graders_dir: Path,
                    item_points: dict[str, float] | None = None) -> tuple[dict, list[str]]:
    """Build the notebook of `module` from the course's files; returns it and any warnings."""
    from ..course import load_course
    from .points import exercise_points, item_points as collect
    from .source import module_parts

    mod = load_course().module(module)
    parts = module_parts(mod.name, mod.exercises, Path(exercises_dir) / mod.filename,
                         Path(reference_dir) / mod.filename)
    items = item_points if item_points is not None else collect([mod.name], Path(graders_dir))[mod.name]
    return build_notebook(parts, exercise_points(items, mod.exercises)), parts.warnings
