"""From pytest test outcomes to item and module results (all-or-nothing per test)."""

from __future__ import annotations

from collections import OrderedDict
from typing import Iterable

from ..i18n import Text
from .context import TestOutcome
from .report import ItemResult, ModuleResult



def modules_from_outcomes(outcomes: Iterable[TestOutcome]) -> list[ModuleResult]:
    grouped: "OrderedDict[str, OrderedDict[str, list[TestOutcome]]]" = OrderedDict()
    for o in outcomes:
        grouped.setdefault(o.module, OrderedDict()).setdefault(o.item, []).append(o)
    modules = []
    for module_name, items in grouped.items():
        results = []
        for item_name, tests in items.items():
            by_function: "OrderedDict[str, list[TestOutcome]]" = OrderedDict()
            for t in tests:
                by_function.setdefault(t.function, []).append(t)
            max_score = sum(group[0].points for group in by_function.values())
            score = sum(group[0].points for group in by_function.values()
                        if all(t.status == "passed" for t in group))
            failing = [t for t in tests if t.status != "passed"]
            if not failing:
                results.append(ItemResult(item_name, score, max_score, "passed"))
                continue
            first = failing[0]
            status = first.status
            if any(t.status == "missing" for t in failing):
                status = "missing" if all(t.status == "missing" for t in failing) else status
            text = first.text or Text(ko="검사 실패", en="check failed")
            results.append(ItemResult(item_name, score, max_score, status, text))
        modules.append(ModuleResult(module_name, results))
    return modules
