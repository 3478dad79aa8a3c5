"""The student's progress between runs: the last result of every module, in the submission folder.

`check` merges what it graded into `<DIR>/.torchdojo/state.json`; `list` and `hint` read it
to show progress and to find the next unfinished item (rustlings keeps progress the same way).
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from .report import ModuleResult, SubmissionReport, submission_from_dict

STATE = Path(".torchdojo") / "state.json"


def state_path(submission: Path) -> Path:
    return Path(submission) / STATE


def load_state(submission: Path) -> dict[str, ModuleResult]:
    """Last known result per module (empty when never checked or unreadable)."""
    path = state_path(submission)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        report = submission_from_dict({"modules": data["modules"]})
    except (OSError, ValueError, KeyError, TypeError):
        return {}
    return {m.name: m for m in report.modules}


def save_state(submission: Path, report: SubmissionReport) -> Path | None:
    """Merge `report` into the state file; a read-only folder is not an error (returns None)."""
    modules = load_state(submission)
    for module in report.modules:
        modules[module.name] = module
    data: dict[str, Any] = {
        "updated": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "modules": [m.to_dict() for m in modules.values()],
    }
    path = state_path(submission)
    try:
        path.parent.mkdir(exist_ok=True)
        path.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
    except OSError:
        return None
    return path


def first_unfinished(modules: dict[str, ModuleResult], order: list[str]) -> tuple[str, str] | None:
    """(module, item) of the first item not passed, in course order."""
    for name in order:
        module = modules.get(name)
        if module is None:
            return None if not modules else (name, "")
        for item in module.items:
            if item.status != "passed":
                return name, item.name
    return None
