"""One nbgrader notebook per module (nbformat 4.5 JSON, written without nbformat).

Cells, in order:
- markdown: the stub's module docstring (title, what the module teaches) and how to work;
- ``setup`` (locked code): the stub's imports and given top-level code;
- per exercise: markdown (signature and bilingual docstrings), the answer cell
  ``<name>_answer`` (``solution: true``), and the test cell ``<name>_test``
  (``grade: true, locked: true``, points = the sum of that exercise's grader items), then a
  visible self-check cell ``<name>_selfcheck`` (locked, no points) that tells the student at
  once, when the notebook or nbgrader's Validate runs: is the name defined, of the right kind,
  with the stub's parameters, is `NotImplementedError` gone, and does a public example of the
  course (the stub's ``if __name__ == "__main__":`` lines that name the exercise) run. It
  uses only the notebook's own names (no torchdojo import, nothing of the hidden tests); the
  helper it calls is defined once, in ``selfcheck_helper`` after the setup cell.

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
HELPER_ID = "selfcheck_helper"

SELF_CHECK_HELPER = '''# 스스로 확인 도우미: 채점과 무관합니다 (숨은 테스트가 아닙니다). 점수는 강사가 채점할 때 정해집니다.
# Self-check helper: not graded, not the hidden tests. Your points come when your instructor grades.
def _selfcheck(name, kind, params, example=None):
    import inspect
    ok = "\u2714"
    bad = "\u2718"
    obj = globals().get(name)
    if obj is None:
        print(f"{bad} {name}: 아직 정의되지 않았습니다. 위의 답 셀을 실행했나요? / not defined yet: did you run the answer cell above?")
        return
    if kind == "class" and not inspect.isclass(obj):
        print(f"{bad} {name}: 클래스여야 하는데 {type(obj).__name__}입니다 / should be a class, is {type(obj).__name__}")
        return
    if kind == "function" and not callable(obj):
        print(f"{bad} {name}: 함수여야 하는데 {type(obj).__name__}입니다 / should be a function, is {type(obj).__name__}")
        return
    target = obj.__init__ if kind == "class" else obj
    try:
        got = [p for p in inspect.signature(target).parameters if p != "self"]
    except (TypeError, ValueError):
        got = params
    if got[:len(params)] != params:
        print(f"{bad} {name}: 인자가 {params}이어야 하는데 {got}입니다 / parameters should be {params}, are {got}")
        return
    codes = []
    if kind == "class":
        codes = [f.__code__ for f in vars(obj).values() if hasattr(f, "__code__")]
    elif hasattr(obj, "__code__"):
        codes = [obj.__code__]
    unfinished = [c.co_name for c in codes if "NotImplementedError" in c.co_names]
    if unfinished:
        print(f"{bad} {name}: 아직 NotImplementedError가 남아 있습니다 ({', '.join(unfinished)}) / "
              f"still raises NotImplementedError ({', '.join(unfinished)})")
        return
    print(f"{ok} {name}: 정의됨, 인자 {params}, NotImplementedError 없음 / defined, parameters {params}, "
          f"no NotImplementedError left")
    if example is not None:
        try:
            example()
            print(f"{ok} {name}: 공개 예제가 오류 없이 실행되었습니다 / the public example ran without an error")
        except Exception as exc:
            print(f"{bad} {name}: 공개 예제에서 {type(exc).__name__}: {exc} / the public example raised it")
    print("   (정답 여부는 숨은 테스트가 채점합니다 / whether it is right is for the hidden tests)")
'''


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


def selfcheck_id(name: str) -> str:
    return f"{name}_selfcheck"


def _signature(answer: str, name: str, kind: str) -> list[str]:
    """The stub's parameter names of `name` (a class: of its __init__), without self."""
    import ast

    try:
        tree = ast.parse(answer)
    except SyntaxError:
        return []
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name == name:
            fn = node
            break
        if isinstance(node, ast.ClassDef) and node.name == name:
            fn = next((n for n in node.body if isinstance(n, ast.FunctionDef) and n.name == "__init__"), None)
            break
    else:
        return []
    if fn is None:
        return []
    args = [a.arg for a in [*fn.args.posonlyargs, *fn.args.args]]
    return [a for a in args if a != "self"]


def selfcheck_source(name: str, kind: str, params: list[str], example: str | None = None) -> str:
    lines = [f"# 스스로 확인: {name} (채점과 무관, 답 셀을 실행한 뒤 실행하세요)",
             f"# Self-check: {name} (not graded; run it after your answer cell)"]
    call = f"_selfcheck({name!r}, {kind!r}, {params!r})"
    if example and example.strip():
        lines.append("def _example():")
        lines += ["    " + line if line.strip() else "" for line in example.strip("\n").splitlines()]
        call = f"_selfcheck({name!r}, {kind!r}, {params!r}, _example)"
    lines.append(call)
    return "\n".join(lines)


def stub_examples(stub: Path, names: list[str]) -> dict[str, str]:
    """{exercise: lines of the stub's `if __name__ == "__main__":` block that name it}."""
    import ast

    try:
        text = Path(stub).read_text(encoding="utf-8")
        tree = ast.parse(text)
    except (OSError, SyntaxError, ValueError):
        return {}
    found: dict[str, list[str]] = {}
    for node in tree.body:
        test = getattr(node, "test", None)
        if not (isinstance(node, ast.If) and isinstance(test, ast.Compare) and isinstance(test.left, ast.Name)
                and test.left.id == "__name__"):
            continue
        for stmt in node.body:
            used = {n.id for n in ast.walk(stmt) if isinstance(n, ast.Name)}
            segment = ast.get_source_segment(text, stmt) or ""
            for name in names:
                if name in used:
                    found.setdefault(name, []).append(segment)
    return {name: "\n".join(parts) for name, parts in found.items()}


def build_notebook(parts: ModuleParts, points: dict[str, float], examples: dict[str, str] | None = None) -> dict:
    """The source notebook (solutions and hidden tests in) of one module.

    `points`: {exercise: points} as `points.exercise_points` returns (OTHER for unmatched items)."""
    examples = examples or {}
    cells = [_markdown("intro", parts.intro),
             _code(SETUP_ID, parts.setup, _meta(SETUP_ID, locked=True)),
             _code(HELPER_ID, SELF_CHECK_HELPER, _meta(HELPER_ID, locked=True))]
    for ex in parts.exercises:
        cells.append(_markdown(f"{ex.name}-doc", ex.markdown))
        cells.append(_code(answer_id(ex.name), ex.answer, _meta(answer_id(ex.name), solution=True)))
        pts = points.get(ex.name, 0.0)
        if pts > 0:
            cells.append(_code(test_id(ex.name), test_source(parts.module, ex.name, pts),
                               _meta(test_id(ex.name), grade=True, locked=True, points=pts)))
        kind = "class" if ex.kind == "class" else "function"
        cells.append(_code(selfcheck_id(ex.name),
                           selfcheck_source(ex.name, kind, _signature(ex.answer, ex.name, kind),
                                            examples.get(ex.name)),
                           _meta(selfcheck_id(ex.name), locked=True)))
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
    examples = stub_examples(Path(exercises_dir) / mod.filename, list(mod.exercises))
    return build_notebook(parts, exercise_points(items, mod.exercises), examples), parts.warnings
