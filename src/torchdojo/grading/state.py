"""The student's progress between runs: the last result of every module, in the submission folder.

`check` merges what it graded into `<DIR>/.torchdojo/state.json`; `list` and `hint` read it
to show progress and to find the next unfinished item (rustlings keeps progress the same way).
"""

from __future__ import annotations

import json
import os
import stat
import time
from pathlib import Path
from typing import Any

from ..sandbox.files import UnsafeFile, is_link, read_regular_file
from .report import ModuleResult, SubmissionReport, submission_from_dict

STATE = Path(".torchdojo") / "state.json"
STATE_BYTES = 8 * 1024 * 1024  # far above any real state file (messages are capped)


def state_path(submission: Path) -> Path:
    return Path(submission) / STATE


def load_state(submission: Path) -> dict[str, ModuleResult]:
    """Last known result per module (empty when never checked or unreadable)."""
    path = state_path(submission)
    try:  # never through a link (the folder is the student's; `check` may run as root)
        raw = read_regular_file(path, STATE_BYTES, root=submission)
        data = json.loads(raw.decode("utf-8", errors="replace"))
        report = submission_from_dict({"modules": data["modules"]})
    except (OSError, UnsafeFile, ValueError, KeyError, TypeError, AttributeError, RecursionError):
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
    text = json.dumps(data, ensure_ascii=False, indent=1)
    try:  # a `.torchdojo` or state.json that is a link is left alone: never written through
        if is_link(path.parent):
            return None
        path.parent.mkdir(exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC, 0o644)
        with open(fd, "w", encoding="utf-8") as fh:
            info = os.fstat(fd)
            if not stat.S_ISREG(info.st_mode) or info.st_nlink > 1:  # a FIFO, a device, a hard link
                return None
            fh.truncate(0)
            fh.write(text)
    except (OSError, ValueError):
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
