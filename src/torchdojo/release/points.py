"""Points per item and per exercise, read from the graders themselves (no second copy).

The graders are collected (not run) with the grading plugin: every test's
``@pytest.mark.points`` and item name, grouped the way the report groups them (a
parametrized test counts once). An item belongs to the exercise its name starts with
(``name`` or ``name.subcheck``).
"""

from __future__ import annotations

import contextlib
import io
from collections import OrderedDict
from pathlib import Path
from typing import Iterable

import pytest

from ..errors import CourseError

OTHER = "(other)"  # items whose name matches no exercise of the module


class _Collect:
    def __init__(self) -> None:
        self.found: "OrderedDict[str, OrderedDict[str, dict[str, float]]]" = OrderedDict()
        self.errors: dict[str, str] = {}

    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        from ..grading.plugin import item_of, module_of

        for item in items:
            name, points = item_of(item)
            function = getattr(item, "originalname", item.name)
            by_item = self.found.setdefault(module_of(item.path), OrderedDict())
            by_item.setdefault(name, {})[function] = points

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if report.failed:
            self.errors[str(report.fspath)] = str(report.longrepr)[-1500:]


def item_points(modules: Iterable[str], graders: Path) -> dict[str, dict[str, float]]:
    """{module: {item: max points}} for the graders of `modules`, in grader order."""
    from ..grading.runner import PYTEST_INI

    modules = list(modules)
    files = []
    for module in modules:
        path = Path(graders) / f"test_{module}.py"
        if not path.is_file():
            raise CourseError(f"{path}: no grader file for {module}")
        files.append(str(path))
    collector = _Collect()
    args = [*files, "--collect-only", "-q", "-c", str(PYTEST_INI), "--rootdir", str(graders),
            "-p", "torchdojo.grading.plugin", "-p", "no:cacheprovider", "--import-mode=importlib", "-W", "ignore"]
    sink = io.StringIO()
    with contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink):
        pytest.main(args, plugins=[collector])
    if collector.errors:
        path, error = next(iter(collector.errors.items()))
        raise CourseError(f"{path}: the grader failed to load: {error.strip().splitlines()[-1] if error else ''}")
    return {m: {item: float(sum(fns.values())) for item, fns in collector.found.get(m, {}).items()} for m in modules}


def exercise_of(item: str, exercises: Iterable[str]) -> str:
    for name in exercises:
        if item == name or item.startswith(name + "."):
            return name
    return OTHER


def exercise_points(items: dict[str, float], exercises: list[str]) -> "OrderedDict[str, float]":
    """{exercise: points} in catalogue order, plus OTHER when some item matches no exercise."""
    out: "OrderedDict[str, float]" = OrderedDict((name, 0.0) for name in exercises)
    for item, points in items.items():
        key = exercise_of(item, exercises)
        out[key] = out.get(key, 0.0) + points
    return out
