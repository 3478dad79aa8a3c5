"""Which items each module has and their points, read from the graders without grading."""

from __future__ import annotations

import contextlib
import io
from pathlib import Path

import pytest

from ..course import graders_dir
from .plugin import item_of, module_of

PYTEST_INI = Path(__file__).with_name("pytest.ini")


class _Catalog:
    def __init__(self) -> None:
        self.items: dict[str, dict[str, float]] = {}

    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        seen: set[tuple[str, str, str]] = set()
        for item in items:
            name, points = item_of(item)
            module = module_of(item.path)
            function = getattr(item, "originalname", item.name)
            if (module, name, function) in seen:
                continue  # a parametrized test counts once
            seen.add((module, name, function))
            self.items.setdefault(module, {}).setdefault(name, 0.0)
            self.items[module][name] += points


def collect_items(modules: list[str], graders: Path | None = None) -> dict[str, dict[str, float]]:
    """{module: {item: points}} for the given modules, by collecting their grader files."""
    root = Path(graders or graders_dir())
    files = [str(root / f"test_{m}.py") for m in modules if (root / f"test_{m}.py").is_file()]
    catalog = _Catalog()
    if files:
        args = [*files, "-c", str(PYTEST_INI), "--rootdir", str(root), "-p", "torchdojo.grading.plugin",
                "--collect-only", "-q", "--import-mode=importlib", "-p", "no:cacheprovider", "-W", "ignore"]
        sink = io.StringIO()
        with contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink):
            pytest.main(args, plugins=[catalog])
    return catalog.items
